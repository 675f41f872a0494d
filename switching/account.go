package switching

import (
	"context"
	"errors"
	"fmt"
	"time"

	"softswitch/billing/rating"
	"softswitch/domain"
	"softswitch/projections"
)

// AccountPolicy is the spend control of one subscriber's account.
type AccountPolicy struct {
	Prepaid     bool
	CreditLimit rating.Money
	// DailyCap and DailyCapPerDestination (per UTC day, per rate prefix)
	// are 0 for none.
	DailyCap, DailyCapPerDestination rating.Money
	Currency                         string
	// MaxCalls is max_concurrent_calls (0: no limit).
	MaxCalls int
	// Slice is how much talk time one reservation asks for (default 30 s).
	Slice time.Duration
}

// spends tells whether the policy controls money (prepaid or capped), as
// opposed to only limiting concurrent calls.
func (p AccountPolicy) spends() bool {
	return p.Prepaid || p.DailyCap > 0 || p.DailyCapPerDestination > 0
}

// Spend is what the B2BUA needs for spend control: the accounts'
// policies, the ledger (balances and reservations) and the rates. A nil
// *Spend (or a caller without an account) places calls without it.
type Spend struct {
	Accounts func(user string) (AccountPolicy, bool)
	Ledger   *Ledger
	Rater    func() *rating.Rater
}

// Balances is the fold spend control reads.
func (s *Spend) Balances() *projections.Balances { return s.Ledger.Balances() }

// creditMargin is taken off a credit-limited call's duration so that it
// ends before the last paid second is over: billable seconds round up, so
// ending exactly on the second could bill one more increment than the
// balance holds.
const creditMargin = 50 * time.Millisecond

// defaultSlice is a reservation's talk time when the policy sets none:
// long enough that a call renews a few times a minute at most, short
// enough that parallel calls share a small balance.
const defaultSlice = 30 * time.Second

// callAccount is a call's spend control: its account and rate, what the
// caps leave, and what the ledger granted it.
type callAccount struct {
	user   string
	policy AccountPolicy
	row    rating.Row
	// capLimit bounds the answered duration by the daily caps (0: none).
	capLimit time.Duration
	// held: the call holds a reservation, so closing it charges or
	// releases. granted is the sum of its grants.
	held    bool
	granted rating.Money
	// renewing: a renewal is being decided; exhausted: one was refused
	// (or the ledger failed), so the call ends with what it holds.
	renewing, exhausted bool
	settled             bool
}

// talkLimit is the longest the call may last once answered, when bounded:
// by the caps, and for a prepaid account by what it was granted.
func (a *callAccount) talkLimit() (time.Duration, bool) {
	lim, ok := a.capLimit, a.capLimit > 0
	if a.policy.Prepaid {
		g := rating.MaxDuration(a.granted, a.row) - creditMargin
		if !ok || g < lim {
			lim, ok = max(g, 0), true
		}
	}
	return lim, ok
}

// limitCause is why talkLimit ends a call.
func (a *callAccount) limitCause() error {
	if a.capLimit > 0 {
		if lim, _ := a.talkLimit(); lim == a.capLimit {
			return domain.ErrSpendCap
		}
	}
	return domain.ErrCreditExhausted
}

// renewAt is when to ask for the next slice of a prepaid call: half a
// slice before what it holds runs out. Zero when nothing is to be asked.
func (a *callAccount) renewAt(answer time.Time) time.Time {
	if !a.policy.Prepaid || !a.held || a.renewing || a.exhausted || a.granted <= 0 {
		return time.Time{}
	}
	covered := rating.MaxDuration(a.granted, a.row)
	if covered == rating.Unlimited {
		return time.Time{}
	}
	return answer.Add(covered - a.slice()/2)
}

func (a *callAccount) slice() time.Duration {
	if a.policy.Slice > 0 {
		return a.policy.Slice
	}
	return defaultSlice
}

// request is the reservation request of one slice of the call.
func (a *callAccount) request(call string) (domain.AccountReservationRequested, error) {
	r := domain.AccountReservationRequested{Account: a.user, CallID: call, Amount: "0", Minimum: "0",
		Currency: a.policy.Currency, Prepaid: a.policy.Prepaid, MaxCalls: a.policy.MaxCalls}
	if a.policy.Prepaid {
		amount, minimum, ok := slicePrice(a.row, a.slice())
		if !ok {
			return r, fmt.Errorf("price of a %s slice overflows", a.slice())
		}
		r.Amount, r.Minimum, r.CreditLimit = amount.String(), minimum.String(), a.policy.CreditLimit.String()
	}
	return r, nil
}

// grantResult is a reservation's outcome as the call goroutine learns it.
type grantResult struct {
	grant projections.Grant
	err   error
}

// spendControl refuses a call to number n that the caller's account
// cannot pay for, or that would pass its call limit, and otherwise holds
// the first slice of credit for it before any INVITE leaves. Calls to
// unrated destinations are refused for accounts under spend control: they
// could not be charged.
func (c *call) spendControl(ctx context.Context, n string) *domain.CallFailure {
	s := c.b.x.Spend
	if s == nil {
		return nil
	}
	pol, ok := s.Accounts(c.agg.Caller())
	if !ok {
		return nil
	}
	if !pol.spends() {
		// A call limit alone: a seat, no price needed.
		c.acct = &callAccount{user: c.agg.Caller(), policy: pol}
		return c.reserveFirst(ctx)
	}
	now := c.b.rec.Now()
	row, _, ok := s.Rater().SellRate(c.agg.Caller(), n, now)
	if !ok {
		return domain.Classify(domain.ErrUnratedDestination)
	}
	a := &callAccount{user: c.agg.Caller(), policy: pol, row: row}
	if f := a.caps(s.Balances(), now); f != nil {
		return f
	}
	c.acct = a
	return c.reserveFirst(ctx)
}

