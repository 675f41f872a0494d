// Package projections holds the read models the switch routes from. Each is
// a fold over the event log: rebuilt by replay at start, then kept current
// by the events the node appends (and, with Kafka, those of other nodes).
package projections

import (
	"context"
	"fmt"

	"softswitch/domain"
	"softswitch/eventstore"
)

// Projection folds envelopes into a read model. ev is the decoded event when
// the caller has it (the node's own appends), nil otherwise; a projection
// decodes only the types it cares about.
type Projection interface {
	Apply(env domain.Envelope, ev domain.Event) error
}

// Set applies envelopes to several projections in order.
type Set []Projection

// Apply feeds one envelope to every projection.
func (s Set) Apply(env domain.Envelope, ev domain.Event) error {
	for _, p := range s {
		if err := p.Apply(env, ev); err != nil {
			return fmt.Errorf("projection %T at position %d: %w", p, env.Position, err)
		}
	}
	return nil
}

// Replay rebuilds the projections from the whole log and returns the head
// it reached.
func (s Set) Replay(ctx context.Context, store eventstore.Store) (uint64, error) {
	var last uint64
	err := store.Read(ctx, 1, func(env domain.Envelope) error {
		last = env.Position
		return s.Apply(env, nil)
	})
	return last, err
}

// decodeIf returns ev when set, otherwise decodes the envelope.
func decodeIf(env domain.Envelope, ev domain.Event) (domain.Event, error) {
	if ev != nil {
		return ev, nil
	}
	return domain.Decode(env)
}
