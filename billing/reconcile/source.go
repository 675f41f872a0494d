package reconcile

import (
	"context"
	"fmt"
	"time"

	"softswitch/billing/cdr"
	"softswitch/billing/settle"
	"softswitch/domain"
)

// Source gives our answered calls of a carrier whose CDR start is in
// [from, to).
type Source interface {
	OurCalls(ctx context.Context, carrier string, from, to time.Time) ([]Call, error)
}

// StoreSource reads our calls from an embedded cdr store.
type StoreSource struct {
	Store settle.Lister
}

// OurCalls lists and converts the carrier's answered CDRs.
func (s StoreSource) OurCalls(ctx context.Context, carrier string, from, to time.Time) ([]Call, error) {
	list, err := s.Store.List(ctx, cdr.Filter{Since: from, Until: to, Disposition: "answered"})
	if err != nil {
		return nil, err
	}
	var out []Call
	for i := range list {
		r := &list[i]
		if r.Carrier != carrier {
			continue
		}
		c, err := FromCDR(r)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// FromCDR is our side of an answered CDR: start is the answer time (the
// carrier bills from its connect), duration the answered time, amount the
// buy-side cost.
func FromCDR(r *domain.CDR) (Call, error) {
	cost, err := settle.ParseMicros(r.Cost)
	if err != nil {
		return Call{}, fmt.Errorf("cdr %s: cost: %w", r.ID, err)
	}
	start := r.Answer.Time()
	if start.IsZero() {
		start = r.Start.Time()
	}
	var dur int64
	if !r.End.Time().IsZero() && !r.Answer.Time().IsZero() {
		dur = r.End.Time().UnixMilli() - r.Answer.Time().UnixMilli()
	}
	return Call{ID: r.ID, Callee: Normalize(r.Callee), Start: start.UnixMilli(), DurationMS: dur, Amount: cost, Currency: r.CostCurrency}, nil
}
