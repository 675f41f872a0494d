package config

import (
	"fmt"
	"regexp"
	"time"
)

// Account is one item of `accounts:`: spend control for a subscriber's
// calls through trunks (issue 5). A subscriber without an account item is
// postpaid without limits.
type Account struct {
	// User is the subscriber the account belongs to.
	User string `yaml:"user"`
	// Prepaid accounts are refused calls (402) when balance + credit_limit
	// is spent, and a running call is cut when its credit runs out.
	Prepaid bool `yaml:"prepaid"`
	// Balance (decimal, Currency) is the opening credit, recorded once as
	// an account.credited event when the account has none yet.
	Balance string `yaml:"balance"`
	// Currency (ISO 4217) of every amount of the account. Default CNY.
	Currency string `yaml:"currency"`
	// CreditLimit (decimal) is how far below zero a prepaid balance may
	// go. Default 0.
	CreditLimit string `yaml:"credit_limit"`
	// DailyCap (decimal, per UTC day) caps the account's spend; "" = none.
	DailyCap string `yaml:"daily_cap"`
	// DailyCapPerDestination (decimal, per UTC day and rate prefix) caps
	// spend towards one destination, the classic toll-fraud guard; "" =
	// none.
	DailyCapPerDestination string `yaml:"daily_cap_per_destination"`
	// MaxConcurrentCalls (count) bounds the account's calls in progress
	// across the cluster; one more is refused with 486 "Account Call
	// Limit". 0 = no limit.
	MaxConcurrentCalls int `yaml:"max_concurrent_calls"`
	// ReservationSlice (duration) is the talk time a prepaid call
	// reserves at a time: the first slice at setup, the next when half a
	// slice is left. Shorter slices share a small balance between
	// parallel calls more finely; each costs one event. Default 30s.
	ReservationSlice time.Duration `yaml:"reservation_slice"`
}

// decimalRe is a plain decimal amount: digits, an optional point and up to
// six decimals (billing/rating's Money scale).
var (
	decimalRe  = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,6})?$`)
	currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)
)

func validateAccounts(accs []Account, subs map[string]bool) error {
	seen := map[string]bool{}
	for i := range accs {
		a := &accs[i]
		f := fmt.Sprintf("accounts[%d]", i)
		if !subs[a.User] {
			return fieldErr(f+".user", "must name a subscriber, got %q", a.User)
		}
		if seen[a.User] {
			return fieldErr(f+".user", "duplicate account %q", a.User)
		}
		seen[a.User] = true
		if a.Currency == "" {
			a.Currency = "CNY"
		}
		if !currencyRe.MatchString(a.Currency) {
			return fieldErr(f+".currency", "must be an ISO 4217 code like CNY, got %q", a.Currency)
		}
		if a.CreditLimit == "" {
			a.CreditLimit = "0"
		}
		if a.MaxConcurrentCalls < 0 {
			return fieldErr(f+".max_concurrent_calls", "must not be negative, got %d", a.MaxConcurrentCalls)
		}
		if a.ReservationSlice == 0 {
			a.ReservationSlice = 30 * time.Second
		}
		if a.ReservationSlice < time.Second {
			return fieldErr(f+".reservation_slice", "must be at least 1s, got %s", a.ReservationSlice)
		}
		for _, m := range []struct{ name, v string }{{"balance", a.Balance}, {"credit_limit", a.CreditLimit},
			{"daily_cap", a.DailyCap}, {"daily_cap_per_destination", a.DailyCapPerDestination}} {
			if m.v != "" && !decimalRe.MatchString(m.v) {
				return fieldErr(f+"."+m.name, "must be a decimal amount like 12.50 (at most 6 decimals), got %q", m.v)
			}
		}
	}
	return nil
}
