package projections_test

import (
	"context"
	"slices"
	"strings"
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

// TestReservations: requests are decided in log order so that what is
// reserved plus what is charged never passes the credits plus the credit
// limit; a refused first request closes the call; a charge releases what
// the call held; every event delivered twice counts once.
func TestReservations(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	req := func(call, res, amount string, maxCalls int) domain.AccountReservationRequested {
		return domain.AccountReservationRequested{Account: "6000", CallID: call, Reservation: res, Amount: amount, Minimum: "0.10",
			Currency: "CNY", Prepaid: true, CreditLimit: "0.50", MaxCalls: maxCalls}
	}
	type step struct {
		ev    domain.Event
		id    string // envelope id; a repeat is a redelivery
		grant string // for a request: the amount granted, or "refused:<why>"
	}
	steps := []step{
		{ev: domain.AccountCredited{Account: "6000", Amount: "1.00", Currency: "CNY", Ref: domain.OpeningRef}, id: "e1"},
		// A second node's opening balance: the same ref, credited once.
		{ev: domain.AccountCredited{Account: "6000", Amount: "1.00", Currency: "CNY", Ref: domain.OpeningRef}, id: "e2"},
		{ev: req("c1", "r1", "0.60", 2), id: "e3", grant: "0.6"},
		{ev: req("c2", "r2", "0.60", 2), id: "e4", grant: "0.6"},
		{ev: req("c3", "r3", "0.60", 2), id: "e5", grant: "refused:busy"}, // two calls hold already
		{ev: req("c1", "r4", "0.60", 2), id: "e6", grant: "0.3"},          // 1.00 + 0.50 - 1.20: what is left
		{ev: req("c2", "r5", "0.60", 2), id: "e7", grant: "refused:funds"},
		{ev: req("c1", "r4", "0.60", 2), id: "e6"}, // redelivered: decided once
		{ev: domain.AccountCharged{Account: "6000", CallID: "c1", Amount: "0.80", Currency: "CNY", Prefix: "86"}, id: "e8"},
		{ev: domain.AccountCharged{Account: "6000", CallID: "c1", Amount: "0.80", Currency: "CNY", Prefix: "86"}, id: "e8"},
		{ev: req("c4", "r6", "0.60", 2), id: "e9", grant: "0.1"}, // 1.50 - 0.80 - 0.60 held by c2
		{ev: domain.AccountReleased{Account: "6000", CallID: "c2"}, id: "e10"},
		{ev: req("c2", "r7", "0.60", 2), id: "e11", grant: "refused:closed"}, // a renewal after the release
		{ev: req("c5", "r8", "0.60", 0), id: "e12", grant: "0.6"},
		{ev: domain.AccountCredited{Account: "6000", Amount: "5.00", Currency: "CNY"}, id: "e13"},
		{ev: domain.AccountCredited{Account: "6000", Amount: "5.00", Currency: "CNY"}, id: "e13"}, // redelivered top-up
	}
	// fold applies the steps and returns each request's decision as it
	// was taken (a call's decisions go once the call closes).
	fold := func() (*projections.Balances, []string) {
		b := projections.NewBalances()
		var got []string
		for i, s := range steps {
			env := seal(t, s.ev, "n1", uint64(i+1), at)
			env.ID = s.id
			if err := b.Apply(env, nil); err != nil {
				t.Fatal(err)
			}
			if r, ok := s.ev.(domain.AccountReservationRequested); ok && s.grant != "" {
				g, decided := b.Decision("6000", r.CallID, r.Reservation)
				d := "undecided"
				switch {
				case decided && g.Refused != "":
					d = "refused:" + g.Refused
				case decided:
					d = g.Amount.String()
				}
				if want := s.grant; !strings.HasPrefix(want, "refused:") {
					if decided && g.Refused == "" && g.Amount == rating.MustMoney(want) {
						d = want
					}
				}
				got = append(got, r.Reservation+" "+d)
				if d != s.grant {
					t.Errorf("%s (%s): %s, want %s", r.Reservation, r.CallID, d, s.grant)
				}
			}
		}
		return b, got
	}
	b, decisions := fold()
	if bal, _ := b.Balance("6000"); bal != rating.MustMoney("5.20") {
		t.Errorf("balance %s, want 5.20 (1.00 once, 5.00 once, 0.80 charged once)", bal)
	}
	if held, calls := b.Reserved("6000"); held != rating.MustMoney("0.7") || calls != 2 {
		t.Errorf("reserved %s by %d calls, want 0.70 by c4 and c5", held, calls)
	}
	// A replay of the same log reaches the same decisions.
	if _, again := fold(); !slices.Equal(decisions, again) {
		t.Errorf("decided %v, then %v on replay", decisions, again)
	}
}

// TestAwaitReservation: a waiter learns the decision once the fold sees
// the request, and gives up with its context.
func TestAwaitReservation(t *testing.T) {
	b := projections.NewBalances()
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	done := make(chan projections.Grant, 1)
	go func() {
		g, err := b.Await(ctx, "6000", "c1", "r1")
		if err != nil {
			t.Error(err)
		}
		done <- g
	}()
	time.Sleep(10 * time.Millisecond)
	r := domain.AccountReservationRequested{Account: "6000", CallID: "c1", Reservation: "r1", Amount: "1", Minimum: "1", Prepaid: true}
	if err := b.Apply(seal(t, r, "n2", 1, at), nil); err != nil {
		t.Fatal(err)
	}
	if g := <-done; g.Refused != projections.RefusedFunds {
		t.Fatalf("decision %+v, want refused for funds", g)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if _, err := b.Await(short, "6000", "c9", "never"); err == nil {
		t.Fatal("Await of a request never seen returned")
	}
}

// TestBans: the latest ban of each source, and only those still in force.
func TestBans(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	b := projections.NewBans()
	for i, e := range []domain.SourceBanned{
		{Source: "192.0.2.1", Until: at.Add(time.Hour), Fails: 10},
		{Source: "192.0.2.1", Until: at.Add(30 * time.Minute), Fails: 10}, // an older ban, delivered late
		{Source: "2001:db8::/64", Until: at.Add(time.Minute), Fails: 40},
		{Source: "192.0.2.2", Until: at.Add(-time.Minute), Fails: 10},
	} {
		if err := b.Apply(seal(t, e, "n1", uint64(i), at), nil); err != nil {
			t.Fatal(err)
		}
	}
	got := b.InForce(at)
	if len(got) != 2 || !got["192.0.2.1"].Equal(at.Add(time.Hour)) || !got["2001:db8::/64"].Equal(at.Add(time.Minute)) {
		t.Fatalf("in force %v", got)
	}
}
