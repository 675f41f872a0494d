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
		return enc.Encode(env)
	})
	if err != nil && !errors.Is(err, errEnough) {
		a.log.Warn("admin: events read", "error", err)
	}
}

// callEvents streams one call's events as JSON lines, read position by
// position through the call index: GET /api/v1/calls/{id}/events. Replay
// then costs a few journal seeks, whatever the size of the log.
func (a *admin) callEvents(w http.ResponseWriter, r *http.Request) {
	positions := a.callIndex.Positions(r.PathValue("id"))
	if len(positions) == 0 {
		http.Error(w, "no such call", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	for _, p := range positions {
		err := a.store.Read(r.Context(), p, func(env domain.Envelope) error {
			if err := enc.Encode(env); err != nil {
				return err
			}
			return errEnough
		})
		if err != nil && !errors.Is(err, errEnough) {
			a.log.Warn("admin: call events read", "position", p, "error", err)
			return
		}
	}
}
