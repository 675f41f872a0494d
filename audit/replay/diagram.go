package replay

import "time"

// Diagram is the SIP ladder of a history as data, for a drawing (the web
// console's SVG): the participants left to right, and the messages in
// time order between them, the same ones Render prints.
type Diagram struct {
	Columns []string       `json:"columns"`
	Arrows  []DiagramArrow `json:"arrows"`
}

// DiagramArrow is one message: From and To index Columns, OffsetMs is
// from the call's start (History.Origin).
type DiagramArrow struct {
	OffsetMs float64 `json:"offset_ms"`
	From     int     `json:"from"`
	To       int     `json:"to"`
	Label    string  `json:"label"`
	Note     string  `json:"note,omitempty"`
}

// Ladder is h's ladder as a Diagram.
func Ladder(h History) Diagram {
	ld := buildLadder(h)
	t0 := h.Origin()
	d := Diagram{Columns: ld.cols, Arrows: make([]DiagramArrow, 0, len(ld.arrows))}
	for _, a := range ld.arrows {
		var off float64
		if !a.at.IsZero() && !t0.IsZero() {
			off = float64(a.at.Sub(t0)) / float64(time.Millisecond)
		}
		d.Arrows = append(d.Arrows, DiagramArrow{OffsetMs: off, From: a.from, To: a.to, Label: a.label, Note: a.note})
	}
	return d
}

// CodeText is a SIP status as the ladder writes it ("407 Proxy
// Authentication Required").
func CodeText(code int, reason string) string { return codeText(code, reason) }