// caps bounds the call by the daily caps: refused when one is spent.
func (a *callAccount) caps(bal *projections.Balances, now time.Time) *domain.CallFailure {
	total, toPrefix := bal.Spent(a.user, a.row.Prefix, now)
	left, bounded := rating.Money(0), false
	for _, c := range []struct{ limit, spent rating.Money }{{a.policy.DailyCap, total}, {a.policy.DailyCapPerDestination, toPrefix}} {
		if c.limit <= 0 {
			continue
		}
		if c.spent >= c.limit {
			return domain.Classify(domain.ErrSpendCap)
		}
		if !bounded || c.limit-c.spent < left {
			left, bounded = c.limit-c.spent, true
		}
	}
	if !bounded {
		return nil
	}
	if d := rating.MaxDuration(left, a.row); d != rating.Unlimited {
		if d <= creditMargin {
			return domain.Classify(domain.ErrSpendCap)
		}
		a.capLimit = d - creditMargin
	}
	return nil
}

// seat holds a place for a call to another subscriber when the caller's
// account limits its concurrent calls; such calls cost nothing.
func (c *call) seat(ctx context.Context) *domain.CallFailure {
	s := c.b.x
	if s == nil || s.Spend == nil {
		return nil
	}
	pol, ok := s.Spend.Accounts(c.agg.Caller())
	if !ok || pol.MaxCalls <= 0 {
		return nil
	}
	pol.Prepaid = false // on-net: nothing to pay, only the seat
	c.acct = &callAccount{user: c.agg.Caller(), policy: pol}
	return c.reserveFirst(ctx)
}

// reserveFirst asks the ledger for the call's first slice (or seat).
func (c *call) reserveFirst(ctx context.Context) *domain.CallFailure {
	a := c.acct
	if !a.policy.Prepaid && a.policy.MaxCalls <= 0 {
		return nil // caps only: nothing to reserve
	}
	req, err := a.request(c.id)
	if err != nil {
		return domain.Classify(fmt.Errorf("%w: %v", domain.ErrInsufficientFunds, err))
	}
	g, err := c.b.x.Spend.Ledger.Reserve(ctx, req)
	switch {
	case errors.Is(err, domain.ErrLedgerUnavailable):
		return domain.Classify(err)
	case err != nil:
		// A reservation the log cannot hold refuses the call: it is
		// never let through unbilled.
		c.b.log.Error("call: reservation not recorded", "call", c.id, "account", a.user, "error", err)
		return domain.Classify(err)
	case g.Refused == projections.RefusedBusy:
		return domain.Classify(domain.ErrAccountBusy)
	case g.Refused != "":
		return domain.Classify(domain.ErrInsufficientFunds)
	}
	a.held, a.granted = true, g.Amount
	if lim, ok := a.talkLimit(); ok && lim <= 0 {
		return domain.Classify(domain.ErrInsufficientFunds)
	}
	return nil
}

// renew asks for the next slice on its own goroutine; the answer comes
// back as evGranted.
func (c *call) renew(ctx context.Context) {
	a := c.acct
	req, err := a.request(c.id)
	if err != nil {
		a.exhausted = true
		return
	}
	a.renewing = true
	ledger := c.b.x.Spend.Ledger
	go func() {
		g, err := ledger.Reserve(context.WithoutCancel(ctx), req)
		c.send(callEvent{kind: evGranted, grant: grantResult{grant: g, err: err}})
	}()
}

// granted takes a renewal's answer: more credit, or none (the call then
// ends when what it holds runs out).
func (c *call) granted(r grantResult) {
	a := c.acct
	a.renewing = false
	if r.err != nil || r.grant.Refused != "" || r.grant.Amount <= 0 {
		a.exhausted = true
		if r.err != nil {
			c.b.log.Warn("call: credit renewal failed", "call", c.id, "account", a.user, "error", r.err)
		}
		return
	}
	a.granted += r.grant.Amount
}

// settle closes the call's account once it has ended: the price of an
// answered, rated call is charged (which releases what it held),
// otherwise what it held is released. Balances and daily spend are folds
// of these events on every node.
func (c *call) settle(ctx context.Context) {
	a := c.acct
	if a == nil || a.settled || !c.agg.Ended() {
		return
	}
	a.settled = true
	r, err := c.agg.CDR()
	if err != nil {
		return
	}
	if err := settleCDR(ctx, c.b.x.Spend, a.user, a.held, r); err != nil {
		c.b.log.Error("call: charge not recorded", "call", c.id, "account", a.user, "error", err)
	}
}

// settleCDR rates an ended call's CDR and charges or releases its account.
// A call that held nothing and was not charged records nothing.
func settleCDR(ctx context.Context, s *Spend, account string, held bool, r domain.CDR) error {
	s.Rater().Rate(&r)
	// The sell side alone is the account's business: a call whose buy
	// side has no rate yet ("unrated") is still charged to the caller.
	if r.Disposition == domain.DispositionAnswered && r.RateDeck != "" && r.Price != "" {
		return s.Ledger.Charge(ctx, domain.AccountCharged{Account: account, CallID: r.CallID, Amount: r.Price, Currency: r.Currency,
			Prefix: r.RatePrefix, Deck: r.RateDeck, BillableS: r.BillableS})
	}
	if !held {
		return nil
	}
	return s.Ledger.Release(ctx, account, r.CallID, r.Reason)
}
