package chsettle_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"softswitch/billing/cdr/chstore"
	"softswitch/domain"
	"softswitch/internal/testenv"
)

// ratingColumns are the columns of chstore's rating migration (0003) the
// statement reads, with their types; a test adds those the store in this
// checkout has not created yet, so the adapter is tested either way.
var ratingColumns = [][2]string{
	{"rating_status", "String"}, {"cost_prefix", "String"}, {"cost_currency", "String"},
	{"cost_billable_s", "Int64"}, {"cost_micro", "Int64"},
}

// newCDRTable creates a unique database with chstore's schema and the
// rating columns, and returns its DSN and a connection into it.
func newCDRTable(t testing.TB) (string, driver.Conn) {
	t.Helper()
	ctx := context.Background()
	base := testenv.ClickHouse(t)
	db := testenv.Unique("settle_")
	dsn := strings.TrimSuffix(base[:strings.LastIndex(base, "/")+1], "/") + "/" + db
	s, err := chstore.Open(ctx, chstore.Config{DSN: dsn}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS `"+db+"`")
		_ = conn.Close()
	})
	for _, c := range ratingColumns {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM system.columns WHERE database = ? AND table = 'cdr' AND name = ?", db, c[0]).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			if err := conn.Exec(ctx, "ALTER TABLE `"+db+"`.cdr ADD COLUMN "+c[0]+" "+c[1]); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dsn, conn
}

// insert writes cdrs in one INSERT with version, as a Put (or a
// redelivery of one) would: same ids again are duplicates the reads must
// collapse.
func insert(t testing.TB, conn driver.Conn, cdrs []domain.CDR, version uint64) {
	t.Helper()
	ctx := context.Background()
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO cdr (id, call_id, caller, callee, start, answer, `end`, duration_ms, billable_s, disposition, sip_code, legs, carrier, trunk, version, "+
		"rating_status, cost_prefix, cost_currency, cost_billable_s, cost_micro)")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range cdrs {
		cost := int64(0)
		if r.Cost != "" {
			cost = mustMicros(t, r.Cost)
		}
		err := batch.Append(r.ID, r.CallID, r.Caller, r.Callee, r.Start.Time().UnixMilli(), millis(r.Answer), millis(r.End), r.DurationMS, r.BillableS,
			r.Disposition, int32(r.SIPCode), "[]", r.Carrier, r.Trunk, version, r.RatingStatus, r.CostPrefix, r.CostCurrency, r.CostBillableS, cost)
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
}

func millis(ts domain.Timestamp) *int64 {
	if ts.Time().IsZero() {
		return nil
	}
	v := ts.Time().UnixMilli()
	return &v
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
