// Package storetest is the behavioural suite every eventstore.Store backend
// must pass. A backend's test calls Run with a Factory for fresh stores.
package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"softswitch/domain"
)

// samplePayload is self-describing so a reader can prove an envelope is
// intact without knowing what was written.
type samplePayload struct {
	ID        string `json:"id"`
	Aggregate string `json:"aggregate"`
	Seq       uint64 `json:"seq"`
	Pad       string `json:"pad"`
}

// Envelope builds a realistic test envelope (about 300 bytes encoded)
// whose payload repeats its identity; Check verifies it.
func Envelope(n int, aggregate string, seq uint64) domain.Envelope {
	id := fmt.Sprintf("node-a-%x-%x", n, seq)
	p, err := json.Marshal(samplePayload{
		ID: id, Aggregate: aggregate, Seq: seq,
		// Roughly the size of a CallAnswered payload with SDP digests.
		Pad: strings.Repeat("sip:alice@example.net;tag=", 6)[:150],
	})
	if err != nil {
		panic(err)
	}
	return domain.Envelope{
		ID:        id,
		Type:      "call.answered",
		Version:   1,
		Aggregate: aggregate,
		Seq:       seq,
		Node:      "node-a",
		Time:      time.Date(2025, 1, 2, 3, 4, 5, n, time.UTC),
		Payload:   p,
	}
}

// Check reports whether env is an intact envelope made by Envelope.
func Check(env domain.Envelope) error {
	var p samplePayload
	if err := json.Unmarshal(env.Payload, &p); err != nil {
		return fmt.Errorf("position %d: payload: %w", env.Position, err)
	}
	if p.ID != env.ID || p.Aggregate != env.Aggregate || p.Seq != env.Seq || env.Type != "call.answered" || env.Node != "node-a" {
		return fmt.Errorf("position %d: envelope %+v does not match payload %+v", env.Position, env, p)
	}
	return nil
}

// Same reports whether two envelopes are equal field by field, comparing
// times as instants so a backend may change their location or monotonic
// reading.
func Same(a, b domain.Envelope) bool {
	return a.ID == b.ID && a.Type == b.Type && a.Version == b.Version &&
		a.Aggregate == b.Aggregate && a.Seq == b.Seq && a.Node == b.Node &&
		a.Time.Equal(b.Time) && a.Position == b.Position && string(a.Payload) == string(b.Payload)
}
