package settle

import (
	"context"
	"fmt"
	"strings"

	"softswitch/billing/cdr"
	"softswitch/domain"
)

// Lister is the part of cdr.Store a StoreSource reads.
type Lister interface {
	List(ctx context.Context, f cdr.Filter) ([]domain.CDR, error)
}

// StoreSource computes statements by folding the CDRs of an embedded
// store in Go. The store keeps one record per CDR id, so there is nothing
// to deduplicate.
type StoreSource struct {
	Store Lister
}

// Sums lists the period's CDRs and folds those of q's carrier.
func (s StoreSource) Sums(ctx context.Context, q Query) ([]Sums, error) {
	list, err := s.Store.List(ctx, cdr.Filter{Since: q.From, Until: q.To})
	if err != nil {
		return nil, err
	}
	return Fold(q, list)
}

// sumsKey groups a fold.
type sumsKey struct{ prefix, currency string }

// Fold sums the CDRs of list that q selects (carrier, start in [From, To),
// callee prefixes). It is the reference the SQL of chsettle is tested
// against.
func Fold(q Query, list []domain.CDR) ([]Sums, error) {
	acc := map[sumsKey]*Sums{}
	for i := range list {
		r := &list[i]
		if !Selects(q, r) {
			continue
		}
		k := sumsKey{r.CostPrefix, r.CostCurrency}
		s := acc[k]
		if s == nil {
			s = &Sums{Prefix: k.prefix, Currency: k.currency}
			acc[k] = s
		}
		cost, err := ParseMicros(r.Cost)
		if err != nil {
			return nil, fmt.Errorf("cdr %s: cost: %w", r.ID, err)
		}
		s.Calls++
		s.BillableS += r.CostBillableS
		s.CostMicros += cost
		if r.Disposition == "answered" {
			s.Answered++
			s.AnsweredMS += answeredMS(r)
			if r.RatingStatus == "unrated" {
				s.Unrated++
			}
		}
	}
	out := make([]Sums, 0, len(acc))
	for _, s := range acc {
		out = append(out, *s)
	}
	return out, nil
}

// Selects tells whether q's statement counts r.
func Selects(q Query, r *domain.CDR) bool {
	start := r.Start.Time()
	if r.Carrier != q.Carrier || start.Before(q.From) || !start.Before(q.To) {
		return false
	}
	if len(q.CalleePrefixes) == 0 {
		return true
	}
	for _, p := range q.CalleePrefixes {
		if strings.HasPrefix(r.Callee, p) {
			return true
		}
	}
	return false
}

// answeredMS is the conversation time of an answered CDR, as the SQL
// computes it from the answer and end columns.
func answeredMS(r *domain.CDR) int64 {
	a, e := r.Answer.Time(), r.End.Time()
	if a.IsZero() || e.IsZero() {
		return 0
	}
	return e.UnixMilli() - a.UnixMilli()
}
