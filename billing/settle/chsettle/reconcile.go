package chsettle

import (
	"context"
	"fmt"
	"time"

	"softswitch/billing/reconcile"
)

var _ reconcile.Source = (*Source)(nil)

// OurCalls reads the carrier's answered calls with start in [from, to)
// from the CDR table, deduplicated by FINAL, without the legs JSON that
// chstore.List would decode.
func (s *Source) OurCalls(ctx context.Context, carrier string, from, to time.Time) ([]reconcile.Call, error) {
	f, t := from.UnixMilli(), to.UnixMilli()
	rows, err := s.conn.Query(ctx, s.sql(qOurCalls), floorDay(f), floorDay(t-1), carrier, f, t)
	if err != nil {
		return nil, fmt.Errorf("chsettle: our calls: %w", err)
	}
	defer rows.Close()
	var out []reconcile.Call
	for rows.Next() {
		var c reconcile.Call
		if err := rows.Scan(&c.ID, &c.Callee, &c.Start, &c.DurationMS, &c.Amount, &c.Currency); err != nil {
			return nil, fmt.Errorf("chsettle: our calls: %w", err)
		}
		c.Callee = reconcile.Normalize(c.Callee)
		out = append(out, c)
	}
	return out, rows.Err()
}

// WriteReconciliation stores one row per discrepancy of the run in the
// reconciliation table.
func (s *Source) WriteReconciliation(ctx context.Context, rep reconcile.Report) error {
	if len(rep.Discrepancies) == 0 {
		return nil
	}
	batch, err := s.conn.PrepareBatch(ctx, s.sql(qInsertReconciliation))
	if err != nil {
		return fmt.Errorf("chsettle: reconciliation: %w", err)
	}
	defer batch.Abort() //nolint:errcheck // a no-op after Send
	ms := func(ts string) *int64 {
		if ts == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return nil
		}
		v := t.UnixMilli()
		return &v
	}
	for _, d := range rep.Discrepancies {
		err := batch.Append(rep.ID, rep.At.UnixMilli(), rep.Carrier, rep.File, string(d.Kind), d.Callee, d.OurID,
			ms(d.OurStart), ms(d.TheirStart), int64(d.TheirLine), d.OurDurationMS, d.TheirDurationMS, d.DurationDiffMS,
			d.OurAmount, d.TheirAmount, d.AmountDiff, d.Currency)
		if err != nil {
			return fmt.Errorf("chsettle: reconciliation: %w", err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("chsettle: reconciliation: %w", err)
	}
	return nil
}
