package chsettle_test

import (
	"context"
	"testing"

	"softswitch/billing/settle"
	"softswitch/billing/settle/chsettle"
	"softswitch/billing/settle/settletest"
	"softswitch/domain"
)

func mustMicros(t testing.TB, s string) int64 {
	t.Helper()
	v, err := settle.ParseMicros(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestStatement holds the SQL to the shared hand-computed statement, on
// a table with duplicates: c1 inserted three times at one version
// (redelivery), c3 first with a wrong cost at a lower version (re-rating
// replaces it), a late CDR after the first statement (the rollup must
// notice), and a redelivery after that (no change).
func TestStatement(t *testing.T) {
	ctx := context.Background()
	dsn, conn := newCDRTable(t)
	cdrs := settletest.CDRs()
	stale := cdrs[2]
	stale.Cost, stale.CostBillableS = "9.99", 999
	insert(t, conn, []domain.CDR{cdrs[0], stale}, 1)
	insert(t, conn, cdrs, 2)
	insert(t, conn, cdrs[:1], 2)

	sources := map[string]*chsettle.Source{}
	for name, noRollup := range map[string]bool{"final": true, "rollup": false} {
		s, err := chsettle.Open(ctx, chsettle.Config{DSN: dsn, NoRollup: noRollup}, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		sources[name] = s
	}
	check := func(t *testing.T, q settle.Query, want string) {
		t.Helper()
		for name, src := range sources {
			for range 2 { // the second run reads a rollup the first built
				st, err := settle.Compute(ctx, src, q)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if got := settletest.Format(st); got != want {
					t.Fatalf("%s: got\n%s\nwant\n%s", name, got, want)
				}
			}
		}
	}
	wholesale := settletest.Period
	wholesale.CalleePrefixes = settletest.WholesaleRanges
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"carrier", func(t *testing.T) { check(t, settletest.Period, settletest.Want) }},
		{"wholesale", func(t *testing.T) { check(t, wholesale, settletest.WantWholesale) }},
		{"late cdr", func(t *testing.T) {
			insert(t, conn, []domain.CDR{settletest.Late()}, 3)
			check(t, settletest.Period, settletest.WantWithLate)
		}},
		{"redelivery", func(t *testing.T) {
			insert(t, conn, append(cdrs, settletest.Late()), 3)
			check(t, settletest.Period, settletest.WantWithLate)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.run)
	}
}
