// Package chsettle is the ClickHouse side of settlement and
// reconciliation: statements over the cdr table (exact under duplicate
// inserts), the per-day rollup that keeps a month's statement under a
// second, our calls for reconciliation and the reconciliation table.
// It is the only billing/settle code that imports clickhouse-go.
package chsettle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"softswitch/billing/settle"
)

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("chsettle: invalid config")

// Config says where the CDR table is.
type Config struct {
	// DSN is clickhouse://host:9000/db (the native protocol; see
	// docs/clickhouse.md for why not HTTP on 18.16).
	DSN string
	// Database holds the cdr table; empty takes the DSN's path, then
	// "default".
	Database string
	// Table is the CDR table, "cdr" by default; the rollup tables are
	// Table+"_settle_daily" and Table+"_settle_builds".
	Table string
	// NoRollup makes every statement read the CDR table with FINAL: the
	// reference the rollup is tested against, and a way out should the
	// rollup ever be in doubt.
	NoRollup bool
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// Source computes statements in ClickHouse. Safe for concurrent use.
type Source struct {
	conn  driver.Conn
	log   *slog.Logger
	cfg   Config
	names *strings.Replacer

	mu        sync.Mutex
	lastBuild uint64
}

var _ settle.Source = (*Source)(nil)

// Open connects and creates the adapter's tables (the rollup and the
// reconciliation table) when missing. The cdr table must exist with the
// rating columns (chstore's migrations).
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Source, error) {
	opts, err := clickhouse.ParseDSN(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("%w: dsn: %v", ErrConfig, err)
	}
	if cfg.Database == "" {
		cfg.Database = strings.Trim(opts.Auth.Database, "/")
	}
	if cfg.Database == "" {
		cfg.Database = "default"
	}
	if cfg.Table == "" {
		cfg.Table = "cdr"
	}
	if !identifier.MatchString(cfg.Database) || !identifier.MatchString(cfg.Table) {
		return nil, fmt.Errorf("%w: database %q and table %q must be identifiers", ErrConfig, cfg.Database, cfg.Table)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("chsettle: connect: %w", err)
	}
	s := &Source{conn: conn, log: log, cfg: cfg, names: namesReplacer(cfg.Database, cfg.Table)}
	for _, q := range ddl {
		if err := conn.Exec(ctx, s.sql(q)); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("chsettle: create tables: %w", err)
		}
	}
	return s, nil
}

// Close releases the connections.
func (s *Source) Close() error { return s.conn.Close() }

const dayMS = 86_400_000

// Sums computes q exactly. Whole UTC days of the period come from the
// rollup, rebuilt first for any day whose rows changed since its build;
// the partial days at either end, and wholesale statements (a filter on
// the callee the rollup does not keep), read the CDR table with FINAL.
func (s *Source) Sums(ctx context.Context, q settle.Query) ([]settle.Sums, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	from, to := q.From.UnixMilli(), q.To.UnixMilli()
	// Whole days [d0, d1): the rollup's unit. Before 1970 ClickHouse's
	// intDiv truncates toward zero and days would not line up: FINAL.
	d0, d1 := (from+dayMS-1)/dayMS, to/dayMS
	if s.cfg.NoRollup || len(q.CalleePrefixes) > 0 || from < 0 || d0 >= d1 {
		return s.finalSums(ctx, q, from, to)
	}
	var out []settle.Sums
	if from < d0*dayMS {
		part, err := s.finalSums(ctx, q, from, d0*dayMS)
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	if err := s.refresh(ctx, d0, d1-1); err != nil {
		return nil, err
	}
	part, err := s.dailySums(ctx, q.Carrier, d0, d1-1)
	if err != nil {
		return nil, err
	}
	out = append(out, part...)
	if d1*dayMS < to {
		part, err := s.finalSums(ctx, q, d1*dayMS, to)
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}

// finalSums runs the statement on the CDR table over [from, to) ms.
func (s *Source) finalSums(ctx context.Context, q settle.Query, from, to int64) ([]settle.Sums, error) {
	args := []any{floorDay(from), floorDay(to - 1), q.Carrier, from, to}
	callee := ""
	if len(q.CalleePrefixes) > 0 {
		callee = calleeClause
		args = append(args, "^("+strings.Join(q.CalleePrefixes, "|")+")")
	}
	sqlText := strings.Replace(s.sql(qStatementFinal), "{callee}", callee, 1)
	return s.querySums(ctx, sqlText, args...)
}

func (s *Source) dailySums(ctx context.Context, carrier string, first, last int64) ([]settle.Sums, error) {
	return s.querySums(ctx, s.sql(qStatementDaily), carrier, first, last, first, last)
}

func (s *Source) querySums(ctx context.Context, sqlText string, args ...any) ([]settle.Sums, error) {
	rows, err := s.conn.Query(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("chsettle: statement: %w", err)
	}
	defer rows.Close()
	var out []settle.Sums
	for rows.Next() {
		var r settle.Sums
		if err := rows.Scan(&r.Prefix, &r.Currency, &r.Calls, &r.Answered, &r.Unrated, &r.BillableS, &r.AnsweredMS, &r.CostMicros); err != nil {
			return nil, fmt.Errorf("chsettle: statement: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("chsettle: statement: %w", err)
	}
	return out, nil
}

// floorDay is the sorting key's day of a start in ms: Go's division
// truncates toward zero like ClickHouse's intDiv, so the bound matches
// the key even before 1970.
func floorDay(ms int64) int64 { return ms / dayMS }

// nextBuild is a build id that grows within the process; across
// processes any complete build is as good as another.
func (s *Source) nextBuild() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := uint64(time.Now().UnixNano())
	if v <= s.lastBuild {
		v = s.lastBuild + 1
	}
	s.lastBuild = v
	return v
}
