package chstore_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"softswitch/billing/cdr/chstore"
	"softswitch/domain"
	"softswitch/internal/testenv"
)

// queriesDoc is the one home of the billing SQL; the test runs what the
// document shows, so the two cannot drift.
const queriesDoc = "../../../docs/billing-queries.md"

var sqlBlock = regexp.MustCompile("(?s)```sql\n-- name: ([a-z_]+)\n(.*?)```")

func docQueries(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(queriesDoc)
	if err != nil {
		t.Fatal(err)
	}
	qs := map[string]string{}
	for _, m := range sqlBlock.FindAllStringSubmatch(string(b), -1) {
		if strings.HasPrefix(m[1], "campaign_") {
			continue // the campaign statistics' queries: dialer/stats/chstats tests them
		}
		qs[m[1]] = m[2]
	}
	return qs
}

// billingRow is the part of a CDR the queries read, plus what the store
// does not write yet (carrier) and the engine's version.
type billingRow struct {
	id, caller, callee, disposition, carrier string
	start                                    time.Time
	billableS                                int64
	version                                  uint64
}

var (
	day1 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	day2 = time.Date(2025, 3, 15, 23, 59, 59, 999e6, time.UTC)
)

// billingInserts is the dataset, one slice per INSERT. c1 is inserted
// three times with one version (redelivery), c3 twice with two versions
// (replay), c6 first as busy and then, superseding it, as answered.
var billingInserts = [][]billingRow{
	{
		{"c1", "alice", "442071234567", "answered", "A", day1, 61, 1},
		{"c2", "alice", "442079876543", "busy", "A", day1, 0, 1},
		{"c3", "bob", "33140000", "answered", "B", day1, 120, 1},
		{"c6", "alice", "4917000", "busy", "B", day2, 0, 1},
	},
	{
		{"c1", "alice", "442071234567", "answered", "A", day1, 61, 1},
		{"c4", "bob", "44201111", "answered", "A", day2, 30, 2},
		{"c5", "carol", "33149999", "no_answer", "B", day2, 0, 2},
	},
	{
		{"c1", "alice", "442071234567", "answered", "A", day1, 61, 1},
		{"c3", "bob", "33140000", "answered", "B", day1, 120, 3},
		{"c6", "alice", "4917000", "answered", "B", day2, 5, 3},
	},
}

func TestBillingQueries(t *testing.T) {
	ctx := context.Background()
	cfg := newDatabase(t)
	s, err := chstore.Open(ctx, cfg, testLogger(t)) // creates the schema
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	conn := rawConn(t, cfg)
	for _, rows := range billingInserts {
		batch, err := conn.PrepareBatch(ctx, "INSERT INTO `"+cfg.Database+"`.cdr (id, call_id, caller, callee, disposition, carrier, start, billable_s, legs, version)")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			err := batch.Append(domain.CDRID(r.id, domain.SideA), r.id, r.caller, r.callee, r.disposition, r.carrier, r.start.UnixMilli(), r.billableS, "[]", r.version)
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := batch.Send(); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name string
		want []string
	}{
		{"carrier_daily", []string{
			"A 2025-03-14 2 1 61 1.02",
			"B 2025-03-14 1 1 120 2",
			"A 2025-03-15 1 1 30 0.5",
			"B 2025-03-15 2 1 5 0.08",
		}},
		{"asr_acd_by_prefix", []string{
			"3314 2 1 0.5 120",
			"4420 3 2 0.6667 45.5",
			"4917 1 1 1 5",
		}},
		{"top_callers_by_minutes", []string{
			"bob 150 2.5 2",
			"alice 66 1.1 3",
			"carol 0 0 1",
		}},
		{"top_callers_by_calls", []string{
			"alice 3 2 66",
			"bob 2 2 150",
			"carol 1 0 0",
		}},
	}
	queries := docQueries(t)
	if len(queries) != len(tests) {
		t.Errorf("%s has %d named queries, the test knows %d", queriesDoc, len(queries), len(tests))
	}
	// The queries name the table unqualified, as a billing user would run
	// them with the CDR database as the current one.
	inDB := rawConnIn(t, cfg, cfg.Database)
	var raw uint64
	if err := inDB.QueryRow(ctx, "SELECT count() FROM cdr").Scan(&raw); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rows stored for 6 CDRs (fewer once merged)", raw)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, ok := queries[tc.name]
			if !ok {
				t.Fatalf("no query %q in %s", tc.name, queriesDoc)
			}
			if got := testenv.QueryRows(t, ctx, inDB, q, time.DateOnly); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}
