package settle_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"softswitch/billing/cdr/boltstore"
	"softswitch/billing/settle"
	"softswitch/billing/settle/settletest"
	"softswitch/domain"
)

// TestStoreSource runs the shared dataset through the embedded store,
// including a redelivered record (Put upserts by id).
func TestStoreSource(t *testing.T) {
	ctx := context.Background()
	s, err := boltstore.Open(t.TempDir(), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cdrs := settletest.CDRs()
	for i, batch := range [][]domain.CDR{cdrs, cdrs[:2]} {
		if err := s.Put(ctx, batch, uint64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	src := settle.StoreSource{Store: s}
	tests := []struct {
		name string
		q    settle.Query
		want string
	}{
		{"carrier", settletest.Period, settletest.Want},
		{"wholesale", withRanges(settletest.Period, settletest.WholesaleRanges), settletest.WantWholesale},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := settle.Compute(ctx, src, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := settletest.Format(st); got != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
	if err := s.Put(ctx, []domain.CDR{settletest.Late()}, 3); err != nil {
		t.Fatal(err)
	}
	st, err := settle.Compute(ctx, src, settletest.Period)
	if err != nil {
		t.Fatal(err)
	}
	if got := settletest.Format(st); got != settletest.WantWithLate {
		t.Fatalf("after a late CDR got\n%s\nwant\n%s", got, settletest.WantWithLate)
	}
}

func withRanges(q settle.Query, r []string) settle.Query {
	q.CalleePrefixes = r
	return q
}

func TestQueryValidate(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		q    settle.Query
		ok   bool
	}{
		{"ok", settle.Query{Carrier: "cm", From: t0, To: t0.Add(time.Hour)}, true},
		{"no carrier", settle.Query{From: t0, To: t0.Add(time.Hour)}, false},
		{"empty period", settle.Query{Carrier: "cm", From: t0, To: t0}, false},
		{"no from", settle.Query{Carrier: "cm", To: t0}, false},
		{"range not digits", settle.Query{Carrier: "cm", From: t0, To: t0.Add(time.Hour), CalleePrefixes: []string{"86a"}}, false},
	}
	for _, tc := range tests {
		err := tc.q.Validate()
		if (err == nil) != tc.ok || err != nil && !errors.Is(err, settle.ErrQuery) {
			t.Errorf("%s: got %v", tc.name, err)
		}
	}
}

func TestBuildMixedCurrency(t *testing.T) {
	_, err := settle.Build(settletest.Period, []settle.Sums{
		{Prefix: "1", Currency: "CNY", Calls: 1}, {Prefix: "2", Currency: "USD", Calls: 1}, {Prefix: "3", Calls: 1},
	})
	if !errors.Is(err, settle.ErrMixedCurrency) {
		t.Fatalf("got %v", err)
	}
}

func TestMicros(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		out  string
		bad  bool
	}{
		{"", 0, "0.00", false},
		{"0.1", 100_000, "0.10", false},
		{"12.5", 12_500_000, "12.50", false},
		{"-0.000001", -1, "-0.000001", false},
		{"+3", 3_000_000, "3.00", false},
		{".5", 0, "", true},
		{"1.0000001", 0, "", true},
		{"1e3", 0, "", true},
		{"-", 0, "", true},
		{"1.2.3", 0, "", true},
		{"99999999999999999999", 0, "", true},
	}
	for _, tc := range tests {
		got, err := settle.ParseMicros(tc.in)
		if tc.bad {
			if !errors.Is(err, settle.ErrAmount) {
				t.Errorf("%q: want ErrAmount, got %v", tc.in, err)
			}
			continue
		}
		if err != nil || got != tc.want || settle.FormatMicros(got) != tc.out {
			t.Errorf("%q: got %d %q %v, want %d %q", tc.in, got, settle.FormatMicros(got), err, tc.want, tc.out)
		}
	}
}
