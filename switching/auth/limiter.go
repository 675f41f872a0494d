package auth

import (
	"net/netip"
	"sync"
	"time"
)

// Limiter bans sources that fail authentication too often, in the manner
// of fail2ban over Asterisk's security log or Kamailio's pike: MaxFailures
// failures within a fixed Window starting at the first one ban the source
// for BanFor. It holds all its state and is safe for concurrent use.
//
// What a "source" is, and when it is banned:
//   - an address, and, with four times the budget, its network: the /64
//     of an IPv6 address (one host of an IPv6 network owns 2^64 addresses,
//     so limiting addresses alone would let it guess without limit) and
//     the /24 of an IPv4 one (so that a guesser whose entry a spray of
//     spoofed sources pushes out of the table is still counted by its
//     network, which the spray, spread over the whole address space,
//     hardly touches). An address that authenticated lately is exempt from
//     its network's ban (not from its own);
//   - an address that authenticated successfully within TrustFor is not
//     banned by failures that came over UDP (which anyone can spoof with
//     its address) until they reach TrustedFactor times the budget: a
//     spoofer must keep up a rate no mistyping phone reaches, and the phones
//     behind that address (one NAT) keep working meanwhile. Failures over
//     TCP or TLS cannot be spoofed and count as for anyone.
//
// Memory is bounded by MaxSources. When the table is full, the entry idle
// longest among a few sampled that holds at most one failure and no ban
// or recent success is evicted (counted in Evicted): a spray of spoofed
// sources, one failure each, churns among itself, while guessers, bans and
// phones stay. When no sampled entry may go, the newcomer is not tracked
// (counted in Untracked); its network entry usually is.
//
// The caller counts only real failures (ErrInvalidCredentials,
// ErrMalformedCredentials), not ErrNoCredentials, ErrStaleNonce or
// ErrNonceReused, which are normal steps of the exchange or answered with a
// fresh challenge.
type Limiter struct {
	mu        sync.Mutex
	cfg       LimiterConfig
	sources   map[string]*source
	evicted   uint64
	untracked uint64
}

type source struct {
	fails       int
	windowStart time.Time
	bannedUntil time.Time
	lastSeen    time.Time
	lastSuccess time.Time
}

// Verdict is what one failure led to.
type Verdict struct {
	// Banned says the failure banned Key until Until; Fails is the count
	// that did it (or the count so far).
	Banned bool
	Key    string
	Until  time.Time
	Fails  int
}

// prefixFactor is how many more failures a network is allowed than one
// address.
const prefixFactor = 4

// NewLimiter returns a Limiter for cfg, whose zero fields take defaults.
func NewLimiter(cfg LimiterConfig) (*Limiter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	return &Limiter{cfg: cfg, sources: make(map[string]*source)}, nil
}

// keys returns the table keys of an address: itself, and its network
// (/24 for IPv4, /64 for IPv6).
func keys(src string) (addr, prefix string) {
	a, err := netip.ParseAddr(src)
	if err != nil {
		return src, ""
	}
	a = a.Unmap().WithZone("")
	bits := 64
	if a.Is4() {
		bits = 24
	}
	p, _ := a.Prefix(bits)
	return a.String(), p.String()
}

// Fail records a failed authentication from src (an IP). reliable says it
// came over a connection (TCP, TLS), which cannot be spoofed. A failure
// from a source already banned neither extends nor restarts the ban, so
// a caller that checked Banned first knows a Banned verdict is a new ban
// (the moment to record domain.SourceBanned).
func (l *Limiter) Fail(src string, reliable bool) Verdict {
	now := l.cfg.Now()
	addr, prefix := keys(src)
	l.mu.Lock()
	defer l.mu.Unlock()
	var v Verdict
	trusted := false
	if s := l.entry(addr, now); s != nil {
		limit := l.cfg.MaxFailures
		if trusted = l.trusted(s, now); trusted && !reliable {
			limit *= l.cfg.TrustedFactor
		}
		v = l.fail(s, addr, limit, now)
	}
	if !v.Banned && prefix != "" && !trusted {
		if s := l.entry(prefix, now); s != nil {
			if pv := l.fail(s, prefix, prefixFactor*l.cfg.MaxFailures, now); pv.Banned || v.Key == "" {
				v = pv
			}
		}
	}
	if v.Key == "" {
		l.untracked++
	}
	return v
}

