package replay

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"softswitch/domain"
)

// Column numbers of the two fixed participants.
const (
	colCaller = 0
	colSwitch = 1
)

// maxColLabel bounds a participant's column heading; longer names are cut
// with "…" (the full name is in the Legs section).
const maxColLabel = 24

// arrow is one message of the ladder.
type arrow struct {
	at       time.Time
	from, to int
	label    string
	note     string
	order    int
}

// ladder is the participants and messages of a history.
type ladder struct {
	cols   []string
	arrows []arrow
}

// legColumn names the column of a B-leg: its trunk, else its contact,
// else its address.
func legColumn(l Leg) string {
	switch {
	case l.Trunk != "":
		return l.Trunk
	case l.Target != "":
		return strings.TrimPrefix(l.Target, "sip:")
	}
	return l.Peer
}

func buildLadder(h History) ladder {
	ld := ladder{cols: []string{"caller", "switch"}}
	byName := map[string]int{}
	byLeg := map[string]int{domain.SideA: colCaller}
	column := func(name string) int {
		if c, ok := byName[name]; ok {
			return c
		}
		ld.cols = append(ld.cols, name)
		byName[name] = len(ld.cols) - 1
		return len(ld.cols) - 1
	}
	for _, l := range h.Legs {
		if l.Side == domain.SideA {
			byLeg[l.ID] = colCaller
			continue
		}
		byLeg[l.ID] = column(legColumn(l))
	}
	colOf := func(t domain.SIPTransaction) int {
		if c, ok := byLeg[t.Leg]; ok {
			return c
		}
		if t.Leg == "" {
			return colCaller
		}
		return column(t.Peer) // a leg whose LegStarted is missing
	}
	add := func(a arrow) {
		a.order = len(ld.arrows)
		ld.arrows = append(ld.arrows, a)
	}
	provFromTx := map[string]bool{}
	for _, t := range h.Transactions {
		c := colOf(t)
		req, res := arrow{from: c, to: colSwitch}, arrow{from: colSwitch, to: c}
		if t.Direction == domain.DirOut {
			req, res = arrow{from: colSwitch, to: c}, arrow{from: c, to: colSwitch}
		}
		req.at, req.label = t.Started, t.Method
		req.note = legNote(t.Leg)
		if t.CSeq != 0 {
			req.note += fmt.Sprintf(" cseq %d", t.CSeq)
		}
		res.at, res.label = t.Started.Add(t.Duration), codeText(t.Code, t.Reason)
		res.note = fmt.Sprintf("%s %s took %s", legNote(t.Leg), t.Method, t.Duration.Round(time.Millisecond))
		add(req)
		// The 1xx answers of the transaction, as sent to the caller or
		// received from the callee, before its final answer.
		for _, p := range t.Provisional {
			add(arrow{at: p.At, from: res.from, to: res.to, label: codeText(p.Code, p.Reason), note: legNote(t.Leg) + " provisional"})
			provFromTx[t.Leg] = true
		}
		add(res)
		if !t.Ack.IsZero() {
			// The ACK of the final answer: its own transaction for a 2xx
			// (RFC 3261 §13.2.2.4), part of this one for a failure.
			ack := arrow{at: t.Ack, from: req.from, to: req.to, label: "ACK", note: legNote(t.Leg) + " ACK of " + strconv.Itoa(t.Code)}
			if t.AckPeer != "" {
				ack.note += " from " + t.AckPeer
			}
			add(ack)
		}
	}
	for _, l := range h.Legs {
		if provFromTx[l.ID] {
			continue // drawn from its INVITE transaction
		}
		c := byLeg[l.ID]
		for _, p := range l.Progress {
			a := arrow{at: p.At, from: c, to: colSwitch, label: codeText(p.Code, ""), note: legNote(l.ID) + " provisional"}
			if l.Side == domain.SideA {
				a.from, a.to = colSwitch, c
			}
			add(a)
		}
	}
	sort.SliceStable(ld.arrows, func(i, j int) bool {
		if !ld.arrows[i].at.Equal(ld.arrows[j].at) {
			return ld.arrows[i].at.Before(ld.arrows[j].at)
		}
		return ld.arrows[i].order < ld.arrows[j].order
	})
	return ld
}

func legNote(leg string) string {
	if leg == "" {
		return "leg ?"
	}
	return "leg " + leg
}

