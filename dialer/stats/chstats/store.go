// Package chstats is the ClickHouse stats.Store: the campaign statistics
// table beside the CDR table, for the queries of docs/billing-queries.md.
// It works with ClickHouse 18.16 and current releases, as chstore does,
// and shares chstore's connection, migration and version machinery.
//
// As for CDRs, Put inserts the rows and then the checkpoint; a row
// written twice (a retry, a replay) is collapsed by ReplacingMergeTree,
// and every read deduplicates itself (FINAL) until the merge.
package chstats

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"softswitch/billing/cdr/chstore"
	"softswitch/dialer/stats"
)

// Table is the statistics table; its checkpoint is Table+"_checkpoint".
const Table = "campaign_attempts"

//go:embed migrations/*.sql
var migrations embed.FS

// Config says where the table lives: the CDR database by default.
type Config struct {
	// DSN is a clickhouse-go DSN, as chstore's.
	DSN string
	// Database: empty takes the DSN's path, then "default".
	Database string
}

// Store is the ClickHouse stats.Store; safe for concurrent use.
type Store struct {
	conn     driver.Conn
	table    string
	cpTab    string
	versions chstore.VersionClock
	closed   atomic.Bool
}

var _ stats.Store = (*Store)(nil)

// Open connects and applies the table's migrations.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	conn, cc, err := chstore.Connect(chstore.Config{DSN: cfg.DSN, Database: cfg.Database, Table: Table})
	if err != nil {
		return nil, err
	}
	if err := chstore.Migrate(ctx, conn, migrations, cc.Database, Table, log); err != nil {
		_ = conn.Close()
		return nil, err
	}
	db := chstore.QuoteIdent(cc.Database)
	return &Store{conn: conn, table: db + "." + Table, cpTab: db + "." + Table + "_checkpoint"}, nil
}

// Close releases the connections.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.conn.Close()
}

const columns = "id, campaign, lead, attempt, number, caller_id, agent, placed, outcome, reason, sip_code, " +
	"callee_call_id, early_media, amd, digit, confidence, dialed, ended"

// Put inserts rows, then the checkpoint: never the checkpoint without the
// rows before it.
func (s *Store) Put(ctx context.Context, rows []stats.Row, checkpoint uint64) error {
	if s.closed.Load() {
		return stats.ErrClosed
	}
	for _, r := range rows {
		if err := stats.Validate(r); err != nil {
			return err
		}
	}
	version := s.versions.Next()
	if len(rows) > 0 {
		if err := s.insert(ctx, "INSERT INTO "+s.table+" ("+columns+", version)", func(b driver.Batch) error {
			for _, r := range rows {
				if err := b.Append(r.ID, r.Campaign, r.Lead, uint32(max(r.Attempt, 0)), r.Number, r.CallerID, r.Agent,
					boolByte(r.Placed), r.Outcome, r.Reason, int32(r.SIPCode), r.CalleeCallID, r.EarlyMedia, r.AMD,
					r.Digit, r.Confidence, r.Dialed.UnixMilli(), r.Ended.UnixMilli(), version); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return s.insert(ctx, "INSERT INTO "+s.cpTab+" (position, version)", func(b driver.Batch) error {
		return b.Append(checkpoint, version)
	})
}

// insert sends one batch (18.16 never answers an INSERT ... VALUES sent
// as a plain query by this driver; see chstore).
func (s *Store) insert(ctx context.Context, stmt string, fill func(driver.Batch) error) error {
	b, err := s.conn.PrepareBatch(ctx, stmt)
	if err != nil {
		return wrap("put", err)
	}
	defer b.Abort() //nolint:errcheck // a no-op after Send
	if err := fill(b); err != nil {
		return wrap("put", err)
	}
	return wrap("put", b.Send())
}

// Checkpoint is exact before and after merges (argMax over the rows).
func (s *Store) Checkpoint(ctx context.Context) (uint64, error) {
	if s.closed.Load() {
		return 0, stats.ErrClosed
	}
	var cp uint64
	if err := s.conn.QueryRow(ctx, "SELECT argMax(position, version) FROM "+s.cpTab).Scan(&cp); err != nil {
		return 0, wrap("checkpoint", err)
	}
	return cp, nil
}

// List reads a campaign's rows, deduplicated (FINAL).
func (s *Store) List(ctx context.Context, campaign string) ([]stats.Row, error) {
	if s.closed.Load() {
		return nil, stats.ErrClosed
	}
	rs, err := s.conn.Query(ctx, "SELECT "+columns+" FROM "+s.table+" FINAL WHERE campaign = ? ORDER BY dialed, id", campaign)
	if err != nil {
		return nil, wrap("list", err)
	}
	defer rs.Close()
	var out []stats.Row
	for rs.Next() {
		var (
			r             stats.Row
			attempt       uint32
			placed        uint8
			code          int32
			dialed, ended int64
		)
		if err := rs.Scan(&r.ID, &r.Campaign, &r.Lead, &attempt, &r.Number, &r.CallerID, &r.Agent, &placed,
			&r.Outcome, &r.Reason, &code, &r.CalleeCallID, &r.EarlyMedia, &r.AMD, &r.Digit, &r.Confidence,
			&dialed, &ended); err != nil {
			return nil, wrap("list", err)
		}
		r.Attempt, r.Placed, r.SIPCode = int(attempt), placed == 1, int(code)
		r.Dialed, r.Ended = time.UnixMilli(dialed).UTC(), time.UnixMilli(ended).UTC()
		out = append(out, r)
	}
	return out, wrap("list", rs.Err())
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// wrap adds the package prefix; nil stays nil.
func wrap(op string, err error) error {
	if err == nil || errors.Is(err, stats.ErrClosed) {
		return err
	}
	return fmt.Errorf("chstats: %s: %w", op, err)
}
