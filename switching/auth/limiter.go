package auth

import (
	"sync"
	"time"
)

// Limiter bans sources (remote IPs) that fail authentication too often, in
// the manner of fail2ban over Asterisk's security log or Kamailio's pike:
// MaxFailures failures within a fixed Window starting at the first one ban
// the source for BanFor. Memory is bounded by MaxSources. It holds all its
// state and is safe for concurrent use.
//
// The caller counts only real failures (ErrInvalidCredentials,
// ErrNonceReused, ErrMalformedCredentials), not ErrNoCredentials or
// ErrStaleNonce, which are normal steps of the exchange.
type Limiter struct {
	mu      sync.Mutex
	cfg     LimiterConfig
	sources map[string]*source
	// nextSweep rate-limits full sweeps when the table is full, so a flood
	// from spoofed addresses costs O(1) per failure, not O(MaxSources).
	nextSweep time.Time
}

type source struct {
	fails       int
	windowStart time.Time
	bannedUntil time.Time
}

// expired: nothing about the source matters any more.
func (s *source) expired(now time.Time, window time.Duration) bool {
	return !now.Before(s.bannedUntil) && now.Sub(s.windowStart) >= window
}

// NewLimiter returns a Limiter for cfg, whose zero fields take defaults.
func NewLimiter(cfg LimiterConfig) (*Limiter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	return &Limiter{cfg: cfg, sources: make(map[string]*source)}, nil
}

// Fail records a failed authentication from source. It reports whether
// the source is banned after it, and until when. A failure from a source
// that is already banned neither extends nor restarts the ban, so a caller
// that checked Banned first knows a true result is a new ban (the moment to
// record domain.SourceBanned).
func (l *Limiter) Fail(src string) (banned bool, until time.Time) {
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.sources[src]
	if !ok {
		if !l.makeRoom(now) {
			// Every tracked source is banned: the table is full of
			// attackers; forgetting one of them would be worse than not
			// tracking this newcomer until room frees.
			return false, time.Time{}
		}
		s = &source{windowStart: now}
		l.sources[src] = s
	}
	if now.Before(s.bannedUntil) {
		return true, s.bannedUntil
	}
	if now.Sub(s.windowStart) >= l.cfg.Window {
		s.fails, s.windowStart = 0, now
	}
	s.fails++
	if s.fails >= l.cfg.MaxFailures {
		s.bannedUntil = now.Add(l.cfg.BanFor)
		s.fails, s.windowStart = 0, now
		return true, s.bannedUntil
	}
	return false, time.Time{}
}

// Banned reports whether src is banned now. Checked for every request
// before any parsing, so banned sources cost almost nothing.
func (l *Limiter) Banned(src string) bool {
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.sources[src]
	return ok && now.Before(s.bannedUntil)
}

// BannedUntil is Banned with the end of the ban (zero if not banned).
func (l *Limiter) BannedUntil(src string) (time.Time, bool) {
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if s, ok := l.sources[src]; ok && now.Before(s.bannedUntil) {
		return s.bannedUntil, true
	}
	return time.Time{}, false
}

// Success forgets the failures of src after a successful authentication,
// so a phone whose user mistyped once is not one typo from a ban later. It
// does not lift a ban.
func (l *Limiter) Success(src string) {
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if s, ok := l.sources[src]; ok && !now.Before(s.bannedUntil) {
		delete(l.sources, src)
	}
}

// Len returns the number of tracked sources.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.sources)
}

// makeRoom ensures there is room for one more source: sweep expired
// entries (at most once per Window/8), else forget one unbanned source
// (random, by map order), probing a few. It reports false if all probed
// sources are banned.
func (l *Limiter) makeRoom(now time.Time) bool {
	if len(l.sources) < l.cfg.MaxSources {
		return true
	}
	if !now.Before(l.nextSweep) {
		for k, s := range l.sources {
			if s.expired(now, l.cfg.Window) {
				delete(l.sources, k)
			}
		}
		l.nextSweep = now.Add(max(l.cfg.Window/8, time.Second))
		if len(l.sources) < l.cfg.MaxSources {
			return true
		}
	}
	const probes = 16
	n := 0
	for k, s := range l.sources {
		if !now.Before(s.bannedUntil) {
			delete(l.sources, k)
			return true
		}
		if n++; n == probes {
			break
		}
	}
	return false
}