func (l *Limiter) trusted(s *source, now time.Time) bool {
	return !s.lastSuccess.IsZero() && now.Sub(s.lastSuccess) < l.cfg.TrustFor
}

func (l *Limiter) fail(s *source, key string, limit int, now time.Time) Verdict {
	if now.Before(s.bannedUntil) {
		return Verdict{Banned: true, Key: key, Until: s.bannedUntil, Fails: s.fails}
	}
	if now.Sub(s.windowStart) >= l.cfg.Window {
		s.fails, s.windowStart = 0, now
	}
	s.fails++
	if s.fails >= limit {
		v := Verdict{Banned: true, Key: key, Until: now.Add(l.cfg.BanFor), Fails: s.fails}
		s.bannedUntil = v.Until
		s.fails, s.windowStart = 0, now
		return v
	}
	return Verdict{Key: key, Fails: s.fails}
}

// entry returns the table entry of key, making room for it; nil when the
// table is full of entries that must stay.
func (l *Limiter) entry(key string, now time.Time) *source {
	s, ok := l.sources[key]
	if !ok {
		if !l.makeRoom(now) {
			return nil
		}
		s = &source{windowStart: now}
		l.sources[key] = s
	}
	s.lastSeen = now
	return s
}

// makeRoom evicts, when the table is full, the stalest evictable entry
// among a few sampled (map order is random): O(1) per insertion whatever
// the flood, where a full sweep would be O(MaxSources). An entry is
// evictable when its window holds at most one failure, or has ended, and
// it carries no ban and no recent success.
func (l *Limiter) makeRoom(now time.Time) bool {
	if len(l.sources) < l.cfg.MaxSources {
		return true
	}
	const probes = 16
	var oldest string
	var at time.Time
	n := 0
	for k, s := range l.sources {
		quiet := s.fails <= 1 || now.Sub(s.windowStart) >= l.cfg.Window
		if quiet && !now.Before(s.bannedUntil) && !l.trusted(s, now) && (oldest == "" || s.lastSeen.Before(at)) {
			oldest, at = k, s.lastSeen
		}
		if n++; n == probes {
			break
		}
	}
	if oldest == "" {
		return false
	}
	delete(l.sources, oldest)
	l.evicted++
	return true
}

// Banned reports whether src (or, for IPv6, its /64) is banned now.
// Checked for every request before any parsing, so banned sources cost
// almost nothing.
func (l *Limiter) Banned(src string) bool {
	_, ok := l.BannedUntil(src)
	return ok
}

// BannedUntil is Banned with the end of the ban (zero if not banned). An
// address that authenticated lately is exempt from its network's ban.
func (l *Limiter) BannedUntil(src string) (time.Time, bool) {
	now := l.cfg.Now()
	addr, prefix := keys(src)
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.sources[addr]
	if ok && now.Before(s.bannedUntil) {
		return s.bannedUntil, true
	}
	if ok && l.trusted(s, now) {
		return time.Time{}, false
	}
	if p, ok := l.sources[prefix]; ok && now.Before(p.bannedUntil) {
		return p.bannedUntil, true
	}
	return time.Time{}, false
}

// Success records a successful authentication from src: its failures are
// forgotten (a phone whose user mistyped once is not one typo from a ban
// later), and for TrustFor its UDP failures need TrustedFactor times the
// budget to ban it. It does not lift a ban.
func (l *Limiter) Success(src string) {
	now := l.cfg.Now()
	addr, _ := keys(src)
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.entry(addr, now)
	if s == nil {
		return
	}
	if !now.Before(s.bannedUntil) {
		s.fails, s.windowStart = 0, now
	}
	s.lastSuccess = now
}

// Ban bans key (an address or an IPv6 /64, as Verdict.Key names it) until
// until: a ban restored from the log at start.
func (l *Limiter) Ban(key string, until time.Time) {
	now := l.cfg.Now()
	if !until.After(now) {
		return
	}
	if a, err := netip.ParseAddr(key); err == nil {
		key = a.Unmap().WithZone("").String()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.entry(key, now); s != nil && until.After(s.bannedUntil) {
		s.bannedUntil = until
	}
}

// Len returns the number of tracked sources.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.sources)
}

// Evicted is how many entries were forgotten because the table was full;
// Untracked how many failures found no room at all.
func (l *Limiter) Evicted() (evicted, untracked uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.evicted, l.untracked
}
