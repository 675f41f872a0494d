package chstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"softswitch/billing/cdr"
	"softswitch/billing/rating"
	"softswitch/domain"
)

// insertColumns is the column list of the CDR insert, in the order
// columns.appendTo fills them.
var insertColumns = "id, call_id, caller, callee, source, start, answer, `end`, duration_ms, billable_s, " +
	"disposition, sip_code, reason, ended_by, legs, carrier, trunk, version, sip_call_id, " + ratingColumns +
	", " + mediaColumns

// ratingColumns are domain.Rating's columns (migration 0003), in the order
// of ratingCols.
const ratingColumns = "rating_status, rating_version, price, currency, rate_deck, rate_prefix, " +
	"cost, cost_currency, cost_deck, cost_prefix, cost_billable_s, price_micro, cost_micro"

// Put inserts cdrs (in inserts of at most Config.BatchRows rows, see
// PutRecords) and then records checkpoint. It is not atomic the way boltstore's Put is, but it
// is safe to retry: if it fails part-way, some rows may be stored while
// the checkpoint is not, and the caller's retry (or the replay after a
// restart) inserts them again, which the reads deduplicate. The
// checkpoint is only written after every row is, so it never runs ahead of
// the records.
func (s *Store) Put(ctx context.Context, cdrs []domain.CDR, checkpoint uint64) error {
	if err := s.PutRecords(ctx, cdrs); err != nil {
		return err
	}
	return s.putCheckpoint(ctx, checkpoint, s.nextVersion())
}

// PutRecords inserts cdrs without touching the checkpoint
// (cdr.RecordWriter): with Kafka the consumer group's committed offsets
// are the checkpoint, and a second insert per flush would only cost.
func (s *Store) PutRecords(ctx context.Context, cdrs []domain.CDR) error {
	if err := s.check(); err != nil {
		return err
	}
	for _, r := range cdrs {
		if err := cdr.Validate(r); err != nil {
			return err
		}
	}
	// The driver would notice too, but only after encoding the batch.
	if err := ctx.Err(); err != nil {
		return wrap("put", err)
	}
	version := s.nextVersion()
	// Large batches go in as two concurrent inserts on two connections:
	// while the server parses and writes one block the client encodes the
	// other, instead of each side waiting on the other (measured in
	// docs/benchmarks.md). Order does not matter: every row is its own id.
	parts := min(len(cdrs)/parallelMinRows, parallelInserts)
	if parts < 2 {
		return s.insertAll(ctx, cdrs, version)
	}
	errs := make(chan error, parts)
	size := (len(cdrs) + parts - 1) / parts
	for i := 0; i < len(cdrs); i += size {
		go func(part []domain.CDR) { errs <- s.insertAll(ctx, part, version) }(cdrs[i:min(i+size, len(cdrs))])
	}
	var all []error
	for range (len(cdrs) + size - 1) / size {
		all = append(all, <-errs)
	}
	return errors.Join(all...)
}

// parallelMinRows is the least rows each of two concurrent inserts gets:
// below it one insert's fixed cost outweighs the overlap.
const parallelMinRows = 4096

// parallelInserts caps the concurrent inserts of one Put.
const parallelInserts = 2

// insertAll inserts cdrs in inserts of at most Config.BatchRows rows.
func (s *Store) insertAll(ctx context.Context, cdrs []domain.CDR, version uint64) error {
	var cols columns
	for start := 0; start < len(cdrs); start += s.cfg.BatchRows {
		chunk := cdrs[start:min(start+s.cfg.BatchRows, len(cdrs))]
		if err := s.insert(ctx, &cols, chunk, version); err != nil {
			return wrap("insert cdrs", err)
		}
	}
	return nil
}

func (s *Store) insert(ctx context.Context, cols *columns, cdrs []domain.CDR, version uint64) error {
	if err := cols.fill(cdrs, version); err != nil {
		return err
	}
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.table+" ("+insertColumns+")")
	if err != nil {
		return err
	}
	defer batch.Abort() //nolint:errcheck // a no-op after Send
	if err := cols.appendTo(batch); err != nil {
		return err
	}
	return batch.Send()
}

