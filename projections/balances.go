package projections

import (
	"context"
	"sync"
	"time"

	"softswitch/billing/rating"
	"softswitch/domain"
)

// Balances folds the account.* events into each account's balance, its
// reservations and its spend per UTC day (in total and per rate prefix):
// what spend control reads and what decides reservations.
//
// Every event is applied once whatever delivers it twice (a Kafka
// redelivery, a replay, two nodes recording the same fact): a credit once
// per ref (or event id when it has none), a charge or release once per
// call, a reservation request once per reservation id.
//
// Reservation requests are decided here, in log order
// (domain.AccountReservationRequested): the sum of what is reserved and
// what is charged never passes the credits plus the credit limit. Folding
// the same log always reaches the same decisions, which is what makes the
// shared log, not any one node, the authority on an account's money.
type Balances struct {
	mu       sync.RWMutex
	accounts map[string]*account
	// waiters are closed when the reservation they wait for is decided.
	waiters map[string]chan struct{}
	// refused are the refused first requests (which leave the call
	// holding nothing) for their requesters to read: the newest
	// refusedKeep of them, oldest first in refusedOrder.
	refused      map[string]Grant
	refusedOrder []string
}

// refusedKeep bounds the refusals kept: a requester reads its own within
// moments of the fold deciding it.
const refusedKeep = 4096

type account struct {
	credited, charged rating.Money
	hasCredit         bool
	credits           map[string]bool // refs (or event ids) applied
	closed            map[string]bool // calls charged or released
	// holding is what each call holding a reservation has been granted
	// (a seat with 0 for a postpaid account with a call limit); reserved
	// is their sum.
	holding  map[string]*hold
	reserved rating.Money
	day      string                  // the UTC day of spent
	spent    rating.Money            // on day
	spentTo  map[string]rating.Money // on day, by rate prefix
	seq      uint64
}

type hold struct {
	granted rating.Money
	// decisions are the call's reservations and what each got, until the
	// call closes (a requester reads its own after the fold decides).
	decisions map[string]Grant
}

// Grant is the decision on one reservation request.
type Grant struct {
	// Amount granted; zero with Refused set when refused.
	Amount rating.Money
	// Refused says why nothing was granted: RefusedFunds, RefusedBusy or
	// RefusedClosed; "" when granted.
	Refused string
}

// Why a reservation was refused.
const (
	RefusedFunds  = "funds"  // less than the minimum is left
	RefusedBusy   = "busy"   // the account's max_concurrent_calls are in use
	RefusedClosed = "closed" // the call was already charged or released
)

// NewBalances returns empty balances.
func NewBalances() *Balances {
	return &Balances{accounts: map[string]*account{}, waiters: map[string]chan struct{}{}, refused: map[string]Grant{}}
}

func (b *Balances) get(user string) *account {
	a := b.accounts[user]
	if a == nil {
		a = &account{credits: map[string]bool{}, closed: map[string]bool{}, holding: map[string]*hold{},
			spentTo: map[string]rating.Money{}}
		b.accounts[user] = a
	}
	return a
}

// Apply implements Projection.
func (b *Balances) Apply(env domain.Envelope, ev domain.Event) error {
	switch env.Type {
	case domain.TypeAccountCredited, domain.TypeAccountCharged, domain.TypeAccountReservationRequested, domain.TypeAccountReleased:
	default:
		return nil
	}
	ev, err := decodeIf(env, ev)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := ev.(type) {
	case domain.AccountCredited:
		return b.credit(env, e)
	case domain.AccountCharged:
		return b.charge(env, e)
	case domain.AccountReservationRequested:
		return b.reserve(env, e)
	case domain.AccountReleased:
		a := b.get(e.Account)
		a.seq = max(a.seq, env.Seq)
		a.close(e.CallID)
	}
	return nil
}

func (b *Balances) credit(env domain.Envelope, e domain.AccountCredited) error {
	amt, err := rating.ParseMoney(e.Amount)
	if err != nil {
		return err
	}
	a := b.get(e.Account)
	a.seq = max(a.seq, env.Seq)
	key := e.Ref
	if key == "" {
		key = "event:" + env.ID
	}
	if a.credits[key] {
		return nil // the opening balance recorded by a second node, or a redelivery
	}
	a.credits[key] = true
	a.credited += amt
	a.hasCredit = true
	return nil
}

func (b *Balances) charge(env domain.Envelope, e domain.AccountCharged) error {
	amt, err := rating.ParseMoney(e.Amount)
	if err != nil {
		return err
	}
	a := b.get(e.Account)
	a.seq = max(a.seq, env.Seq)
	if a.closed[e.CallID] {
		return nil // redelivered, or recorded by a node that restarted
	}
	a.close(e.CallID)
	a.charged += amt
	day := env.Time.UTC().Format(time.DateOnly)
	if day != a.day {
		if day < a.day {
			return nil // an old day's charge only moves the balance
		}
		a.day, a.spent, a.spentTo = day, 0, map[string]rating.Money{}
	}
	a.spent += amt
	a.spentTo[e.Prefix] += amt
	return nil
}

// close ends what a call holds: its reservations are released.
func (a *account) close(call string) {
	a.closed[call] = true
	if h := a.holding[call]; h != nil {
		a.reserved -= h.granted
		delete(a.holding, call)
	}
}

