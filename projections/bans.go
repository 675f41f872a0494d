package projections

import (
	"sync"
	"time"

	"softswitch/domain"
)

// Bans folds security.source_banned: which sources (addresses, networks)
// the node banned, and until when, so a restart restores the bans the log
// holds instead of lifting every one of them.
type Bans struct {
	mu    sync.RWMutex
	until map[string]time.Time
}

// NewBans returns an empty projection.
func NewBans() *Bans { return &Bans{until: map[string]time.Time{}} }

// Apply implements Projection.
func (b *Bans) Apply(env domain.Envelope, ev domain.Event) error {
	if env.Type != domain.TypeSourceBanned {
		return nil
	}
	ev, err := decodeIf(env, ev)
	if err != nil {
		return err
	}
	e := ev.(domain.SourceBanned)
	b.mu.Lock()
	defer b.mu.Unlock()
	if e.Until.After(b.until[e.Source]) {
		b.until[e.Source] = e.Until
	}
	return nil
}

// InForce returns the bans that last past now.
func (b *Bans) InForce(now time.Time) map[string]time.Time {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := map[string]time.Time{}
	for src, until := range b.until {
		if until.After(now) {
			out[src] = until
		}
	}
	return out
}
