package reconcile_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"softswitch/billing/reconcile"
)

var t0 = time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)

func ours(id, callee string, startOff time.Duration, durMS int64, amount int64) reconcile.Call {
	return reconcile.Call{ID: id, Callee: callee, Start: t0.Add(startOff).UnixMilli(), DurationMS: durMS, Amount: amount, Currency: "CNY"}
}

// carrierFile has, line by line, what the comments on ourCalls plant.
const carrierFile = `start,caller,callee,duration_s,amount,currency
2025-03-14T10:00:00Z,8613900000001,+86 138 0013 8000,60,0.60,CNY
2025-03-14T10:01:01.5Z,8613900000001,8613800138001,30,0.30,CNY
2025-03-14T10:02:03Z,8613900000001,8613800138002,45,0.45,CNY
2025-03-14T10:03:00Z,8613900000001,8613800138003,62,0.60,CNY
2025-03-14T10:04:00Z,8613900000001,8613800138004,60.9,0.60,CNY
2025-03-14T10:05:00Z,8613900000001,8613800138005,60,0.62,CNY
2025-03-14T10:06:00Z,8613900000001,8613800138006,60,0.605,CNY
2025-03-14T10:07:00Z,8613900000001,8613800138007,10,0.10,CNY
2025-03-14T10:09:00.4Z,8613900000001,8613800138009,20,0.20,CNY
2025-03-14T10:08:59Z,8613900000001,8613800138009,10,0.10,CNY
2025-03-14T10:10:00Z,8613900000001,13800138010,70,0.90,CNY
`

var ourCalls = []reconcile.Call{
	ours("a", "8613800138000", 0, 60000, 600000),                // line 2: exact, callee written with + and spaces
	ours("b", "8613800138001", 60*time.Second, 30000, 300000),   // line 3: their start 1.5 s later, inside 2 s
	ours("c", "8613800138002", 120*time.Second, 45000, 450000),  // line 4: 3 s apart: missing on both sides
	ours("d", "8613800138003", 180*time.Second, 60000, 600000),  // line 5: 2 s longer there: duration mismatch
	ours("e", "8613800138004", 240*time.Second, 60000, 600000),  // line 6: 0.9 s longer, within 1 s
	ours("f", "8613800138005", 300*time.Second, 60000, 600000),  // line 7: 0.02 more: amount mismatch
	ours("g", "8613800138006", 360*time.Second, 60000, 600000),  // line 8: 0.005 more, within 0.01
	ours("h", "8613800138008", 480*time.Second, 15000, 150000),  // not in their file; their line 9 (…007) not in ours
	ours("i1", "8613800138009", 539*time.Second, 10000, 100000), // line 11: nearest is 10:08:59
	ours("i2", "8613800138009", 540*time.Second, 20000, 200000), // line 10: nearest is 10:09:00.4
	ours("j", "8613800138010", 600*time.Second, 68500, 900000),  // line 12: national number; 1.5 s: duration mismatch
}

func TestMatch(t *testing.T) {
	theirs, err := reconcile.ReadCSV(strings.NewReader(carrierFile))
	if err != nil {
		t.Fatal(err)
	}
	res, err := reconcile.Match(slices.Clone(ourCalls), theirs, reconcile.DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range res.Discrepancies {
		got = append(got, fmt.Sprintf("%s ours=%s line=%d", d.Kind, d.Ours.ID, d.Theirs.Line))
	}
	want := []string{
		"missing_theirs ours=c line=0",
		"missing_ours ours= line=4",
		"duration_mismatch ours=d line=5",
		"amount_mismatch ours=f line=7",
		"missing_ours ours= line=9",
		"missing_theirs ours=h line=0",
		"duration_mismatch ours=j line=12",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("discrepancies:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	rep := reconcile.NewReport(reconcile.Run{ID: "r1", Carrier: "cm"}, res)
	sum := fmt.Sprintf("ours=%d/%s theirs=%d/%s matched=%d missing_ours=%d/%s missing_theirs=%d/%s dur=%d amt=%d",
		rep.Ours.Calls, rep.Ours.Amount, rep.Theirs.Calls, rep.Theirs.Amount, rep.Matched.Calls,
		rep.MissingOurs.Calls, rep.MissingOurs.Amount, rep.MissingTheirs.Calls, rep.MissingTheirs.Amount, rep.DurationMismatch, rep.AmountMismatch)
	const wantSum = "ours=11/5.10 theirs=11/5.075 matched=9 missing_ours=2/0.55 missing_theirs=2/0.60 dur=2 amt=1"
	if sum != wantSum {
		t.Fatalf("totals %s\nwant   %s", sum, wantSum)
	}
}

func TestTolerances(t *testing.T) {
	our := []reconcile.Call{ours("a", "1", 0, 60000, 1_000_000)}
	tests := []struct {
		name  string
		their reconcile.Call
		o     reconcile.Options
		want  []reconcile.Kind
	}{
		{"start at the edge matches", reconcile.Call{Callee: "1", Start: t0.Add(2 * time.Second).UnixMilli(), DurationMS: 60000, Amount: 1_000_000, Currency: "CNY"}, reconcile.DefaultOptions, nil},
		{"start past the edge", reconcile.Call{Callee: "1", Start: t0.Add(2001 * time.Millisecond).UnixMilli(), DurationMS: 60000, Amount: 1_000_000, Currency: "CNY"}, reconcile.DefaultOptions, []reconcile.Kind{reconcile.MissingTheirs, reconcile.MissingOurs}},
		{"duration at the edge", reconcile.Call{Callee: "1", Start: t0.UnixMilli(), DurationMS: 59000, Amount: 1_000_000, Currency: "CNY"}, reconcile.DefaultOptions, nil},
		{"amount at the edge", reconcile.Call{Callee: "1", Start: t0.UnixMilli(), DurationMS: 60000, Amount: 1_010_000, Currency: "CNY"}, reconcile.DefaultOptions, nil},
		{"other currency", reconcile.Call{Callee: "1", Start: t0.UnixMilli(), DurationMS: 60000, Amount: 1_000_000, Currency: "USD"}, reconcile.DefaultOptions, []reconcile.Kind{reconcile.AmountMismatch}},
		{"zero tolerance", reconcile.Call{Callee: "1", Start: t0.UnixMilli(), DurationMS: 60001, Amount: 1_000_001, Currency: "CNY"}, reconcile.Options{}, []reconcile.Kind{reconcile.DurationMismatch, reconcile.AmountMismatch}},
		{"other callee", reconcile.Call{Callee: "2", Start: t0.UnixMilli(), DurationMS: 60000, Amount: 1_000_000, Currency: "CNY"}, reconcile.DefaultOptions, []reconcile.Kind{reconcile.MissingTheirs, reconcile.MissingOurs}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := reconcile.Match(slices.Clone(our), []reconcile.Call{tc.their}, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			var got []reconcile.Kind
			for _, d := range res.Discrepancies {
				got = append(got, d.Kind)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"no callee column", "start,duration_s\n", `no "callee" column`},
		{"bad start", "start,callee,duration_s\nyesterday,1,1\n", "line 2: start"},
		{"bad duration", "start,callee,duration_s\n2025-03-14T10:00:00Z,1,1.0001\n", "line 2: duration_s"},
		{"bad amount", "start,callee,duration_s,amount\n2025-03-14T10:00:00Z,1,1,1e3\n", "line 2: amount"},
	}
	for _, tc := range tests {
		_, err := reconcile.ReadCSV(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}
