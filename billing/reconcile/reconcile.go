// Package reconcile matches a carrier's CDR file against our CDRs of that
// carrier and reports the differences, the start of a dispute.
//
// Both sides are sorted by (callee, start) and swept together, so a run is
// O(n log n) for the sorts and linear in the sweep; docs/settlement.md
// has the algorithm, the CSV format and the tolerances.
package reconcile

import (
	"cmp"
	"errors"
	"slices"
	"time"
)

// ErrOptions is returned for tolerances that cannot be used.
var ErrOptions = errors.New("reconcile: invalid options")

// Call is one call on either side. Start is the billed call's start (ours:
// the answer time), in Unix ms; Callee is normalized E.164 digits.
type Call struct {
	ID         string // our CDR id; the carrier file's line number as text
	Line       int    // the carrier file's line, 0 for ours
	Callee     string
	Start      int64 // Unix ms
	DurationMS int64
	Amount     int64 // micro-units
	Currency   string
}

// Options are the matching tolerances.
type Options struct {
	Time     time.Duration // start times closer than this may match (inclusive)
	Duration time.Duration // larger duration differences are mismatches
	Amount   int64         // micro-units; larger amount differences are mismatches
}

// DefaultOptions: 2 s on start, 1 s on duration, 0.01 on amount.
var DefaultOptions = Options{Time: 2 * time.Second, Duration: time.Second, Amount: 10_000}

// Kind names a discrepancy.
type Kind string

const (
	MissingOurs      Kind = "missing_ours"   // in the carrier's file, not in our CDRs
	MissingTheirs    Kind = "missing_theirs" // in our CDRs, not in the carrier's file
	DurationMismatch Kind = "duration_mismatch"
	AmountMismatch   Kind = "amount_mismatch"
)

// Discrepancy is one reported difference. Ours or Theirs is zero for a
// missing call. A pair off in both duration and amount gives two.
type Discrepancy struct {
	Kind   Kind `json:"kind"`
	Ours   Call `json:"ours"`
	Theirs Call `json:"theirs"`
}

// Totals count one category.
type Totals struct {
	Calls      int64 `json:"calls"`
	DurationMS int64 `json:"duration_ms"`
	Amount     int64 `json:"amount_micros"`
}

func (t *Totals) add(c Call) {
	t.Calls++
	t.DurationMS += c.DurationMS
	t.Amount += c.Amount
}

// Result is a reconciliation's outcome.
type Result struct {
	Ours, Theirs     Totals
	Matched          Totals // their side of matched pairs
	MissingOurs      Totals
	MissingTheirs    Totals
	DurationMismatch int64
	AmountMismatch   int64
	// Discrepancies are ordered by callee, then start.
	Discrepancies []Discrepancy
}

// Match reconciles ours against theirs. It sorts both slices in place.
//
// Per callee, carrier rows are taken in start order; each is paired with
// the unpaired call of ours with the same callee whose start is nearest
// its own, if within o.Time (ties: the earlier). Because both sides are
// sorted by (callee, start), the candidates form a window that only moves
// forward: one sweep, O(n + m) after the sorts, plus the width of the
// window (calls to one number within 2·o.Time, a handful).
func Match(ours, theirs []Call, o Options) (Result, error) {
	if o.Time < 0 || o.Duration < 0 || o.Amount < 0 {
		return Result{}, ErrOptions
	}
	byCalleeStart := func(a, b Call) int {
		if c := cmp.Compare(a.Callee, b.Callee); c != 0 {
			return c
		}
		return cmp.Compare(a.Start, b.Start)
	}
	slices.SortFunc(ours, byCalleeStart)
	slices.SortFunc(theirs, byCalleeStart)
	var res Result
	tol, durTol := o.Time.Milliseconds(), o.Duration.Milliseconds()
	paired := make([]bool, len(ours))
	// flushed is how far ours has been reported missing: every call
	// before lo that was not paired can no longer be.
	lo, flushed := 0, 0
	flush := func(upTo int) {
		for ; flushed < upTo; flushed++ {
			if !paired[flushed] {
				res.MissingTheirs.add(ours[flushed])
				res.Discrepancies = append(res.Discrepancies, Discrepancy{Kind: MissingTheirs, Ours: ours[flushed]})
			}
		}
	}
	for _, t := range theirs {
		res.Theirs.add(t)
		// Advance past ours that sort before every candidate: a smaller
		// callee, or the same callee too early.
		for lo < len(ours) && (ours[lo].Callee < t.Callee || ours[lo].Callee == t.Callee && ours[lo].Start < t.Start-tol) {
			lo++
		}
		flush(lo)
		best := -1
		for j := lo; j < len(ours) && ours[j].Callee == t.Callee && ours[j].Start <= t.Start+tol; j++ {
			if !paired[j] && (best < 0 || abs(ours[j].Start-t.Start) < abs(ours[best].Start-t.Start)) {
				best = j
			}
		}
		if best < 0 {
			res.MissingOurs.add(t)
			res.Discrepancies = append(res.Discrepancies, Discrepancy{Kind: MissingOurs, Theirs: t})
			continue
		}
		paired[best] = true
		u := ours[best]
		res.Matched.add(t)
		if abs(u.DurationMS-t.DurationMS) > durTol {
			res.DurationMismatch++
			res.Discrepancies = append(res.Discrepancies, Discrepancy{Kind: DurationMismatch, Ours: u, Theirs: t})
		}
		if abs(u.Amount-t.Amount) > o.Amount || u.Currency != t.Currency && t.Currency != "" {
			res.AmountMismatch++
			res.Discrepancies = append(res.Discrepancies, Discrepancy{Kind: AmountMismatch, Ours: u, Theirs: t})
		}
	}
	flush(len(ours))
	for _, u := range ours {
		res.Ours.add(u)
	}
	slices.SortStableFunc(res.Discrepancies, func(a, b Discrepancy) int {
		return byCalleeStart(a.call(), b.call())
	})
	return res, nil
}

// call is the side a discrepancy is sorted by: ours when present.
func (d Discrepancy) call() Call {
	if d.Ours.Callee != "" {
		return d.Ours
	}
	return d.Theirs
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
