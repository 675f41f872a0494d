package projections_test

import (
	"testing"
	"time"

	"softswitch/billing/rating"
	"softswitch/domain"
	"softswitch/projections"
)

func TestBalances(t *testing.T) {
	day1 := time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)
	day2 := day1.Add(2 * time.Hour)
	b := projections.NewBalances()
	apply := func(ev domain.Event, seq uint64, at time.Time) {
		t.Helper()
		env := seal(t, ev, "n1", seq, at)
		if err := b.Apply(env, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := b.Balance("6000"); ok {
		t.Fatal("an account never credited has a balance")
	}
	apply(domain.AccountCredited{Account: "6000", Amount: "10", Currency: "CNY"}, 1, day1)
	charge := func(call, amount, prefix string) domain.AccountCharged {
		return domain.AccountCharged{Account: "6000", CallID: call, Amount: amount, Currency: "CNY", Prefix: prefix}
	}
	apply(charge("c1", "1.25", "86138"), 2, day1)
	apply(charge("c2", "0.75", "8610"), 3, day1)
	apply(charge("c1", "1.25", "86138"), 2, day1) // redelivered
	tests := []struct {
		name            string
		now             time.Time
		prefix          string
		total, toPrefix string
	}{
		{"day one", day1, "86138", "2", "1.25"},
		{"other prefix", day1, "8610", "2", "0.75"},
		{"next day starts at zero", day2, "86138", "0", "0"},
	}
	for _, tt := range tests {
		total, to := b.Spent("6000", tt.prefix, tt.now)
		if total != rating.MustMoney(tt.total) || to != rating.MustMoney(tt.toPrefix) {
			t.Errorf("%s: Spent = %s, %s; want %s, %s", tt.name, total, to, tt.total, tt.toPrefix)
		}
	}
	if bal, ok := b.Balance("6000"); !ok || bal != rating.MustMoney("8") {
		t.Errorf("Balance = %s, %v; want 8 (10 - 1.25 - 0.75, the redelivery once)", bal, ok)
	}
	apply(charge("c3", "0.5", "86138"), 4, day2)
	if total, _ := b.Spent("6000", "86138", day2); total != rating.MustMoney("0.5") {
		t.Errorf("day two spend = %s, want 0.5", total)
	}
	if seq := b.NextSeq("6000"); seq != 5 {
		t.Errorf("NextSeq = %d, want 5", seq)
	}
}