func (s *Store) putCheckpoint(ctx context.Context, position, version uint64) error {
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.cpTab+" (stream, position, version)")
	if err != nil {
		return wrap("checkpoint", err)
	}
	defer batch.Abort() //nolint:errcheck // a no-op after Send
	if err := batch.Append(s.cfg.Stream, position, version); err != nil {
		return wrap("checkpoint", err)
	}
	if err := batch.Send(); err != nil {
		return wrap("checkpoint", err)
	}
	return nil
}

// legsBytesPerRow is the usual size of a CDR's legs JSON (two legs).
const legsBytesPerRow = 768

// columns holds one insert's values column by column: the driver takes a
// whole slice per column in one call, which skips its per-row reflection.
// The slices are reused across the inserts of one Put.
type columns struct {
	id, callID, caller, callee, source          []string
	start, durationMS, billableS                []int64
	answer, end                                 []*int64
	disposition, reason, endedBy, legs, carrier []string
	trunk, sipCallID                            []string
	sipCode                                     []int32
	version                                     []uint64
	// millis backs the answer/end pointers, two per row.
	millis []int64
	// legsBuf holds every row's legs JSON back to back; legsEnd[i] is
	// where row i's ends.
	legsBuf []byte
	legsEnd []int
	rating  ratingCols
	media   mediaCols
}

// ratingCols are the rating columns of an insert.
type ratingCols struct {
	status, price, currency, deck, prefix   []string
	cost, costCurrency, costDeck, costPrefx []string
	version                                 []uint32
	costBillableS, priceMicro, costMicro    []int64
}

func (c *ratingCols) reset() {
	c.status, c.price, c.currency, c.deck, c.prefix = c.status[:0], c.price[:0], c.currency[:0], c.deck[:0], c.prefix[:0]
	c.cost, c.costCurrency, c.costDeck, c.costPrefx = c.cost[:0], c.costCurrency[:0], c.costDeck[:0], c.costPrefx[:0]
	c.version, c.costBillableS, c.priceMicro, c.costMicro = c.version[:0], c.costBillableS[:0], c.priceMicro[:0], c.costMicro[:0]
}

// add appends r's rating. The micro-unit columns are parsed from the
// strings, so the two can never disagree; a malformed amount fails the
// insert rather than storing a sum that lies.
func (c *ratingCols) add(id string, r *domain.Rating) error {
	pm, err := micros(r.Price)
	if err != nil {
		return fmt.Errorf("price of %s: %q: %w", id, r.Price, err)
	}
	cm, err := micros(r.Cost)
	if err != nil {
		return fmt.Errorf("cost of %s: %q: %w", id, r.Cost, err)
	}
	if r.RatingVersion < 0 || r.RatingVersion > math.MaxUint32 {
		return fmt.Errorf("rating version of %s: %d out of range", id, r.RatingVersion)
	}
	c.status = append(c.status, r.RatingStatus)
	c.version = append(c.version, uint32(r.RatingVersion))
	c.price = append(c.price, r.Price)
	c.currency = append(c.currency, r.Currency)
	c.deck = append(c.deck, r.RateDeck)
	c.prefix = append(c.prefix, r.RatePrefix)
	c.cost = append(c.cost, r.Cost)
	c.costCurrency = append(c.costCurrency, r.CostCurrency)
	c.costDeck = append(c.costDeck, r.CostDeck)
	c.costPrefx = append(c.costPrefx, r.CostPrefix)
	c.costBillableS = append(c.costBillableS, r.CostBillableS)
	c.priceMicro = append(c.priceMicro, pm)
	c.costMicro = append(c.costMicro, cm)
	return nil
}

// values are the columns in ratingColumns order.
func (c *ratingCols) values() []any {
	return []any{c.status, c.version, c.price, c.currency, c.deck, c.prefix,
		c.cost, c.costCurrency, c.costDeck, c.costPrefx, c.costBillableS, c.priceMicro, c.costMicro}
}

// micros is an amount's micro-units, 0 for "" (not rated).
func micros(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	m, err := rating.ParseMoney(s)
	return m.Micros(), err
}