// Render writes h for a terminal: the ladder of every SIP message of every
// leg (participants as columns, one arrow per message, offsets from the
// call's start), then the legs, the media events, the route decisions,
// the outcome and the rating.
func Render(w io.Writer, h History) error {
	ew := &errWriter{w: w}
	t0 := h.Origin()
	off := func(t time.Time) string { return offset(t, t0) }

	ew.printf("Call %s\n", h.CallID)
	if h.SIPCallID != "" && h.SIPCallID != h.CallID {
		ew.printf("  SIP Call-ID %s\n", h.SIPCallID)
	}
	if h.Caller != "" || h.Callee != "" {
		ew.printf("  %s → %s  from %s\n", h.Caller, h.Callee, h.Source)
	}
	if !t0.IsZero() {
		ew.printf("  started %s (offsets below are from this instant)\n", t0.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	}
	ew.printf("  %d events", h.Events)
	if h.Skipped > 0 {
		ew.printf(", %d of a type or version this build does not know (not shown)", h.Skipped)
	}
	ew.printf("\n\n")

	ew.printf("SIP ladder\n")
	renderLadder(ew, buildLadder(h), t0)
	renderMessages(ew, h, off)

	ew.printf("\nLegs\n")
	tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
	for _, l := range h.Legs {
		who := "caller"
		if l.Side == domain.SideB {
			who = legColumn(l)
			if l.Carrier != "" {
				who += " (carrier " + l.Carrier + ")"
			}
		}
		span := off(l.Started) + " → "
		if l.Ended.IsZero() {
			span += "open"
		} else {
			span += off(l.Ended)
		}
		result := ""
		if !l.Answered.IsZero() {
			result = "answered " + off(l.Answered) + "; "
		}
		if !l.Ended.IsZero() {
			result += fmt.Sprintf("ended %s by %s", codeText(l.Code, l.Reason), l.By)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", l.ID, who, l.Peer, span, result)
	}
	ew.err = firstErr(ew.err, tw.Flush())

	renderMedia(ew, h, off)

	ew.printf("\nRoute decisions\n")
	if len(h.Routes) == 0 {
		ew.printf("  none (the call did not leave through a trunk)\n")
	}
	for i, r := range h.Routes {
		ew.printf("  #%d at %s  number %s", i+1, off(r.At), r.Number)
		if r.Dialled != "" && r.Dialled != r.Number {
			ew.printf(" (dialled %s)", r.Dialled)
		}
		if r.Prefix != "" {
			ew.printf("  prefix %s", r.Prefix)
		}
		if r.Carrier != "" {
			ew.printf("  carrier %s", r.Carrier)
			if r.CarrierSource != "" {
				ew.printf(" (from %s)", r.CarrierSource)
			}
		}
		ew.printf("\n")
		if r.MVNOFallback {
			ew.printf("      the number's MVNO has no trunks: its host MNO's were offered\n")
		}
		tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
		for _, c := range r.Candidates {
			verdict := "eligible"
			if c.Skip != "" {
				verdict = "skipped: " + c.Skip
			}
			fmt.Fprintf(tw, "      candidate\t%s\t%s\t%s\n", c.Trunk, c.Carrier, verdict)
		}
		ew.err = firstErr(ew.err, tw.Flush())
		chosen := r.Chosen
		if chosen == "" {
			chosen = "none"
		}
		ew.printf("      chosen     %s\n", chosen)
		if r.Reason != "" {
			ew.printf("      reason     %s\n", r.Reason)
		}
	}

	ew.printf("\nOutcome\n")
	if h.End == nil {
		ew.printf("  the call has not ended (still up, or its end is not in the log)\n")
	} else {
		ew.printf("  disposition  %s\n", h.End.Disposition)
		ew.printf("  code         %s\n", codeText(h.End.Code, ""))
		if h.End.Reason != "" {
			ew.printf("  reason       %s\n", h.End.Reason)
		}
		ew.printf("  ended by     %s at %s\n", h.End.By, off(h.Ended))
		if h.Noticed.After(h.Ended) {
			ew.printf("  billed to    its last proof of life; the switch found the call dead at %s\n", off(h.Noticed))
		}
	}
	if h.AnsweredLeg != "" {
		who := h.AnsweredLeg
		for _, l := range h.Legs {
			if l.ID == h.AnsweredLeg && l.Side == domain.SideB {
				who += " (" + legColumn(l) + ")"
			}
		}
		ew.printf("  answered     by %s at %s\n", who, off(h.Answered))
	}
	switch {
	case h.AnsweredLeg == "":
		ew.printf("  billable     no (not answered)\n")
	case h.End == nil:
		ew.printf("  billable     yes, still running\n")
	default:
		ew.printf("  billable     yes, %d s (answer to end, rounded up)\n", h.BillableS())
	}

	ew.printf("\nRating\n")
	if h.Rating == nil {
		ew.printf("  not available (no CDR found for the call)\n")
	} else {
		r := h.Rating
		status := r.RatingStatus
		if status == "" {
			status = "not rated yet"
		}
		ew.printf("  status       %s", status)
		if r.RatingVersion > 0 {
			ew.printf(" (version %d)", r.RatingVersion)
		}
		ew.printf("\n")
		if r.Price != "" {
			ew.printf("  sell         %s %s  deck %s  prefix %s\n", r.Price, r.Currency, r.RateDeck, r.RatePrefix)
		}
		if r.Cost != "" {
			ew.printf("  buy          %s %s  deck %s  prefix %s  %d s\n", r.Cost, r.CostCurrency, r.CostDeck, r.CostPrefix, r.CostBillableS)
		}
	}
	return ew.err
}

// renderLadder draws the participants as columns with a lifeline each and
// one arrow per message, its offset on the left and a note on the right.
func renderLadder(ew *errWriter, ld ladder, t0 time.Time) {
	const timeW = 11 // "  +12.345s "
	gap := 14
	for _, a := range ld.arrows {
		if n := utf8.RuneCountInString(a.label) + 7; n > gap {
			gap = n
		}
	}
	labels := make([]string, len(ld.cols))
	for i, c := range ld.cols {
		labels[i] = cut(c, maxColLabel)
		if n := utf8.RuneCountInString(labels[i]) + 2; n > gap {
			gap = n
		}
	}
	centre := func(i int) int { return timeW + gap/2 + i*gap }
	width := centre(len(ld.cols)-1) + 1
	blank := func() []rune {
		line := []rune(strings.Repeat(" ", width))
		for i := range ld.cols {
			line[centre(i)] = '│'
		}
		return line
	}
	head := []rune(strings.Repeat(" ", width+gap))
	for i, l := range labels {
		r := []rune(l)
		start := centre(i) - len(r)/2
		copy(head[start:], r)
	}
	ew.printf("%s\n", strings.TrimRight(string(head), " "))
	ew.printf("%s\n", strings.TrimRight(string(blank()), " "))
	for _, a := range ld.arrows {
		line := blank()
		t := []rune(fmt.Sprintf("%*s", timeW-2, offset(a.at, t0)))
		copy(line, t)
		lo, hi := centre(a.from), centre(a.to)
		if lo > hi {
			lo, hi = hi, lo
		}
		for x := lo + 1; x < hi; x++ {
			line[x] = '─'
		}
		if a.to > a.from {
			line[hi-1] = '▶'
		} else {
			line[lo+1] = '◀'
		}
		start := lo + 3
		if a.to < a.from {
			start++ // after "◀──"
		}
		copy(line[start:], []rune(a.label))
		ew.printf("%s\n", strings.TrimRight(string(line)+"  "+a.note, " "))
	}
	if len(ld.arrows) == 0 {
		ew.printf("  (no SIP transactions in the log)\n")
	}
}

// offset formats t relative to t0 in seconds with milliseconds.
func offset(t, t0 time.Time) string {
	if t.IsZero() || t0.IsZero() {
		return "?"
	}
	return fmt.Sprintf("%+.3fs", t.Sub(t0).Seconds())
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// codeText is "503 Service Unavailable": the code with the reason the log
// recorded, else the standard phrase.
func codeText(code int, reason string) string {
	if code == 0 {
		return "no answer"
	}
	if reason == "" {
		reason = phrases[code]
	}
	if reason == "" {
		return fmt.Sprint(code)
	}
	return fmt.Sprintf("%d %s", code, reason)
}

// phrases are RFC 3261's reason phrases for the codes a call meets.
var phrases = map[int]string{
	100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued", 183: "Session Progress",
	200: "OK", 202: "Accepted",
	300: "Multiple Choices", 301: "Moved Permanently", 302: "Moved Temporarily",
	400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found",
	405: "Method Not Allowed", 407: "Proxy Authentication Required", 408: "Request Timeout",
	410: "Gone", 480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist",
	482: "Loop Detected", 483: "Too Many Hops", 484: "Address Incomplete", 486: "Busy Here",
	487: "Request Terminated", 488: "Not Acceptable Here",
	500: "Server Internal Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
	504: "Server Time-out",
	600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere", 606: "Not Acceptable",
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// renderMessages prints the whole SIP messages that audit.capture: full
// kept in the transactions, in transaction order; nothing when none were.
func renderMessages(ew *errWriter, h History, off func(time.Time) string) {
	header := false
	for _, t := range h.Transactions {
		if t.Request == "" && t.Response == "" {
			continue
		}
		if !header {
			ew.printf("\nSIP messages (audit.capture: full)\n")
			header = true
		}
		ew.printf("\n%s  leg %s %s %s %d\n", off(t.Started), t.Leg, t.Direction, t.Method, t.Code)
		for _, m := range []string{t.Request, t.Response} {
			if m == "" {
				continue
			}
			for _, line := range strings.Split(strings.TrimRight(m, "\r\n"), "\n") {
				ew.printf("    | %s\n", strings.TrimRight(line, "\r"))
			}
			ew.printf("    |\n")
		}
	}
}
