package chsettle_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"softswitch/billing/reconcile"
	"softswitch/billing/settle/chsettle"
	"softswitch/billing/settle/settletest"
)

// TestReconcile reads our calls through FINAL (c1 is stored twice) and
// stores a run's discrepancies in the reconciliation table.
func TestReconcile(t *testing.T) {
	ctx := context.Background()
	dsn, conn := newCDRTable(t)
	cdrs := settletest.CDRs()
	insert(t, conn, cdrs, 1)
	insert(t, conn, cdrs[:1], 1)
	src, err := chsettle.Open(ctx, chsettle.Config{DSN: dsn}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	from, to := time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 16, 0, 0, 0, 0, time.UTC)
	ours, err := src.OurCalls(ctx, "cm", from, to)
	if err != nil {
		t.Fatal(err)
	}
	if len(ours) != 3 { // c3, c4, c9 (c8 is cu's)
		t.Fatalf("our calls: %d, want 3: %+v", len(ours), ours)
	}
	const file = `start,callee,duration_s,amount,currency
2025-03-15T10:00:05Z,13900000003,125,1.5,CNY
2025-03-15T09:00:06Z,+8617030001234,45,0.45,CNY
2025-03-15T11:00:00Z,8613800009999,30,0.30,CNY
`
	theirs, err := reconcile.ReadCSV(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	res, err := reconcile.Match(ours, theirs, reconcile.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	rep := reconcile.NewReport(reconcile.Run{ID: "run-1", At: time.Now(), Carrier: "cm", File: "cm.csv"}, res)
	if err := src.WriteReconciliation(ctx, rep); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, "SELECT kind, callee, our_id != '', their_line, duration_diff_ms, amount_diff FROM reconciliation WHERE run_id = 'run-1' ORDER BY kind, callee")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var kind, callee, diff string
		var hasOurs bool
		var line, durDiff int64
		if err := rows.Scan(&kind, &callee, &hasOurs, &line, &durDiff, &diff); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join([]string{kind, callee, map[bool]string{true: "ours", false: "-"}[hasOurs], itoa(line), itoa(durDiff), diff}, " "))
	}
	want := []string{
		"duration_mismatch 8613900000003 ours 2 5000 0.00",
		"missing_ours 8613800009999 - 4 30000 0.30",
		"missing_theirs 8613800000004 ours 0 -30000 -0.05",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("reconciliation rows:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
