// Package domain holds the softswitch's events, aggregates and value types.
// It imports only the standard library: everything that touches a network,
// a disk or a driver lives in an adapter package and depends on this one.
package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Event is one fact that happened. Every event names its type with a
// constant (never by reflection, so renaming a Go type cannot change the
// log), carries a schema version, and says which aggregate it belongs to.
type Event interface {
	EventType() string
	SchemaVersion() int
	AggregateKey() string
}

// Envelope wraps an encoded event with the metadata every backend carries:
// the journal frame, Kafka headers, watermill message metadata.
type Envelope struct {
	// ID is unique across the cluster: "<node>-<hex timestamp>-<hex counter>".
	ID string `json:"id"`
	// Type and Version select the decoder for Payload.
	Type    string `json:"type"`
	Version int    `json:"version"`
	// Aggregate is the key that orders events: "call:<id>", "aor:<user>",
	// "subscriber:<user>", "source:<ip>".
	Aggregate string `json:"aggregate"`
	// Seq is the per-aggregate sequence, starting at 1.
	Seq uint64 `json:"seq"`
	// Node is the switch node that produced the event.
	Node string `json:"node"`
	// Time is when the event happened, in UTC.
	Time time.Time `json:"time"`
	// Position is the offset in the store that holds the envelope; it is set
	// by the store on append and is not part of the event's identity.
	Position uint64 `json:"position,omitempty"`
	// Payload is the JSON encoding of the event.
	Payload json.RawMessage `json:"payload"`

	// event is the value Payload encodes, when this process sealed it: an
	// in-memory handoff (the journal keeps recent envelopes, and the CDR
	// builder folds them) then skips decoding JSON it has just encoded.
	// It is never serialised, and used only while the envelope still holds
	// the very payload it was sealed with (same bytes in memory, same type
	// and version): whoever replaces Payload, Type or Version gets a decode.
	event  Event
	sealed json.RawMessage
}

// sealedEvent is env.event when it still describes env.
func (env *Envelope) sealedEvent() Event {
	if env.event == nil || len(env.sealed) != len(env.Payload) || len(env.Payload) == 0 ||
		&env.sealed[0] != &env.Payload[0] ||
		env.event.EventType() != env.Type || env.event.SchemaVersion() != env.Version {
		return nil
	}
	return env.event
}

// ErrUnknownEventType is returned by Decode for a type it does not know.
var ErrUnknownEventType = errors.New("domain: unknown event type")

// ErrUnsupportedVersion is returned by Decode for a known type whose schema
// version is newer than this build understands.
var ErrUnsupportedVersion = errors.New("domain: unsupported event schema version")

// Seal encodes an event into an envelope. id, node and time come from the
// caller so that the domain stays free of clocks and randomness.
func Seal(ev Event, id, node string, seq uint64, at time.Time) (Envelope, error) {
	payload, err := json.Marshal(ev)
	if err != nil {
		return Envelope{}, fmt.Errorf("domain: encode %s: %w", ev.EventType(), err)
	}
	return Envelope{
		ID:        id,
		Type:      ev.EventType(),
		Version:   ev.SchemaVersion(),
		Aggregate: ev.AggregateKey(),
		Seq:       seq,
		Node:      node,
		Time:      at.UTC(),
		Payload:   payload,
		event:     ev,
		sealed:    payload,
	}, nil
}

// Decode turns an envelope back into its event, as a value of the event's
// type (never a pointer).
func Decode(env Envelope) (Event, error) {
	if ev := env.sealedEvent(); ev != nil {
		// Sealed here: Payload is its encoding (Seal), and events are
		// values nobody mutates after sealing.
		return ev, nil
	}
	return decodePayload(env.Type, env.Version, env.Payload)
}
