package chsettle_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"softswitch/billing/settle"
	"softswitch/billing/settle/chsettle"
)

// benchRows is the size of the statement benchmark's table;
// SOFTSWITCH_BENCH_ROWS overrides the 10M.
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("SOFTSWITCH_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 10_000_000
}

// BenchmarkStatement times one carrier's month statement over a table of
// benchRows CDRs (10 carriers, 40 prefixes, a third unanswered, March
// 2025) plus 1 % redelivered duplicates, generated inside ClickHouse with
// INSERT ... SELECT from system.numbers. final reads the CDR table with
// FINAL; rollup reads the per-day rollup (built once, before the timer,
// and logged: that is the cost after a day changes).
func BenchmarkStatement(b *testing.B) {
	ctx := context.Background()
	dsn, conn := newCDRTable(b)
	n := benchRows()
	gen := func(limit, offset int) {
		q := fmt.Sprintf("INSERT INTO cdr (id, call_id, caller, callee, start, answer, `end`, duration_ms, billable_s, disposition, carrier, trunk, version, legs, "+
			"rating_status, cost_prefix, cost_currency, cost_billable_s, cost_micro) "+
			"SELECT lower(hex(MD5(toString(number)))), toString(number), '8613900000001', concat('86', toString(13800000000 + number %% 1000000)), "+
			"1740787200000 + intDiv(number * 267840, 1000) AS st, if(number %% 3 = 0, NULL, st + 5000), st + 5000 + (number %% 300) * 1000, "+
			"5000 + (number %% 300) * 1000, if(number %% 3 = 0, 0, number %% 300), if(number %% 3 = 0, 'busy', 'answered'), "+
			"concat('carrier-', toString(number %% 10)), 'gw', 1, '[]', if(number %% 3 = 0, 'not_billable', 'rated'), concat('86', toString(130 + number %% 40)), "+
			"'CNY', if(number %% 3 = 0, 0, intDiv(number %% 300 + 5, 6) * 6), if(number %% 3 = 0, 0, (number %% 300) * 1234) "+
			"FROM system.numbers LIMIT %d OFFSET %d", limit, offset)
		if err := conn.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	gen(n, 0)
	gen(n/100, n/2) // redelivery of 1 %, same ids and version
	b.Logf("generated %d rows + %d duplicates in %s", n, n/100, time.Since(start).Round(time.Millisecond))
	q := settle.Query{Carrier: "carrier-3", From: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)}
	var want string
	for _, mode := range []struct {
		name     string
		noRollup bool
	}{{"final", true}, {"rollup", false}} {
		src, err := chsettle.Open(ctx, chsettle.Config{DSN: dsn, NoRollup: mode.noRollup}, testLogger(b))
		if err != nil {
			b.Fatal(err)
		}
		defer src.Close()
		t0 := time.Now()
		st, err := settle.Compute(ctx, src, q)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: first statement %s (rollup built if any); %d calls, amount %s", mode.name, time.Since(t0).Round(time.Millisecond), st.Calls, st.Amount)
		got := fmt.Sprint(st.Calls, st.Answered, st.BillableS, st.Amount, st.ACD, len(st.Lines))
		if want == "" {
			want = got
		} else if got != want {
			b.Fatalf("%s statement %s differs from final's %s", mode.name, got, want)
		}
		b.Run(mode.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := settle.Compute(ctx, src, q); err != nil {
					b.Fatal(err)
				}
			}
		})
		if mode.noRollup {
			continue
		}
		// The common case in production: today's day keeps changing, so
		// each statement rebuilds one day and reads the rest.
		b.Run("rollup_one_day_changed", func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				gen(1, n/2) // a redelivered duplicate in one day
				b.StartTimer()
				if _, err := settle.Compute(ctx, src, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