// reserve decides a reservation request: refused when the call is closed,
// or when it is a call's first and the account's call limit is reached;
// for a prepaid account, the amount asked when it is left, what is left
// when that is at least the minimum, else refused.
func (b *Balances) reserve(env domain.Envelope, e domain.AccountReservationRequested) error {
	amt, err := rating.ParseMoney(e.Amount)
	if err != nil {
		return err
	}
	minimum, err := rating.ParseMoney(e.Minimum)
	if err != nil {
		return err
	}
	limit := rating.Money(0)
	if e.CreditLimit != "" {
		if limit, err = rating.ParseMoney(e.CreditLimit); err != nil {
			return err
		}
	}
	a := b.get(e.Account)
	a.seq = max(a.seq, env.Seq)
	h := a.holding[e.CallID]
	if h != nil {
		if _, seen := h.decisions[e.Reservation]; seen {
			return nil // redelivered
		}
	}
	var g Grant
	switch left := a.credited - a.charged - a.reserved + limit; {
	case a.closed[e.CallID]:
		// The call was charged, released, or refused before: a late
		// renewal, or a redelivered request, gets nothing.
		g.Refused = RefusedClosed
		if _, ok := b.refused[e.Reservation]; ok {
			return nil
		}
	case h == nil && e.MaxCalls > 0 && len(a.holding) >= e.MaxCalls:
		g.Refused = RefusedBusy
	case !e.Prepaid:
		g.Amount = amt
	case left >= amt:
		g.Amount = amt
	case left >= minimum && left > 0:
		g.Amount = left
	default:
		g.Refused = RefusedFunds
	}
	switch {
	case h != nil || g.Refused == "":
		if h == nil {
			h = &hold{decisions: map[string]Grant{}}
			a.holding[e.CallID] = h
		}
		h.granted += g.Amount
		a.reserved += g.Amount
		h.decisions[e.Reservation] = g
	default:
		// A refused first request refuses the call: it is closed, so a
		// redelivery of the request cannot be decided again, and it
		// holds nothing. The requester reads why from refused.
		a.closed[e.CallID] = true
		if len(b.refusedOrder) >= refusedKeep {
			delete(b.refused, b.refusedOrder[0])
			b.refusedOrder = b.refusedOrder[1:]
		}
		b.refused[e.Reservation] = g
		b.refusedOrder = append(b.refusedOrder, e.Reservation)
	}
	if w := b.waiters[e.Reservation]; w != nil {
		close(w)
		delete(b.waiters, e.Reservation)
	}
	return nil
}

// Decision returns the decision on a reservation, if it was decided.
func (b *Balances) Decision(account, call, reservation string) (Grant, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.decision(account, call, reservation)
}

func (b *Balances) decision(account, call, reservation string) (Grant, bool) {
	if a := b.accounts[account]; a != nil {
		if h := a.holding[call]; h != nil {
			if g, ok := h.decisions[reservation]; ok {
				return g, true
			}
		}
	}
	g, ok := b.refused[reservation]
	return g, ok
}

// Await waits until the reservation is decided or ctx ends.
func (b *Balances) Await(ctx context.Context, account, call, reservation string) (Grant, error) {
	b.mu.Lock()
	if g, ok := b.decision(account, call, reservation); ok {
		b.mu.Unlock()
		return g, nil
	}
	w := b.waiters[reservation]
	if w == nil {
		w = make(chan struct{})
		b.waiters[reservation] = w
	}
	b.mu.Unlock()
	select {
	case <-w:
		g, _ := b.Decision(account, call, reservation)
		return g, nil
	case <-ctx.Done():
		b.mu.Lock()
		if b.waiters[reservation] == w {
			delete(b.waiters, reservation)
		}
		b.mu.Unlock()
		return Grant{}, ctx.Err()
	}
}

// Balance is credits minus charges; ok is false for an account never
// credited (a postpaid subscriber, or a prepaid one with nothing yet).
func (b *Balances) Balance(user string) (m rating.Money, ok bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	a := b.accounts[user]
	if a == nil {
		return 0, false
	}
	return a.credited - a.charged, a.hasCredit
}

// Credited tells whether a credit with ref was applied to the account.
func (b *Balances) Credited(user, ref string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	a := b.accounts[user]
	return a != nil && a.credits[ref]
}

// Reserved is what the account's calls hold, and how many calls hold it.
func (b *Balances) Reserved(user string) (rating.Money, int) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	a := b.accounts[user]
	if a == nil {
		return 0, 0
	}
	return a.reserved, len(a.holding)
}

// Holds tells whether a call holds a reservation of the account.
func (b *Balances) Holds(user, call string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	a := b.accounts[user]
	return a != nil && a.holding[call] != nil
}

// Spent is the account's spend on the UTC day of now, in total and
// towards one rate prefix.
func (b *Balances) Spent(user, prefix string, now time.Time) (total, toPrefix rating.Money) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	a := b.accounts[user]
	if a == nil || a.day != now.UTC().Format(time.DateOnly) {
		return 0, 0
	}
	return a.spent, a.spentTo[prefix]
}

// NextSeq reserves the next sequence number of the account's aggregate
// for an event this node is about to record.
func (b *Balances) NextSeq(user string) uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	a := b.get(user)
	a.seq++
	return a.seq
}
