package main

import (
	"context"
	"fmt"

	"softswitch/billing/rating"
	"softswitch/domain"
	"softswitch/internal/config"
	"softswitch/projections"
	"softswitch/switching"
)

// newSpend wires spend control from the config's accounts and records the
// opening balance of a prepaid account that has never been credited.
func newSpend(ctx context.Context, cfg *config.Config, rec *switching.Recorder, bal *projections.Balances, decks *projections.RateDecks) (*switching.Spend, error) {
	policies := make(map[string]switching.AccountPolicy, len(cfg.Accounts))
	for i, a := range cfg.Accounts {
		f := fmt.Sprintf("accounts[%d]", i)
		var p switching.AccountPolicy
		var err error
		money := func(field, v string) rating.Money {
			if v == "" || err != nil {
				return 0
			}
			var m rating.Money
			if m, err = rating.ParseMoney(v); err != nil {
				err = fmt.Errorf("%w: %s.%s: %v", config.ErrInvalid, f, field, err)
			}
			return m
		}
		p.Prepaid, p.Currency = a.Prepaid, a.Currency
		p.CreditLimit = money("credit_limit", a.CreditLimit)
		p.DailyCap = money("daily_cap", a.DailyCap)
		p.DailyCapPerDestination = money("daily_cap_per_destination", a.DailyCapPerDestination)
		opening := money("balance", a.Balance)
		if err != nil {
			return nil, err
		}
		policies[a.User] = p
		if _, credited := bal.Balance(a.User); !credited && a.Balance != "" {
			ev := domain.AccountCredited{Account: a.User, Amount: opening.String(), Currency: a.Currency, Reason: "opening balance"}
			if err := rec.Record(ctx, domain.Recorded{Event: ev, Seq: bal.NextSeq(a.User), At: rec.Now()}); err != nil {
				return nil, fmt.Errorf("opening balance of %s: %w", a.User, err)
			}
		}
	}
	return &switching.Spend{
		Accounts: func(user string) (switching.AccountPolicy, bool) { p, ok := policies[user]; return p, ok },
		Balances: bal,
		Rater:    decks.Rater,
	}, nil
}
