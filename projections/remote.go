package projections

import (
	"strings"

	"softswitch/domain"
)

// Remote feeds a node the events other nodes share through Kafka. A node
// already applied its own events when it appended them, so those are
// skipped. Of the others:
//   - registrations, subscribers, rate decks and accounts go to set;
//   - interconnect definitions and trunk health/registration (carrier:,
//     trunk:, route:, did:) and the legs of calls (LegStarted, LegEnded)
//     go to trunks, so that trunk load and health are shared and a
//     trunk's limits hold across nodes. TrunkLoad ignores legs without a
//     trunk: a LegEnded does not say its trunk, so the filter here cannot.
//
// Other call events and bans never leave the node that handles them; in
// particular no remote call event reaches set, so the local Calls
// projection (which must hold only this node's calls, to close them after
// a crash) may sit in set.
type Remote struct {
	set    Set
	trunks Set
	self   string
	// ordered receives every node's events of the aggregates under
	// orderedPrefix, this node's included (see OrderedBy).
	ordered       Projection
	orderedPrefix string
}

// OrderedBy hands every event of the aggregates under prefix, whichever
// node wrote it, to p instead of to the shared set: p folds them in the
// shared log's order only (the node does not apply its own as it records
// them), so that every node folds them identically. The balances use it:
// reservations are decided by the order of the log, not of one node.
func (r *Remote) OrderedBy(p Projection, prefix string) {
	r.ordered, r.orderedPrefix = p, prefix
}

// NewRemote returns the remote feed of node self: shared state to set,
// interconnect and trunk-load events to trunks (the Interconnect and
// TrunkLoad projections; none leaves them local). trunks is variadic so
// that callers written before trunks existed still compile.
func NewRemote(set Set, self string, trunks ...Projection) *Remote {
	return &Remote{set: set, trunks: Set(trunks), self: self}
}

// Apply implements Projection.
func (r *Remote) Apply(env domain.Envelope, ev domain.Event) error {
	if r.ordered != nil && strings.HasPrefix(env.Aggregate, r.orderedPrefix) {
		return r.ordered.Apply(env, ev)
	}
	if env.Node == r.self {
		return nil
	}
	switch {
	case r.wantsShared(env):
		return r.set.Apply(env, ev)
	case r.wantsTrunk(env):
		return r.trunks.Apply(env, ev)
	}
	return nil
}

// Wants tells whether env is another node's shared state.
func (r *Remote) Wants(env domain.Envelope) bool {
	if r.ordered != nil && strings.HasPrefix(env.Aggregate, r.orderedPrefix) {
		return true
	}
	return env.Node != r.self && (r.wantsShared(env) || r.wantsTrunk(env))
}

func (r *Remote) wantsShared(env domain.Envelope) bool {
	for _, p := range sharedPrefixes {
		if strings.HasPrefix(env.Aggregate, p) {
			return true
		}
	}
	return false
}

// sharedPrefixes are the aggregates every node folds, whichever wrote
// them: registrations, subscribers, rate decks, and account balances
// (credits and the charges of calls on every node).
var sharedPrefixes = [...]string{"aor:", "subscriber:", "deck:", "account:"}

func (r *Remote) wantsTrunk(env domain.Envelope) bool {
	if len(r.trunks) == 0 {
		return false
	}
	if strings.HasPrefix(env.Aggregate, "call:") {
		return env.Type == domain.TypeLegStarted || env.Type == domain.TypeLegEnded
	}
	return isInterconnect(env.Aggregate)
}
