// Package chstore is the ClickHouse cdr.Store, for billing to query CDRs
// with SQL. It works with ClickHouse 18.16 (Debian's) and current
// releases over the native protocol; docs/clickhouse.md has the schema,
// the exactly-once mechanism and the compatibility notes.
//
// ClickHouse has no transactions and no unique keys. Put inserts the
// batch and then the checkpoint; a replayed or redelivered CDR is simply
// inserted again and the ReplacingMergeTree engine collapses rows with
// the same id in the background. Until it does, every read deduplicates
// itself (FINAL), so readers never see a duplicate.
package chstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"softswitch/billing/cdr"
)

// Store is the ClickHouse cdr.Store. It is safe for concurrent use.
type Store struct {
	conn     driver.Conn
	log      *slog.Logger
	cfg      Config
	table    string // `db`.table, spliced into statements
	cpTab    string // `db`.table_checkpoint
	closed   atomic.Bool
	versions VersionClock
}

var (
	_ cdr.Store        = (*Store)(nil)
	_ cdr.RecordWriter = (*Store)(nil)
)

// Open connects, creates the database when missing and applies the schema
// migrations. It fails when ClickHouse is unreachable; once open, the
// driver reconnects by itself after an outage.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	conn, cfg, err := Connect(cfg)
	if err != nil {
		return nil, err
	}
	if err := Migrate(ctx, conn, migrations, cfg.Database, cfg.Table, log); err != nil {
		_ = conn.Close()
		return nil, err
	}
	db := QuoteIdent(cfg.Database)
	return &Store{
		conn:  conn,
		log:   log,
		cfg:   cfg,
		table: db + "." + cfg.Table,
		cpTab: db + "." + cfg.Table + "_checkpoint",
	}, nil
}

// Connect validates cfg (after defaults, which it returns applied) and
// opens a connection pool without a database: it may not exist yet (the
// handshake would fail), and every statement names it anyway. Other
// ClickHouse projections (dialer/stats/chstats) open theirs through it.
func Connect(cfg Config) (driver.Conn, Config, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, cfg, err
	}
	opts, err := clickhouse.ParseDSN(cfg.DSN)
	if err != nil {
		return nil, cfg, fmt.Errorf("%w: dsn: %v", ErrConfig, err)
	}
	opts.Auth.Database = ""
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, cfg, fmt.Errorf("chstore: connect: %w", err)
	}
	return conn, cfg, nil
}

// Close releases the connections. Calls after Close return cdr.ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.conn.Close()
}

func (s *Store) check() error {
	if s.closed.Load() {
		return cdr.ErrClosed
	}
	return nil
}

// nextVersion is the ReplacingMergeTree version of one Put (VersionClock).
func (s *Store) nextVersion() uint64 { return s.versions.Next() }

// VersionClock hands out ReplacingMergeTree versions: the wall clock in
// nanoseconds, forced to grow within this process so that a later write
// of the same id always wins even if the clock steps back. Writers in
// different processes rely on their clocks; the records they race on are
// the same deterministic record, so which copy wins does not matter. The
// zero value is ready to use.
type VersionClock struct {
	mu   sync.Mutex
	last uint64
}

// Next returns a version greater than every one this clock returned.
func (c *VersionClock) Next() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := uint64(time.Now().UnixNano())
	if v <= c.last {
		v = c.last + 1
	}
	c.last = v
	return v
}

// wrap adds the package prefix and keeps context errors recognisable.
func wrap(op string, err error) error {
	if errors.Is(err, cdr.ErrClosed) || errors.Is(err, cdr.ErrNotFound) {
		return err
	}
	return fmt.Errorf("chstore: %s: %w", op, err)
}
