package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"softswitch/domain"
)

// errEnough stops a journal read once the page is full.
var errEnough = errors.New("page full")

// events streams the node's journal as JSON lines, from position `from`
// (default 1), at most `limit` envelopes (default 10000, at most 1e6). It
// is how tests and auditors compare the journal with what reached Kafka.
// Secrets (subscribers' HA1s) are redacted (domain.RedactSecrets).
func (a *admin) events(w http.ResponseWriter, r *http.Request) {
	from, limit := uint64(1), 10000
	if v := r.URL.Query().Get("from"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			http.Error(w, "from: not a position", http.StatusBadRequest)
			return
		}
		from = n
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			http.Error(w, "limit: must be 1 to 1000000", http.StatusBadRequest)
			return
		}
		limit = n
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	n := 0
	err := a.store.Read(r.Context(), from, func(env domain.Envelope) error {
		if n >= limit {
			return errEnough
		}
		n++
		// The journal keeps subscribers' HA1s; what leaves it does not.
		return enc.Encode(domain.RedactSecrets(env))
	})
	if err != nil && !errors.Is(err, errEnough) {
		a.log.Warn("admin: events read", "error", err)
	}
}

// callEvents streams one call's events as JSON lines, found through the
// journal's aggregate index (journal.ReadAggregate): GET
// /api/v1/calls/{id}/events. Replay then costs a few journal reads,
// whatever the size of the log, and the switch keeps no index of its own
// in memory.
func (a *admin) callEvents(w http.ResponseWriter, r *http.Request) {
	var envs []domain.Envelope
	err := a.journal.ReadAggregate(r.Context(), domain.CallKey(r.PathValue("id")), func(env domain.Envelope) error {
		envs = append(envs, env)
		return nil
	})
	if err != nil {
		a.log.Warn("admin: call events read", "call", r.PathValue("id"), "error", err)
		http.Error(w, "read the journal: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if len(envs) == 0 {
		http.Error(w, "no such call", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	for _, env := range envs {
		// A call's events hold no HA1, so this changes no byte of them (and
		// no journal proof of an exported bundle); it is the rule of every
		// edge all the same.
		if err := enc.Encode(domain.RedactSecrets(env)); err != nil {
			return
		}
	}
}
