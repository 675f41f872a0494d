package domain

import (
	"fmt"
	"strings"
)

// CallingPolicy is what a subscriber may call out to through trunks.
// Prefixes are of E.164 numbers (country code first, no '+'): "86138",
// "8610", "1". The zero policy allows every national number and no
// international one.
type CallingPolicy struct {
	// Allow, when not empty, is the only prefixes callable.
	Allow []string
	// Deny prefixes are never callable; deny wins over allow.
	Deny []string
	// International allows numbers outside the home country. Off by
	// default: international fraud is the costliest abuse of a stolen
	// SIP account.
	International bool
	// Identities are the numbers (E.164 digits) the subscriber may
	// present as its caller ID by P-Preferred-Identity (RFC 3325 §9.2):
	// a PBX's DIDs, a dialer's caller-ID pool. Any other asked-for
	// identity is ignored and the account is presented.
	Identities []string
}

// MayPresent tells whether number (E.164 digits) is one of p's identities.
func (p CallingPolicy) MayPresent(number string) bool {
	for _, id := range p.Identities {
		if id == number {
			return true
		}
	}
	return false
}

// BarredError says which rule barred a number.
type BarredError struct {
	Number string
	Rule   string // "deny 86168", "international", "not in allow list"
}

func (e *BarredError) Error() string {
	return fmt.Sprintf("call to %s barred: %s", e.Number, e.Rule)
}

func (e *BarredError) Unwrap() error { return ErrCallBarred }

// Check tells whether number (E.164) may be called by a subscriber of
// homeCC (country code, "86"). It returns a *BarredError (wrapping
// ErrCallBarred, so Classify gives 403) or nil. Order: deny, then
// international, then allow, so that an allow list can narrow but never
// open international calling by itself.
func (p CallingPolicy) Check(number, homeCC string) error {
	for _, d := range p.Deny {
		if strings.HasPrefix(number, d) {
			return &BarredError{Number: number, Rule: "deny " + d}
		}
	}
	if !p.International && !strings.HasPrefix(number, homeCC) {
		return &BarredError{Number: number, Rule: "international"}
	}
	if len(p.Allow) == 0 {
		return nil
	}
	for _, a := range p.Allow {
		if strings.HasPrefix(number, a) {
			return nil
		}
	}
	return &BarredError{Number: number, Rule: "not in allow list"}
}