func (c *columns) fill(cdrs []domain.CDR, version uint64) error {
	n := len(cdrs)
	c.reset(n)
	for i := range cdrs {
		r := &cdrs[i]
		var err error
		if c.legsBuf, err = appendLegs(c.legsBuf, r.Legs); err != nil {
			return fmt.Errorf("legs of %s: %w", r.ID, err)
		}
		c.legsEnd = append(c.legsEnd, len(c.legsBuf))
		c.id = append(c.id, r.ID)
		c.callID = append(c.callID, r.CallID)
		c.caller = append(c.caller, r.Caller)
		c.callee = append(c.callee, r.Callee)
		c.source = append(c.source, r.Source)
		c.start = append(c.start, r.Start.Time().UnixMilli())
		c.answer = append(c.answer, c.nullableMillis(r.Answer))
		c.end = append(c.end, c.nullableMillis(r.End))
		c.durationMS = append(c.durationMS, r.DurationMS)
		c.billableS = append(c.billableS, r.BillableS)
		c.disposition = append(c.disposition, r.Disposition)
		c.sipCode = append(c.sipCode, int32(r.SIPCode))
		c.reason = append(c.reason, r.Reason)
		c.endedBy = append(c.endedBy, r.EndedBy)
		c.carrier = append(c.carrier, r.Carrier)
		c.trunk = append(c.trunk, r.Trunk)
		c.version = append(c.version, version)
		c.sipCallID = append(c.sipCallID, r.SIPCallID)
		if err := c.rating.add(r.ID, &r.Rating); err != nil {
			return err
		}
		c.media.add(r)
	}
	// One string for all the legs of the insert, sliced per row: a
	// conversion per row was an allocation and a copy per row.
	all := string(c.legsBuf)
	from := 0
	for _, end := range c.legsEnd {
		c.legs = append(c.legs, all[from:end])
		from = end
	}
	return nil
}

func (c *columns) reset(n int) {
	c.id, c.callID, c.caller, c.callee, c.source = c.id[:0], c.callID[:0], c.caller[:0], c.callee[:0], c.source[:0]
	c.start, c.durationMS, c.billableS = c.start[:0], c.durationMS[:0], c.billableS[:0]
	c.answer, c.end = c.answer[:0], c.end[:0]
	c.disposition, c.reason, c.endedBy, c.legs, c.carrier = c.disposition[:0], c.reason[:0], c.endedBy[:0], c.legs[:0], c.carrier[:0]
	c.trunk, c.sipCode, c.version, c.sipCallID = c.trunk[:0], c.sipCode[:0], c.version[:0], c.sipCallID[:0]
	c.legsBuf, c.legsEnd = c.legsBuf[:0], c.legsEnd[:0]
	c.rating.reset()
	c.media.reset()
	// Two legs of JSON are about 700 bytes: sizing once avoids the copies
	// of append's doubling over a 50k-row batch.
	c.legsBuf = slices.Grow(c.legsBuf, n*legsBytesPerRow)
	// A fresh backing array each time: the pointers handed to the driver
	// in the previous insert must not see their values change.
	c.millis = make([]int64, 0, 2*n)
}

// nullableMillis is nil for a zero time (JSON null), else its Unix
// milliseconds.
func (c *columns) nullableMillis(t domain.Timestamp) *int64 {
	if t.Time().IsZero() {
		return nil
	}
	c.millis = append(c.millis, t.Time().UnixMilli())
	return &c.millis[len(c.millis)-1]
}

// appendTo hands each column to the batch, in insertColumns order.
func (c *columns) appendTo(batch driver.Batch) error {
	vals := []any{
		c.id, c.callID, c.caller, c.callee, c.source, c.start, c.answer, c.end, c.durationMS, c.billableS,
		c.disposition, c.sipCode, c.reason, c.endedBy, c.legs, c.carrier, c.trunk, c.version, c.sipCallID,
	}
	vals = append(vals, c.rating.values()...)
	vals = append(vals, c.media.values()...)
	for i, v := range vals {
		if err := batch.Column(i).Append(v); err != nil {
			return fmt.Errorf("column %d: %w", i, err)
		}
	}
	return nil
}

// unixMilli is the inverse of the stored encoding: UTC at millisecond
// precision, which is all the JSON of a CDR carries.
func unixMilli(ms int64) domain.Timestamp { return domain.Timestamp(time.UnixMilli(ms).UTC()) }
