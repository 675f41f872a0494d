package chstats_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"softswitch/billing/cdr/chstore"
	"softswitch/dialer/stats"
	"softswitch/dialer/stats/chstats"
	"softswitch/dialer/stats/statstest"
	"softswitch/domain"
	"softswitch/internal/testenv"
)

// database is a new database on the test server, dropped at the end.
func database(t *testing.T) (dsn, db string) {
	t.Helper()
	dsn, db = testenv.ClickHouse(t), testenv.Unique("statstest_")
	t.Cleanup(func() {
		if err := conn(t, dsn, "").Exec(context.Background(), "DROP DATABASE IF EXISTS `"+db+"`"); err != nil {
			t.Errorf("drop %s: %v", db, err)
		}
	})
	return dsn, db
}

func conn(t *testing.T, dsn, db string) driver.Conn {
	t.Helper()
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	opts.Auth.Database = db
	c, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestSuite(t *testing.T) {
	statstest.Run(t, func(t *testing.T) stats.Store {
		dsn, db := database(t)
		s, err := chstats.Open(context.Background(), chstats.Config{DSN: dsn, Database: db}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestReopenKeepsSchema: a second Open of the same database applies no
// migration twice and reads what the first wrote.
func TestReopenKeepsSchema(t *testing.T) {
	ctx := context.Background()
	dsn, db := database(t)
	for i := range 2 {
		s, err := chstats.Open(ctx, chstats.Config{DSN: dsn, Database: db}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cp, err := s.Checkpoint(ctx); err != nil || cp != uint64(i*5) {
			t.Fatalf("open %d: checkpoint %d, %v", i, cp, err)
		}
		if err := s.Put(ctx, nil, 5); err != nil {
			t.Fatal(err)
		}
		_ = s.Close()
	}
	var n uint64
	if err := conn(t, dsn, "").QueryRow(ctx, "SELECT count() FROM `"+db+"`.schema_migrations WHERE target = ?", chstats.Table).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d migrations recorded, %v; want 2", n, err)
	}
}

const queriesDoc = "../../../docs/billing-queries.md"

var sqlBlock = regexp.MustCompile("(?s)```sql\n-- name: (campaign_[a-z_]+)\n(.*?)```")

// TestCampaignQueries runs the campaign queries of docs/billing-queries.md
// as the document shows them, on attempts written through the Store (some
// twice: a replay) and CDRs of the attempts' calls, against hand-computed
// results.
func TestCampaignQueries(t *testing.T) {
	ctx := context.Background()
	dsn, db := database(t)
	cdrs, err := chstore.Open(ctx, chstore.Config{DSN: dsn, Database: db}, nil) // the CDR table to join
	if err != nil {
		t.Fatal(err)
	}
	_ = cdrs.Close()
	s, err := chstats.Open(ctx, chstats.Config{DSN: dsn, Database: db}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	h9 := time.Date(2026, 3, 14, 9, 10, 0, 0, time.UTC)
	h10 := h9.Add(time.Hour)
	att := func(id string, at time.Time, callerID, outcome string) stats.Row {
		return stats.Row{ID: id, Campaign: "spring", Lead: "L" + id, Attempt: 1, Number: "+8613800000000", CallerID: callerID,
			Placed: outcome != stats.OutcomeSkipped, Outcome: outcome, CalleeCallID: "sip-" + id, Dialed: at, Ended: at.Add(time.Minute)}
	}
	first := []stats.Row{
		att("a1", h9, "+861050000001", domain.AttemptConnected),
		att("a2", h9, "+861050000001", domain.AttemptAbandoned),
		att("a3", h9, "+861050000001", domain.AttemptBusy),
		att("a4", h9, "", stats.OutcomeSkipped),
		att("a5", h10, "+861050000002", domain.AttemptConnected),
		att("a6", h10, "+861050000002", domain.AttemptNoAnswer),
		att("a7", h10, "+861050000002", domain.AttemptMachine),
	}
	if err := s.Put(ctx, first, 10); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, first[:3], 11); err != nil { // replayed after a crash
		t.Fatal(err)
	}
	// The calls' CDRs: carrier A for the 9 o'clock attempts, B for 10.
	cdr := []struct {
		id, carrier string
		billable    int64
	}{{"a1", "A", 60}, {"a2", "A", 4}, {"a3", "A", 0}, {"a5", "B", 30}, {"a6", "B", 0}, {"a7", "B", 8}}
	batch, err := conn(t, dsn, "").PrepareBatch(ctx, "INSERT INTO `"+db+"`.cdr (id, call_id, sip_call_id, carrier, start, billable_s, disposition, legs, version)")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cdr {
		if err := batch.Append("cdr-"+c.id, "call-"+c.id, "sip-"+c.id, c.carrier, h9.UnixMilli(), c.billable, "answered", "[]", uint64(1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		want []string
	}{
		{"campaign_outcomes_hourly", []string{
			"spring 2026-03-14 09:00  skipped 1",
			"spring 2026-03-14 09:00 +861050000001 abandoned 1",
			"spring 2026-03-14 09:00 +861050000001 busy 1",
			"spring 2026-03-14 09:00 +861050000001 connected 1",
			"spring 2026-03-14 10:00 +861050000002 answered_machine 1",
			"spring 2026-03-14 10:00 +861050000002 connected 1",
			"spring 2026-03-14 10:00 +861050000002 no_answer 1",
		}},
		{"campaign_rates", []string{
			"spring 2026-03-14 09:00 A +861050000001 3 2 1 1 0.6667 32 0.5 0.3333",
			"spring 2026-03-14 10:00 B +861050000002 3 2 1 0 0.6667 19 0 0.3333",
		}},
	}
	b, err := os.ReadFile(queriesDoc)
	if err != nil {
		t.Fatal(err)
	}
	queries := map[string]string{}
	for _, m := range sqlBlock.FindAllStringSubmatch(string(b), -1) {
		queries[m[1]] = m[2]
	}
	if len(queries) != len(tests) {
		t.Errorf("%s has %d campaign queries, the test knows %d", queriesDoc, len(queries), len(tests))
	}
	inDB := conn(t, dsn, db) // the queries name their tables unqualified
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, ok := queries[tc.name]
			if !ok {
				t.Fatalf("no query %q in %s", tc.name, queriesDoc)
			}
			if got := testenv.QueryRows(t, ctx, inDB, q, "2006-01-02 15:04"); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}
