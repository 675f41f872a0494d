// Package settle produces inter-operator settlement statements: for one
// carrier and period, what the carrier charges us (the buy side of our
// rated CDRs), by the destination prefix its deck matched.
//
// A Source returns integer sums per (prefix, currency) — the ClickHouse
// adapter (chsettle) in SQL, StoreSource by folding cdr.Store.List — and
// Build derives every figure shown (minutes, ASR, ACD, amounts) from those
// integers in one place, so the two backends print the same statement.
// docs/settlement.md has the definitions.
package settle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

var (
	// ErrQuery is returned for a statement request that cannot be run.
	ErrQuery = errors.New("settle: invalid query")
	// ErrMixedCurrency is returned when the carrier's costs in the period
	// are in more than one currency: one statement has one currency.
	ErrMixedCurrency = errors.New("settle: costs in more than one currency")
)

// Query selects the CDRs of one statement.
type Query struct {
	// Carrier is the CDR's carrier: whose trunks carried the call.
	Carrier string
	// From and To bound the call's start: From <= start < To.
	From, To time.Time
	// CalleePrefixes, when set, keeps only calls whose callee (E.164
	// digits) starts with one of them: a hosted MVNO's number ranges, for
	// the wholesale statement between the MVNO and its host (see
	// docs/settlement.md).
	CalleePrefixes []string
}

// Validate tells whether q can be run; errors name the field.
func (q Query) Validate() error {
	switch {
	case q.Carrier == "":
		return fmt.Errorf("%w: carrier is required", ErrQuery)
	case q.From.IsZero() || q.To.IsZero():
		return fmt.Errorf("%w: from and to are required", ErrQuery)
	case !q.From.Before(q.To):
		return fmt.Errorf("%w: from %s is not before to %s", ErrQuery, q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	}
	for _, p := range q.CalleePrefixes {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return fmt.Errorf("%w: callee prefix %q is not digits", ErrQuery, p)
		}
	}
	return nil
}

// Sums are the additive figures of one destination prefix in one
// currency. Every field adds up, so sums of parts (days, shards) combine
// with Add.
type Sums struct {
	Prefix   string // cost_prefix: the buy-side deck's matched prefix; "" when unrated
	Currency string // cost_currency
	Calls    int64  // attempts: every CDR
	Answered int64  // CDRs with disposition answered
	Unrated  int64  // answered CDRs the rater found no buy rate for
	// BillableS is the sum of cost_billable_s: seconds after the
	// carrier's increments and minimum.
	BillableS int64
	// AnsweredMS is the sum of end - answer over answered calls: the
	// conversation time ACD averages.
	AnsweredMS int64
	// CostMicros is the sum of cost in micro-units.
	CostMicros int64
}

// Add adds o's counters to s.
func (s *Sums) Add(o Sums) {
	s.Calls += o.Calls
	s.Answered += o.Answered
	s.Unrated += o.Unrated
	s.BillableS += o.BillableS
	s.AnsweredMS += o.AnsweredMS
	s.CostMicros += o.CostMicros
}

// Source computes the sums of a query, one row per (prefix, currency), in
// any order.
type Source interface {
	Sums(ctx context.Context, q Query) ([]Sums, error)
}

// Line is one destination prefix of a statement.
type Line struct {
	Prefix    string `json:"prefix"`
	Calls     int64  `json:"calls"`
	Answered  int64  `json:"answered"`
	Unrated   int64  `json:"unrated"`
	BillableS int64  `json:"billable_s"`
	// Minutes, ASR and ACD are JSON numbers written from integer
	// arithmetic (never a float), so both backends print the same digits.
	Minutes json.Number `json:"minutes"` // billable_s / 60, 4 decimals, half up
	Amount  string      `json:"amount"`  // exact
	ASR     json.Number `json:"asr"`     // answered / calls, 4 decimals, half up
	ACD     json.Number `json:"acd"`     // seconds of talk per answered call, 1 decimal, half up
}

// Statement is one carrier's statement for a period. Amounts are exact
// decimal strings; ratios are decimal strings computed in integers.
type Statement struct {
	Carrier   string      `json:"carrier"`
	Wholesale []string    `json:"wholesale_ranges,omitempty"`
	From      time.Time   `json:"from"`
	To        time.Time   `json:"to"`
	Currency  string      `json:"currency"`
	Calls     int64       `json:"calls"`
	Answered  int64       `json:"answered"`
	Unrated   int64       `json:"unrated"`
	BillableS int64       `json:"billable_s"`
	Minutes   json.Number `json:"minutes"`
	Amount    string      `json:"amount"`
	ASR       json.Number `json:"asr"`
	ACD       json.Number `json:"acd"`
	Lines     []Line      `json:"lines"`
}

// Compute runs q on src and builds the statement.
func Compute(ctx context.Context, src Source, q Query) (Statement, error) {
	if err := q.Validate(); err != nil {
		return Statement{}, err
	}
	sums, err := src.Sums(ctx, q)
	if err != nil {
		return Statement{}, err
	}
	return Build(q, sums)
}

// Build merges sums by prefix and derives the shown figures. Lines are
// ordered by prefix. Sums with zero calls are dropped.
func Build(q Query, sums []Sums) (Statement, error) {
	st := Statement{Carrier: q.Carrier, Wholesale: q.CalleePrefixes, From: q.From.UTC(), To: q.To.UTC(), Lines: []Line{}}
	byPrefix := map[string]*Sums{}
	var total Sums
	for _, s := range sums {
		if s.Calls == 0 {
			continue
		}
		// Unanswered and unrated calls carry no cost and so no currency;
		// they must not make a statement look mixed.
		if s.Currency != "" {
			if st.Currency != "" && st.Currency != s.Currency {
				return Statement{}, fmt.Errorf("%w: %s and %s", ErrMixedCurrency, st.Currency, s.Currency)
			}
			st.Currency = s.Currency
		}
		p := byPrefix[s.Prefix]
		if p == nil {
			p = &Sums{Prefix: s.Prefix}
			byPrefix[s.Prefix] = p
		}
		p.Add(s)
		total.Add(s)
	}
	for _, p := range byPrefix {
		st.Lines = append(st.Lines, line(*p))
	}
	slices.SortFunc(st.Lines, func(a, b Line) int { return strings.Compare(a.Prefix, b.Prefix) })
	t := line(total)
	st.Calls, st.Answered, st.Unrated, st.BillableS = t.Calls, t.Answered, t.Unrated, t.BillableS
	st.Minutes, st.Amount, st.ASR, st.ACD = t.Minutes, t.Amount, t.ASR, t.ACD
	return st, nil
}

func line(s Sums) Line {
	acd := "0"
	if s.Answered > 0 {
		acd = ratio(s.AnsweredMS, s.Answered*1000, 1)
	}
	minutes := json.Number(ratio(s.BillableS, 60, 4))
	return Line{
		Prefix: s.Prefix, Calls: s.Calls, Answered: s.Answered, Unrated: s.Unrated, BillableS: s.BillableS,
		Minutes: minutes, Amount: FormatMicros(s.CostMicros), ASR: json.Number(ratio(s.Answered, s.Calls, 4)), ACD: json.Number(acd),
	}
}
