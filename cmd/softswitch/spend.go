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
// opening balance of each account once: with the ref "opening", so that
// nodes which all start and each record it are credited once (the
// balance fold keeps one credit per ref).
func newSpend(ctx context.Context, cfg *config.Config, ledger *switching.Ledger, decks *projections.RateDecks) (*switching.Spend, error) {
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
		p.Prepaid, p.Currency, p.MaxCalls, p.Slice = a.Prepaid, a.Currency, a.MaxConcurrentCalls, a.ReservationSlice
		p.CreditLimit = money("credit_limit", a.CreditLimit)
		p.DailyCap = money("daily_cap", a.DailyCap)
		p.DailyCapPerDestination = money("daily_cap_per_destination", a.DailyCapPerDestination)
		opening := money("balance", a.Balance)
		if err != nil {
			return nil, err
		}
		policies[a.User] = p
		if a.Balance != "" {
			ev := domain.AccountCredited{Account: a.User, Amount: opening.String(), Currency: a.Currency, Reason: "opening balance", Ref: domain.OpeningRef}
			if err := ledger.Credit(ctx, ev); err != nil {
				return nil, fmt.Errorf("opening balance of %s: %w", a.User, err)
			}
		}
	}
	return &switching.Spend{
		Accounts: func(user string) (switching.AccountPolicy, bool) { p, ok := policies[user]; return p, ok },
		Ledger:   ledger,
		Rater:    decks.Rater,
	}, nil
}
