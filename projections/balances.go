package projections

import (
	"sync"
	"time"

	"softswitch/billing/rating"
	"softswitch/domain"
)

// Balances folds account.credited and account.charged events into each
// account's balance and its spend per UTC day, in total and per rate
// prefix: what spend control reads at call setup. A charge is counted once
// per call id, whatever node recorded it and however often it was
// redelivered.
type Balances struct {
	mu       sync.RWMutex
	accounts map[string]*account
}

type account struct {
	credited, charged rating.Money
	hasCredit         bool
	calls             map[string]bool
	day               string                  // the UTC day of spent
	spent             rating.Money            // on day
	spentTo           map[string]rating.Money // on day, by rate prefix
	seq               uint64
}

// NewBalances returns empty balances.
func NewBalances() *Balances { return &Balances{accounts: map[string]*account{}} }

func (b *Balances) get(user string) *account {
	a := b.accounts[user]
	if a == nil {
		a = &account{calls: map[string]bool{}, spentTo: map[string]rating.Money{}}
		b.accounts[user] = a
	}
	return a
}

// Apply implements Projection.
func (b *Balances) Apply(env domain.Envelope, ev domain.Event) error {
	if env.Type != domain.TypeAccountCredited && env.Type != domain.TypeAccountCharged {
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
		amt, err := rating.ParseMoney(e.Amount)
		if err != nil {
			return err
		}
		a := b.get(e.Account)
		a.credited += amt
		a.hasCredit = true
		a.seq = max(a.seq, env.Seq)
	case domain.AccountCharged:
		amt, err := rating.ParseMoney(e.Amount)
		if err != nil {
			return err
		}
		a := b.get(e.Account)
		a.seq = max(a.seq, env.Seq)
		if a.calls[e.CallID] {
			return nil // redelivered, or recorded by a node that restarted
		}
		a.calls[e.CallID] = true
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
	}
	return nil
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
