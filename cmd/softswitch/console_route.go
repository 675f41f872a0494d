package main

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"softswitch/switching"
)

// simulateRoute is GET /api/v1/route?number=&caller=: the decision the
// switch would take for a call from caller to number now, and why, from
// the same routing table and trunk state a call would use. It places no
// call and records nothing, so a read token may ask.
func (a *admin) simulateRoute(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	num, who := strings.TrimSpace(q.Get("number")), strings.TrimSpace(q.Get("caller"))
	if f, msg := routeQueryError(num, who, a.subs.Lookup); f != "" {
		fieldError(w, f, msg)
		return
	}
	if a.x == nil {
		http.Error(w, "routing is not set up on this switch", http.StatusServiceUnavailable)
		return
	}
	s, err := a.x.Simulate(who, num, time.Now())
	if errors.Is(err, switching.ErrNotANumber) {
		fieldError(w, "number", "not a phone number (digits, optionally with a leading +)")
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

// routeQueryError checks the simulation's fields before routing: the
// field at fault and why, or "" when both are usable. The caller must be
// a subscriber, as its calling policy is part of the decision.
func routeQueryError[C any](number, caller string, lookup func(string) (C, bool)) (string, string) {
	switch {
	case number == "":
		return "number", "required"
	case len(number) > 32:
		return "number", "at most 32 characters"
	case caller == "":
		return "caller", "required"
	}
	if _, ok := lookup(caller); !ok {
		return "caller", "no subscriber " + caller
	}
	return "", ""
}
