package switching

import (
	"context"
	"errors"
	"fmt"
	"time"

	"softswitch/billing/rating"
	"softswitch/domain"
	"softswitch/internal/ids"
	"softswitch/projections"
)

// Ledger records an account's money events (credits, reservations,
// charges, releases) and reads the decisions the balance fold takes on
// them. Every account event of the node goes through it.
//
// Embedded (one node), the fold is applied as each event is recorded and
// the ledger serialises one account's events under a lock, so the order
// the fold decides in is the journal's order: a replay reaches the same
// decisions. In a cluster (Shared), the fold reads every node's account
// events from the shared log (Kafka, one partition per account), so all
// nodes decide in the same order; a reservation waits until the fold has
// seen its request come back from the log, up to Wait.
type Ledger struct {
	rec    *Recorder
	bal    *projections.Balances
	ids    *ids.Generator
	locks  *keyLocks
	shared bool
	wait   time.Duration
}

// NewLedger wires a ledger. shared selects the cluster mode; wait bounds
// how long a reservation waits for the shared log (default 2 s).
func NewLedger(rec *Recorder, bal *projections.Balances, shared bool, wait time.Duration) *Ledger {
	if wait <= 0 {
		wait = 2 * time.Second
	}
	return &Ledger{rec: rec, bal: bal, ids: ids.New(rec.Node()+"-r", rec.Now), locks: newKeyLocks(), shared: shared, wait: wait}
}

// Balances is the fold the ledger decides with.
func (l *Ledger) Balances() *projections.Balances { return l.bal }

// record appends one account event. Embedded, under the account's lock,
// so that the journal order is the order the fold applied.
func (l *Ledger) record(ctx context.Context, account string, ev domain.Event) error {
	if !l.shared {
		defer l.locks.lock(account)()
	}
	return l.rec.Record(ctx, domain.Recorded{Event: ev, Seq: l.bal.NextSeq(account), At: l.rec.Now()})
}

// Reserve asks for credit for a call and returns the fold's decision. An
// error means nothing may be assumed granted: the call is refused
// (domain.ErrLedgerUnavailable when the shared log did not answer), so no
// call is ever let through unbilled.
func (l *Ledger) Reserve(ctx context.Context, r domain.AccountReservationRequested) (projections.Grant, error) {
	r.Reservation = l.ids.Next()
	if err := l.record(ctx, r.Account, r); err != nil {
		return projections.Grant{}, fmt.Errorf("record reservation: %w", err)
	}
	if !l.shared {
		if g, ok := l.bal.Decision(r.Account, r.CallID, r.Reservation); ok {
			return g, nil
		}
		return projections.Grant{}, errors.New("ledger: reservation recorded but not decided")
	}
	wctx, cancel := context.WithTimeout(ctx, l.wait)
	defer cancel()
	g, err := l.bal.Await(wctx, r.Account, r.CallID, r.Reservation)
	if err != nil {
		// The request is in the log and may still be decided: release
		// the call so whatever it is granted goes back.
		_ = l.Release(context.WithoutCancel(ctx), r.Account, r.CallID, "ledger timeout")
		return projections.Grant{}, fmt.Errorf("%w: reservation %s: %v", domain.ErrLedgerUnavailable, r.Reservation, err)
	}
	return g, nil
}

// Charge records the price of a call; the fold releases what it held.
func (l *Ledger) Charge(ctx context.Context, ev domain.AccountCharged) error {
	return l.record(ctx, ev.Account, ev)
}

// Release frees what a call held without charging it.
func (l *Ledger) Release(ctx context.Context, account, call, reason string) error {
	return l.record(ctx, account, domain.AccountReleased{Account: account, CallID: call, Reason: reason})
}

// Credit records a credit; one with a ref already applied records nothing.
func (l *Ledger) Credit(ctx context.Context, ev domain.AccountCredited) error {
	if ev.Ref != "" && l.bal.Credited(ev.Account, ev.Ref) {
		return nil
	}
	return l.record(ctx, ev.Account, ev)
}

// slicePrice is what a reservation slice of d costs at row, and the least
// worth granting (the first increment, minimum and connect fee).
func slicePrice(row rating.Row, d time.Duration) (amount, minimum rating.Money, ok bool) {
	_, amount, ok1 := row.Charge(d.Milliseconds())
	_, minimum, ok2 := row.Charge(1)
	return amount, minimum, ok1 && ok2
}
