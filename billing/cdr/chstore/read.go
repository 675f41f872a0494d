package chstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"softswitch/billing/cdr"
	"softswitch/domain"
)

// selectColumns is what Get and List read, in query's Scan order.
var selectColumns = "id, call_id, caller, callee, source, start, answer, `end`, duration_ms, billable_s, " +
	"disposition, sip_code, reason, ended_by, carrier, trunk, legs, sip_call_id, " + ratingReadColumns +
	", " + mediaColumns

// ratingReadColumns are the rating columns Get and List read back: the
// strings are the record, the micro-unit sums' columns are not.
const ratingReadColumns = "rating_status, rating_version, price, currency, rate_deck, rate_prefix, " +
	"cost, cost_currency, cost_deck, cost_prefix, cost_billable_s"

// Checkpoint returns the position of the latest Put, or 0 before the first.
func (s *Store) Checkpoint(ctx context.Context) (uint64, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	// argMax over the stream's rows is exact whether or not the engine has
	// merged them yet; the table holds one row per Put until it does.
	var cp uint64
	err := s.conn.QueryRow(ctx, "SELECT argMax(position, version) FROM "+s.cpTab+" WHERE stream = ?", s.cfg.Stream).
		Scan(&cp)
	if err != nil {
		return 0, wrap("checkpoint", err)
	}
	return cp, nil
}

// Get returns the CDR with id, or cdr.ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (domain.CDR, error) {
	if err := s.check(); err != nil {
		return domain.CDR{}, err
	}
	// The highest version of the id is the record, merged or not; no
	// FINAL needed for a single key.
	rs, err := s.query(ctx, "SELECT "+selectColumns+" FROM "+s.table+" WHERE id = ? ORDER BY version DESC LIMIT 1", id)
	if err != nil {
		return domain.CDR{}, wrap("get", err)
	}
	if len(rs) == 0 {
		return domain.CDR{}, fmt.Errorf("%w: %s", cdr.ErrNotFound, id)
	}
	return rs[0], nil
}

// List returns the CDRs matching f, ordered by start then call id.
//
// The filter runs in ClickHouse on the deduplicated rows: FINAL in a
// subquery, the predicates outside it. Written as one WHERE next to FINAL,
// 18.16 filters the rows before collapsing them, so an older version of a
// record could match while its current version does not (cdrtest's
// UpsertMovesIndex catches that). Inside the subquery only the day of
// start (the sorting key's prefix) is bounded: all versions of an id share
// it, so it prunes granules without splitting a collapse group.
func (s *Store) List(ctx context.Context, f cdr.Filter) ([]domain.CDR, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	var (
		inner, outer []string
		args         []any
	)
	// The inner predicates come first in the text, so their args do too.
	if !f.Since.IsZero() {
		inner = append(inner, dayExpr+" >= ?")
		args = append(args, ceilMilli(f.Since)/msPerDay)
	}
	if !f.Until.IsZero() {
		inner = append(inner, dayExpr+" <= ?")
		args = append(args, ceilMilli(f.Until)/msPerDay)
	}
	add := func(cond string, arg any) {
		outer = append(outer, cond)
		args = append(args, arg)
	}
	if !f.Since.IsZero() {
		// Since <= start at the stored millisecond: rounding Since up
		// keeps exactly the records the full-precision comparison would.
		add("start >= ?", ceilMilli(f.Since))
	}
	if !f.Until.IsZero() {
		add("start < ?", ceilMilli(f.Until))
	}
	if f.Caller != "" {
		add("caller = ?", f.Caller)
	}
	if f.Callee != "" {
		add("callee = ?", f.Callee)
	}
	if f.Disposition != "" {
		add("disposition = ?", f.Disposition)
	}
	if f.Number != "" {
		outer = append(outer, "(caller = ? OR callee = ?)")
		args = append(args, f.Number, f.Number)
	}
	if f.Trunk != "" {
		add("trunk = ?", f.Trunk)
	}
	var q strings.Builder
	q.WriteString("SELECT " + selectColumns + " FROM (SELECT " + selectColumns + " FROM " + s.table + " FINAL")
	if len(inner) > 0 {
		q.WriteString(" WHERE " + strings.Join(inner, " AND "))
	}
	q.WriteString(")")
	if len(outer) > 0 {
		q.WriteString(" WHERE " + strings.Join(outer, " AND "))
	}
	q.WriteString(" ORDER BY start, call_id")
	if f.Limit > 0 {
		q.WriteString(" LIMIT " + strconv.Itoa(f.Limit))
	}
	rs, err := s.query(noPushdown(ctx), q.String(), args...)
	if err != nil {
		return nil, wrap("list", err)
	}
	return rs, nil
}

// dayExpr is the sorting key's prefix, and msPerDay its divisor; Go's
// integer division truncates toward zero like ClickHouse's intDiv, so
// ceilMilli(t)/msPerDay is the day of t in the key's terms.
const (
	dayExpr  = "intDiv(start, 86400000)"
	msPerDay = 86_400_000
)

// noPushdown keeps the outer predicates out of the FINAL subquery. 18.16
// does not push them by default and current releases never push into a
// FINAL subquery, but a server profile could turn pushdown on for 18.16.
func noPushdown(ctx context.Context) context.Context {
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{
		"enable_optimize_predicate_expression": 0,
	}))
}

func (s *Store) query(ctx context.Context, q string, args ...any) ([]domain.CDR, error) {
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		out         []domain.CDR
		start       int64
		answer, end *int64
		sipCode     int32
		legs        string
		ratingVer   uint32
		media       mediaRow
	)
	for rows.Next() {
		var r domain.CDR
		dests := []any{&r.ID, &r.CallID, &r.Caller, &r.Callee, &r.Source, &start, &answer, &end,
			&r.DurationMS, &r.BillableS, &r.Disposition, &sipCode, &r.Reason, &r.EndedBy, &r.Carrier, &r.Trunk, &legs, &r.SIPCallID,
			&r.RatingStatus, &ratingVer, &r.Price, &r.Currency, &r.RateDeck, &r.RatePrefix,
			&r.Cost, &r.CostCurrency, &r.CostDeck, &r.CostPrefix, &r.CostBillableS}
		if err := rows.Scan(append(dests, media.dests()...)...); err != nil {
			return nil, err
		}
		r.Start = unixMilli(start)
		if answer != nil {
			r.Answer = unixMilli(*answer)
		}
		if end != nil {
			r.End = unixMilli(*end)
		}
		r.SIPCode = int(sipCode)
		r.RatingVersion = int(ratingVer)
		if err := json.Unmarshal([]byte(legs), &r.Legs); err != nil {
			return nil, fmt.Errorf("legs of %s: %w", r.ID, err)
		}
		media.setOn(&r)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ceilMilli is t in Unix milliseconds, rounded up: for a start stored in
// whole milliseconds, start >= t (or < t) exactly when start >= ceilMilli(t).
func ceilMilli(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.Nanosecond()%1_000_000 != 0 {
		ms++
	}
	return ms
}
