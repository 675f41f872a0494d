package projections

import (
	"sort"
	"strings"
	"sync"
	"time"

	"softswitch/domain"
)

// Binding is one registered contact of an AOR (RFC 3261 §10.3).
type Binding struct {
	Contact   string    `json:"contact"`
	ExpiresAt time.Time `json:"expires_at"`
	Source    string    `json:"source"`
	Transport string    `json:"transport"`
	CallID    string    `json:"call_id"`
	CSeq      uint32    `json:"cseq"`
	UserAgent string    `json:"user_agent,omitempty"`
	// Node is the switch node whose registrar wrote the binding. With
	// Kafka, every node routes to every binding, but only its own node
	// sweeps it when it expires, so an expiry is recorded once.
	Node string `json:"node"`
}

type aorState struct {
	version  uint64
	bindings []Binding
}

// Location is the location service: AOR -> contacts with expiry. The
// registrar writes ContactBound/ContactUnbound events; routing reads this.
// Expired bindings are invisible to Lookup even before the sweep that
// records their ContactUnbound.
type Location struct {
	mu   sync.RWMutex
	aors map[string]*aorState
}

// NewLocation returns an empty location service.
func NewLocation() *Location { return &Location{aors: map[string]*aorState{}} }

// Lookup returns the live bindings of an AOR at time now.
func (l *Location) Lookup(aor string, now time.Time) []Binding {
	l.mu.RLock()
	defer l.mu.RUnlock()
	st := l.aors[aor]
	if st == nil {
		return nil
	}
	out := make([]Binding, 0, len(st.bindings))
	for _, b := range st.bindings {
		if b.ExpiresAt.After(now) {
			out = append(out, b)
		}
	}
	return out
}

// Binding returns one binding of an AOR, expired or not.
func (l *Location) Binding(aor, contact string) (Binding, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if st := l.aors[aor]; st != nil {
		for _, b := range st.bindings {
			if b.Contact == contact {
				return b, true
			}
		}
	}
	return Binding{}, false
}

// Version is the sequence of the AOR aggregate's last event.
func (l *Location) Version(aor string) uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if st := l.aors[aor]; st != nil {
		return st.version
	}
	return 0
}

// Registration is one AOR with its live bindings, for the admin API.
type Registration struct {
	AOR      string    `json:"aor"`
	Contacts []Binding `json:"contacts"`
}

// All lists every AOR with live bindings at now, sorted.
func (l *Location) All(now time.Time) []Registration {
	l.mu.RLock()
	aors := make([]string, 0, len(l.aors))
	for a := range l.aors {
		aors = append(aors, a)
	}
	l.mu.RUnlock()
	sort.Strings(aors)
	out := make([]Registration, 0, len(aors))
	for _, a := range aors {
		if b := l.Lookup(a, now); len(b) > 0 {
			out = append(out, Registration{AOR: a, Contacts: b})
		}
	}
	return out
}

// Expired lists bindings of node whose expiry has passed, for that node's
// sweeper. Bindings with no node (written before nodes were recorded)
// belong to every node.
func (l *Location) Expired(now time.Time, node string, limit int) []struct{ AOR, Contact string } {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var out []struct{ AOR, Contact string }
	for a, st := range l.aors {
		for _, b := range st.bindings {
			if !b.ExpiresAt.After(now) && (b.Node == node || b.Node == "") {
				out = append(out, struct{ AOR, Contact string }{a, b.Contact})
				if len(out) >= limit {
					return out
				}
			}
		}
	}
	return out
}

// Count returns the number of AORs and bindings held, expired included.
func (l *Location) Count() (aors, bindings int) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	for _, st := range l.aors {
		bindings += len(st.bindings)
	}
	return len(l.aors), bindings
}

// Apply implements Projection.
func (l *Location) Apply(env domain.Envelope, ev domain.Event) error {
	if !strings.HasPrefix(env.Aggregate, "aor:") {
		return nil
	}
	aor := strings.TrimPrefix(env.Aggregate, "aor:")
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.aors[aor]
	if st == nil {
		st = &aorState{}
		l.aors[aor] = st
	}
	if env.Seq != 0 && env.Seq <= st.version {
		return nil // a redelivered event
	}
	if env.Seq != 0 {
		st.version = env.Seq
	}
	if env.Type != domain.TypeContactBound && env.Type != domain.TypeContactUnbound {
		return nil
	}
	ev, err := decodeIf(env, ev)
	if err != nil {
		return err
	}
	switch e := ev.(type) {
	case domain.ContactBound:
		b := Binding{Contact: e.Contact, ExpiresAt: e.ExpiresAt, Source: e.Source, Transport: e.Transport,
			CallID: e.CallID, CSeq: e.CSeq, UserAgent: e.UserAgent, Node: env.Node}
		for i := range st.bindings {
			if st.bindings[i].Contact == e.Contact {
				st.bindings[i] = b
				return nil
			}
		}
		st.bindings = append(st.bindings, b)
	case domain.ContactUnbound:
		for i := range st.bindings {
			if st.bindings[i].Contact == e.Contact {
				st.bindings = append(st.bindings[:i], st.bindings[i+1:]...)
				break
			}
		}
	}
	return nil
}
