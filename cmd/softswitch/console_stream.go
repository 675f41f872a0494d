package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"softswitch/projections"
)

// The live-calls stream is server-sent events (text/event-stream) read by
// the console with fetch(), not EventSource: EventSource cannot send the
// Authorization header, and a token in the URL would end up in logs and
// history. fetch() streams the body as well.
const (
	// callsStreamEvery is how often the projection is looked at; a change
	// is sent at most this late.
	callsStreamEvery = 500 * time.Millisecond
	// callsStreamPing keeps proxies from closing an idle stream.
	callsStreamPing = 15 * time.Second
	// maxCallStreams bounds open streams: each costs a goroutine and a
	// copy of the projection twice a second.
	maxCallStreams = 32
)

var callStreams atomic.Int32

// callsSnapshot is one event of the stream: the calls, and the switch's
// clock so the page computes durations without trusting the browser's.
type callsSnapshot struct {
	Now   time.Time                `json:"now"`
	Calls []projections.ActiveCall `json:"calls"`
}

// streamCalls is GET /api/v1/calls/stream: an event "calls" with every
// active call (legs, trunk, live MOS) at once, then again whenever the
// list changes, until the client goes away.
func (a *admin) streamCalls(w http.ResponseWriter, r *http.Request) {
	if callStreams.Add(1) > maxCallStreams {
		callStreams.Add(-1)
		http.Error(w, fmt.Sprintf("too many live-calls streams open (%d)", maxCallStreams), http.StatusServiceUnavailable)
		return
	}
	defer callStreams.Add(-1)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	// nginx and others buffer a response unless told not to.
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	tick := time.NewTicker(callsStreamEvery)
	defer tick.Stop()
	var last []byte
	lastSent := time.Time{}
	for {
		calls := a.calls.List()
		body, err := json.Marshal(calls)
		if err != nil {
			return
		}
		now := time.Now()
		switch {
		case !bytes.Equal(body, last):
			msg, _ := json.Marshal(callsSnapshot{Now: now.UTC(), Calls: calls})
			if _, err := fmt.Fprintf(w, "event: calls\ndata: %s\n\n", msg); err != nil {
				return
			}
			last, lastSent = body, now
		case now.Sub(lastSent) >= callsStreamPing:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
			lastSent = now
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}
