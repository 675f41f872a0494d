package projections

import (
	"sort"
	"strings"
	"sync"

	"softswitch/domain"
)

// Credentials are a subscriber's digest secrets for the realm.
type Credentials struct {
	Realm     string
	HA1MD5    string
	HA1SHA256 string
}

// Subscribers is the directory of subscribers that may register and call.
type Subscribers struct {
	mu      sync.RWMutex
	users   map[string]Credentials
	version map[string]uint64
}

// NewSubscribers returns an empty directory.
func NewSubscribers() *Subscribers {
	return &Subscribers{users: map[string]Credentials{}, version: map[string]uint64{}}
}

// Lookup returns a subscriber's credentials.
func (s *Subscribers) Lookup(user string) (Credentials, bool) {
	s.mu.RLock()
	c, ok := s.users[user]
	s.mu.RUnlock()
	return c, ok
}

// Version is the sequence of the subscriber aggregate's last event.
func (s *Subscribers) Version(user string) uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.version[user]
}

// Users lists the provisioned users in order.
func (s *Subscribers) Users() []string {
	s.mu.RLock()
	out := make([]string, 0, len(s.users))
	for u := range s.users {
		out = append(out, u)
	}
	s.mu.RUnlock()
	sort.Strings(out)
	return out
}

// Apply implements Projection.
func (s *Subscribers) Apply(env domain.Envelope, ev domain.Event) error {
	if !strings.HasPrefix(env.Type, "subscriber.") {
		return nil
	}
	user := strings.TrimPrefix(env.Aggregate, "subscriber:")
	s.mu.Lock()
	defer s.mu.Unlock()
	if env.Seq != 0 && env.Seq <= s.version[user] {
		return nil // a redelivered event
	}
	ev, err := decodeIf(env, ev)
	if err != nil {
		return err
	}
	switch e := ev.(type) {
	case domain.SubscriberProvisioned:
		s.users[e.User] = Credentials{Realm: e.Realm, HA1MD5: e.HA1MD5, HA1SHA256: e.HA1SHA256}
	case domain.SubscriberCredentialsChanged:
		s.users[e.User] = Credentials{Realm: e.Realm, HA1MD5: e.HA1MD5, HA1SHA256: e.HA1SHA256}
	case domain.SubscriberRemoved:
		delete(s.users, user)
	}
	s.version[user] = env.Seq
	return nil
}
