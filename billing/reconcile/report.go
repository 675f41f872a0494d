package reconcile

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"softswitch/billing/settle"
)

// Run identifies one reconciliation: its rows in the reconciliation table
// share RunID.
type Run struct {
	ID      string    `json:"run_id"`
	At      time.Time `json:"run_at"`
	Carrier string    `json:"carrier"`
	File    string    `json:"file"`
}

// Report is the printed (and JSON) form of a Result: amounts as exact
// decimal strings.
type Report struct {
	Run
	Ours             ReportTotals `json:"ours"`
	Theirs           ReportTotals `json:"theirs"`
	Matched          ReportTotals `json:"matched"`
	MissingOurs      ReportTotals `json:"missing_ours"`
	MissingTheirs    ReportTotals `json:"missing_theirs"`
	DurationMismatch int64        `json:"duration_mismatches"`
	AmountMismatch   int64        `json:"amount_mismatches"`
	Discrepancies    []ReportRow  `json:"discrepancies"`
}

// ReportTotals is Totals with the amount as a decimal string.
type ReportTotals struct {
	Calls      int64  `json:"calls"`
	DurationMS int64  `json:"duration_ms"`
	Amount     string `json:"amount"`
}

// ReportRow is one discrepancy, as the reconciliation table stores it.
type ReportRow struct {
	Kind            Kind   `json:"kind"`
	Callee          string `json:"callee"`
	OurID           string `json:"our_id,omitempty"`
	OurStart        string `json:"our_start,omitempty"`
	TheirStart      string `json:"their_start,omitempty"`
	TheirLine       int    `json:"their_line,omitempty"`
	OurDurationMS   int64  `json:"our_duration_ms"`
	TheirDurationMS int64  `json:"their_duration_ms"`
	DurationDiffMS  int64  `json:"duration_diff_ms"` // theirs - ours
	OurAmount       string `json:"our_amount"`
	TheirAmount     string `json:"their_amount"`
	AmountDiff      string `json:"amount_diff"` // theirs - ours
	Currency        string `json:"currency"`
}

// NewReport renders res for run.
func NewReport(run Run, res Result) Report {
	rt := func(t Totals) ReportTotals {
		return ReportTotals{Calls: t.Calls, DurationMS: t.DurationMS, Amount: settle.FormatMicros(t.Amount)}
	}
	r := Report{
		Run: run, Ours: rt(res.Ours), Theirs: rt(res.Theirs), Matched: rt(res.Matched),
		MissingOurs: rt(res.MissingOurs), MissingTheirs: rt(res.MissingTheirs),
		DurationMismatch: res.DurationMismatch, AmountMismatch: res.AmountMismatch,
		Discrepancies: make([]ReportRow, 0, len(res.Discrepancies)),
	}
	for _, d := range res.Discrepancies {
		r.Discrepancies = append(r.Discrepancies, row(d))
	}
	return r
}

func row(d Discrepancy) ReportRow {
	stamp := func(c Call) string {
		if c.Callee == "" {
			return ""
		}
		return time.UnixMilli(c.Start).UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	cur := d.Ours.Currency
	if cur == "" {
		cur = d.Theirs.Currency
	}
	return ReportRow{
		Kind: d.Kind, Callee: d.call().Callee, OurID: d.Ours.ID, OurStart: stamp(d.Ours), TheirStart: stamp(d.Theirs), TheirLine: d.Theirs.Line,
		OurDurationMS: d.Ours.DurationMS, TheirDurationMS: d.Theirs.DurationMS, DurationDiffMS: d.Theirs.DurationMS - d.Ours.DurationMS,
		OurAmount: settle.FormatMicros(d.Ours.Amount), TheirAmount: settle.FormatMicros(d.Theirs.Amount),
		AmountDiff: settle.FormatMicros(d.Theirs.Amount - d.Ours.Amount), Currency: cur,
	}
}

// WriteText prints the summary and the discrepancies as a table.
func (r Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "run %s carrier %s file %s\n", r.ID, r.Carrier, r.File)
	fmt.Fprintln(tw, "\tCALLS\tDURATION_MS\tAMOUNT")
	for _, l := range []struct {
		name string
		t    ReportTotals
	}{{"ours", r.Ours}, {"theirs", r.Theirs}, {"matched", r.Matched}, {"missing_ours", r.MissingOurs}, {"missing_theirs", r.MissingTheirs}} {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", l.name, l.t.Calls, l.t.DurationMS, l.t.Amount)
	}
	fmt.Fprintf(tw, "duration_mismatches\t%d\n", r.DurationMismatch)
	fmt.Fprintf(tw, "amount_mismatches\t%d\n\n", r.AmountMismatch)
	fmt.Fprintln(tw, "KIND\tCALLEE\tOUR_START\tTHEIR_START\tLINE\tOUR_MS\tTHEIR_MS\tOUR_AMOUNT\tTHEIR_AMOUNT\tOUR_ID")
	for _, d := range r.Discrepancies {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\n", d.Kind, d.Callee, d.OurStart, d.TheirStart, d.TheirLine,
			d.OurDurationMS, d.TheirDurationMS, d.OurAmount, d.TheirAmount, d.OurID)
	}
	return tw.Flush()
}
