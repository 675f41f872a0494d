package chstore

import (
	"context"
	"time"

	"softswitch/domain"
)

// historyColumns is the insert into <table>_rating_history (migration
// 0004), in historyCols order.
const historyColumns = "id, rating_version, rating_status, start, price, price_micro, currency, rate_deck, rate_prefix, billable_s, " +
	"cost, cost_micro, cost_currency, cost_deck, cost_prefix, cost_billable_s, rated_at"

// PutRatingHistory appends the rating of every CDR to the audit table
// <table>_rating_history, which keeps every version (the cdr table keeps
// the newest only). The re-rater calls it with the same CDRs it Puts;
// the pipeline may call it for first ratings too. rated_at is now. A
// retry may append a version twice: the history is read per (id,
// rating_version), so a duplicate changes nothing.
func (s *Store) PutRatingHistory(ctx context.Context, cdrs []domain.CDR) error {
	if err := s.check(); err != nil {
		return err
	}
	if len(cdrs) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return wrap("rating history", err)
	}
	now := time.Now().UnixMilli()
	for start := 0; start < len(cdrs); start += s.cfg.BatchRows {
		chunk := cdrs[start:min(start+s.cfg.BatchRows, len(cdrs))]
		if err := s.insertHistory(ctx, chunk, now); err != nil {
			return wrap("rating history", err)
		}
	}
	return nil
}

func (s *Store) insertHistory(ctx context.Context, cdrs []domain.CDR, now int64) error {
	var rc ratingCols
	ids := make([]string, 0, len(cdrs))
	starts := make([]int64, 0, len(cdrs))
	billable := make([]int64, 0, len(cdrs))
	ratedAt := make([]int64, 0, len(cdrs))
	for i := range cdrs {
		r := &cdrs[i]
		if err := rc.add(r.ID, &r.Rating); err != nil {
			return err
		}
		ids = append(ids, r.ID)
		starts = append(starts, r.Start.Time().UnixMilli())
		billable = append(billable, r.BillableS)
		ratedAt = append(ratedAt, now)
	}
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.table+"_rating_history ("+historyColumns+")")
	if err != nil {
		return err
	}
	defer batch.Abort() //nolint:errcheck // a no-op after Send
	vals := []any{ids, rc.version, rc.status, starts, rc.price, rc.priceMicro, rc.currency, rc.deck, rc.prefix, billable,
		rc.cost, rc.costMicro, rc.costCurrency, rc.costDeck, rc.costPrefx, rc.costBillableS, ratedAt}
	for i, v := range vals {
		if err := batch.Column(i).Append(v); err != nil {
			return err
		}
	}
	return batch.Send()
}

// RatingRecord is one rating of a CDR in the audit history.
type RatingRecord struct {
	ID        string
	BillableS int64
	domain.Rating
	RatedAt time.Time
}

// RatingHistory returns every stored rating of the CDR id, oldest
// version first (one row per version).
func (s *Store) RatingHistory(ctx context.Context, id string) ([]RatingRecord, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	rows, err := s.conn.Query(ctx, "SELECT rating_version, any(rating_status), any(price), any(currency), any(rate_deck), any(rate_prefix), "+
		"any(billable_s), any(cost), any(cost_currency), any(cost_deck), any(cost_prefix), any(cost_billable_s), min(rated_at) "+
		"FROM "+s.table+"_rating_history WHERE id = ? GROUP BY rating_version ORDER BY rating_version", id)
	if err != nil {
		return nil, wrap("rating history", err)
	}
	defer rows.Close()
	var out []RatingRecord
	for rows.Next() {
		var (
			r       = RatingRecord{ID: id}
			version uint32
			at      int64
		)
		if err := rows.Scan(&version, &r.RatingStatus, &r.Price, &r.Currency, &r.RateDeck, &r.RatePrefix,
			&r.BillableS, &r.Cost, &r.CostCurrency, &r.CostDeck, &r.CostPrefix, &r.CostBillableS, &at); err != nil {
			return nil, wrap("rating history", err)
		}
		r.RatingVersion, r.RatedAt = int(version), time.UnixMilli(at).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("rating history", err)
	}
	return out, nil
}
