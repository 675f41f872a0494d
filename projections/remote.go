package projections

import (
	"strings"

	"softswitch/domain"
)

// Remote feeds a node the events other nodes share through Kafka. A node
// already applied its own events when it appended them, so those are
// skipped; of the others, only registrations and subscribers are applied:
// calls and bans are the business of the node that handles them.
type Remote struct {
	set  Set
	self string
}

// NewRemote returns the remote feed of set for node self.
func NewRemote(set Set, self string) *Remote { return &Remote{set: set, self: self} }

// Apply implements Projection.
func (r *Remote) Apply(env domain.Envelope, ev domain.Event) error {
	if !r.Wants(env) {
		return nil
	}
	return r.set.Apply(env, ev)
}

// Wants tells whether env is another node's shared state.
func (r *Remote) Wants(env domain.Envelope) bool {
	if env.Node == r.self {
		return false
	}
	return strings.HasPrefix(env.Aggregate, "aor:") || strings.HasPrefix(env.Aggregate, "subscriber:")
}
