package switching

import (
	"context"
	"sync"
	"time"

	"softswitch/domain"
)

// authFailures aggregates failed authentications per source, so that the
// log gets one security.auth_failed event per source per interval instead
// of one fsynced write, carrying attacker text, per packet. Memory and
// text are bounded: maxAuthSources sources (the rest counted under "*"),
// maxAuthUsers claimed names of maxAuthText bytes each.
type authFailures struct {
	mu      sync.Mutex
	pending map[string]*domain.AuthFailed
}

const (
	maxAuthSources = 10_000
	maxAuthUsers   = 4
	maxAuthText    = 64
)

// overflowSource collects failures of sources past maxAuthSources.
const overflowSource = "*"

func newAuthFailures() *authFailures {
	return &authFailures{pending: map[string]*domain.AuthFailed{}}
}

// add counts one failure.
func (a *authFailures) add(src, user, method, reason string, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.pending[src]
	if e == nil {
		if len(a.pending) >= maxAuthSources {
			src = overflowSource
			e = a.pending[src]
		}
		if e == nil {
			e = &domain.AuthFailed{Source: src, User: clip(user), Method: clip(method), Reason: clip(reason), Since: at}
			a.pending[src] = e
		}
	}
	e.Count++
	user = clip(user)
	for _, u := range e.Users {
		if u == user {
			return
		}
	}
	if len(e.Users) < maxAuthUsers {
		e.Users = append(e.Users, user)
	}
}

// take removes and returns what is pending: every source's, or one's.
func (a *authFailures) take(only string) []domain.AuthFailed {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []domain.AuthFailed
	for src, e := range a.pending {
		if only != "" && src != only {
			continue
		}
		out = append(out, *e)
		delete(a.pending, src)
	}
	return out
}

func clip(s string) string {
	if len(s) > maxAuthText {
		return s[:maxAuthText]
	}
	return s
}

// flushAuthFailures records what is pending (of one source, or all).
// Source aggregates are facts, not state: seq 0.
func (g *Guard) flushAuthFailures(ctx context.Context, only string) {
	evs := g.failures.take(only)
	if len(evs) == 0 {
		return
	}
	now := g.rec.Now()
	recs := make([]domain.Recorded, len(evs))
	for i, e := range evs {
		recs[i] = domain.Recorded{Event: e, At: now}
	}
	if err := g.rec.Record(ctx, recs...); err != nil {
		g.log.Warn("record auth failures", "error", err, "sources", len(evs))
	}
}

// Run records the aggregated auth failures every interval until ctx ends,
// then once more.
func (g *Guard) Run(ctx context.Context, interval time.Duration) {
	every(ctx, interval, func(ctx context.Context) { g.flushAuthFailures(ctx, "") })
	g.flushAuthFailures(context.WithoutCancel(ctx), "")
}
