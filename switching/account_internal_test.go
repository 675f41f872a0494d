package switching

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"softswitch/billing/rating"
	"softswitch/domain"
	"softswitch/projections"
)

// TestReserveFirst: the first slice decides whether the call may go on; a
// reservation the journal cannot hold refuses the call (never unbilled).
func TestReserveFirst(t *testing.T) {
	row := rating.Row{Prefix: "86", RatePerMin: rating.MustMoney("6"), IncrementFirstS: 1, IncrementNextS: 1}
	tests := []struct {
		name     string
		balance  string
		pol      AccountPolicy
		holding  int // calls already holding a reservation
		failJnl  bool
		wantCode int // 0: the call goes on
		granted  string
	}{
		{"full slice", "10.00", AccountPolicy{Prepaid: true, Slice: 30 * time.Second}, 0, false, 0, "3"},
		{"what is left", "1.00", AccountPolicy{Prepaid: true, Slice: 30 * time.Second}, 0, false, 0, "1"},
		{"credit limit counts", "0", AccountPolicy{Prepaid: true, CreditLimit: rating.MustMoney("0.5"), Slice: 30 * time.Second}, 0, false, 0, "0.5"},
		{"less than the first increment", "0.05", AccountPolicy{Prepaid: true, Slice: 30 * time.Second}, 0, false, 402, ""},
		{"call limit", "10.00", AccountPolicy{Prepaid: true, MaxCalls: 1, Slice: 30 * time.Second}, 1, false, 486, ""},
		{"journal fails", "10.00", AccountPolicy{Prepaid: true, Slice: 30 * time.Second}, 0, true, 500, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			store := &memStore{}
			bal := projections.NewBalances()
			rec := NewRecorder(store, projections.Set{bal}, "n1", time.Now, &Metrics{})
			ledger := NewLedger(rec, bal, false, 0)
			if err := ledger.Credit(ctx, domain.AccountCredited{Account: "6000", Amount: tt.balance, Currency: "CNY", Ref: domain.OpeningRef}); err != nil {
				t.Fatal(err)
			}
			for i := range tt.holding {
				if _, err := ledger.Reserve(ctx, domain.AccountReservationRequested{Account: "6000", CallID: "other" + string(rune('a'+i)),
					Amount: "0.1", Minimum: "0.1", Prepaid: true}); err != nil {
					t.Fatal(err)
				}
			}
			if tt.failJnl {
				store.fail = errors.New("disk full")
			}
			b := &B2BUA{rec: rec, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
				x: &Interconnect{Spend: &Spend{Ledger: ledger}}}
			c := &call{b: b, id: "n1-call", acct: &callAccount{user: "6000", policy: tt.pol, row: row}}
			f := c.reserveFirst(ctx)
			switch {
			case tt.wantCode == 0 && f != nil:
				t.Fatalf("refused: %v", f)
			case tt.wantCode != 0 && (f == nil || f.Code != tt.wantCode):
				t.Fatalf("failure %v, want %d", f, tt.wantCode)
			case tt.wantCode == 0 && c.acct.granted != rating.MustMoney(tt.granted):
				t.Fatalf("granted %s, want %s", c.acct.granted, tt.granted)
			}
			if tt.wantCode != 0 && bal.Holds("6000", "n1-call") {
				t.Fatalf("a refused call holds a reservation")
			}
		})
	}
}
