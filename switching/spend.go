package switching

import (
	"context"
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
}

// Spend is what the B2BUA needs for spend control: the accounts' policies,
// the projected balances and spend, and the rates. A nil *Spend (or a
// caller without an account) places calls without it.
type Spend struct {
	Accounts func(user string) (AccountPolicy, bool)
	Balances *projections.Balances
	Rater    func() *rating.Rater
}

// creditMargin is taken off a credit-limited call's duration so that it
// ends before the last paid second is over: billable seconds round up, so
// ending exactly on the second could bill one more increment than the
// balance holds.
const creditMargin = 50 * time.Millisecond

// spendControl refuses a call the account cannot pay for and otherwise
// bounds its duration by what is left: the prepaid balance plus the
// credit limit, and the daily caps. Calls to unrated destinations are
// refused for accounts under spend control: they could not be charged.
func (c *call) spendControl(n string) *domain.CallFailure {
	s := c.b.x.Spend
	if s == nil {
		return nil
	}
	acc, ok := s.Accounts(c.agg.Caller())
	if !ok {
		return nil
	}
	now := c.b.rec.Now()
	row, deck, ok := s.Rater().SellRate(c.agg.Caller(), n, now)
	if !ok {
		return domain.Classify(domain.ErrUnratedDestination)
	}
	left, bounded := rating.Money(0), false
	bound := func(m rating.Money) {
		if !bounded || m < left {
			left, bounded = m, true
		}
	}
	total, toPrefix := s.Balances.Spent(c.agg.Caller(), row.Prefix, now)
	if acc.DailyCap > 0 {
		if total >= acc.DailyCap {
			return domain.Classify(domain.ErrSpendCap)
		}
		bound(acc.DailyCap - total)
	}
	if acc.DailyCapPerDestination > 0 {
		if toPrefix >= acc.DailyCapPerDestination {
			return domain.Classify(domain.ErrSpendCap)
		}
		bound(acc.DailyCapPerDestination - toPrefix)
	}
	if acc.Prepaid {
		bal, _ := s.Balances.Balance(c.agg.Caller())
		avail := bal + acc.CreditLimit
		if avail <= 0 {
			return domain.Classify(domain.ErrInsufficientFunds)
		}
		bound(avail)
	}
	c.account, c.accountCurrency = c.agg.Caller(), acc.Currency
	if !bounded {
		return nil
	}
	d := rating.MaxDuration(left, row)
	if d <= creditMargin {
		if acc.Prepaid {
			return domain.Classify(domain.ErrInsufficientFunds)
		}
		return domain.Classify(domain.ErrSpendCap)
	}
	c.credit = d - creditMargin
	c.b.log.Debug("call: credit-limited", "call_id", c.aCallID, "account", c.account, "left", left.String(), "deck", deck.Ref, "max", c.credit)
	return nil
}

// charge records the price of an ended, answered call against the caller's
// account, once. Balances and daily spend are folds of these events on
// every node.
func (c *call) charge(ctx context.Context) {
	if c.b.x == nil || c.b.x.Spend == nil {
		return
	}
	s := c.b.x.Spend
	if c.account == "" || c.charged || !c.agg.Ended() {
		return
	}
	c.charged = true
	r, err := c.agg.CDR()
	if err != nil || !c.agg.Answered() {
		return
	}
	s.Rater().Rate(&r)
	// The sell side alone is the account's business: a call whose buy side
	// has no rate yet ("unrated") is still charged to the caller.
	if r.RateDeck == "" || r.Price == "" {
		return
	}
	ev := domain.AccountCharged{Account: c.account, CallID: c.aCallID, Amount: r.Price, Currency: r.Currency,
		Prefix: r.RatePrefix, Deck: r.RateDeck, BillableS: r.BillableS}
	if err := c.b.rec.Record(ctx, domain.Recorded{Event: ev, Seq: s.Balances.NextSeq(c.account), At: c.b.rec.Now()}); err != nil {
		c.b.log.Error("call: charge not recorded", "call_id", c.aCallID, "account", c.account, "error", err)
	}
}
