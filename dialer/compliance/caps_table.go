package compliance

import (
	"math"
	"sync"
	"time"
)

// capEpoch is the origin of the table's timestamps, 2020-01-01T00:00:00Z
// in Unix seconds: seconds after it fit a uint32 until 2156, half the size
// of a Unix time per kept attempt.
const capEpoch = 1577836800

// Caps counts recent attempts per callee across all campaigns: the
// frequency-cap table. Each callee has a fixed ring of Ring timestamps in
// one slab per shard (no allocation per callee once the slab has grown),
// and callees whose last attempt is older than Horizon are swept out when
// a shard grows, so memory is bounded by the callees attempted within the
// horizon. Safe for concurrent use: a mutex per shard.
type Caps struct {
	ring    int
	horizon uint32 // seconds
	mask    uint64
	shards  []capShard
}

type capShard struct {
	mu      sync.Mutex
	index   map[uint64]uint32 // key → slot
	slots   []capSlot
	times   []uint32 // slot i's ring is times[i*ring : (i+1)*ring]
	free    []uint32
	sweepAt int
	_       [64]byte // keeps neighbouring shards' locks off one cache line
}

type capSlot struct {
	last uint32 // newest attempt, seconds after capEpoch
	n    uint8  // attempts held, ≤ ring
}

// NewCaps validates c and returns an empty table.
func NewCaps(c CapsConfig) (*Caps, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c.setDefaults()
	t := &Caps{ring: c.Ring, horizon: uint32(c.Horizon / time.Second), mask: uint64(c.Shards - 1),
		shards: make([]capShard, c.Shards)}
	per := c.ExpectedCallees / c.Shards
	for i := range t.shards {
		t.shards[i].index = make(map[uint64]uint32, per)
		t.shards[i].sweepAt = max(per, 64)
	}
	return t, nil
}

// Ring returns the attempts kept per callee; Horizon the longest window.
func (t *Caps) Ring() int              { return t.ring }
func (t *Caps) Horizon() time.Duration { return time.Duration(t.horizon) * time.Second }

func secs(at time.Time) uint32 {
	s := at.Unix() - capEpoch
	return uint32(min(max(s, 0), math.MaxUint32))
}

func (t *Caps) shard(k uint64) *capShard {
	// Fibonacci hashing: keys share long prefixes (86138…), so their low
	// bits alone would spread poorly for some number plans.
	return &t.shards[(k*0x9E3779B97F4A7C15>>32)&t.mask]
}

// Allow reports whether one more attempt to k at now keeps every rule; if
// not, retryAt is when it would and reason is ReasonFrequencyCap. It does
// not record anything: see Take.
func (t *Caps) Allow(k uint64, now time.Time, rules []CapRule) (ok bool, retryAt time.Time, reason string) {
	ok, retryAt, _ = t.check(k, now, rules, nil, false)
	if !ok {
		reason = ReasonFrequencyCap
	}
	return ok, retryAt, reason
}

// Take is Allow and, when allowed, Record, under one lock: two dialers
// calling the same callee at once cannot both pass a 1-per-minute rule.
// seen, when not nil, receives each rule's count (before this attempt);
// rule is the index of the rule that refused, -1 when allowed.
func (t *Caps) Take(k uint64, now time.Time, rules []CapRule, seen []CapSeen) (ok bool, retryAt time.Time, rule int) {
	return t.check(k, now, rules, seen, true)
}

// Record adds an attempt to k at at, as replaying a dial event does.
func (t *Caps) Record(k uint64, at time.Time) {
	s := t.shard(k)
	s.mu.Lock()
	t.record(s, k, secs(at))
	s.mu.Unlock()
}

// Cancel removes one attempt to k at at (to the second), undoing a Take
// whose call was not placed after all.
func (t *Caps) Cancel(k uint64, at time.Time) {
	s := t.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.index[k]
	if !ok {
		return
	}
	r, sl := s.times[int(i)*t.ring:][:t.ring], &s.slots[i]
	at32 := secs(at)
	for j := 0; j < int(sl.n); j++ {
		if r[j] == at32 {
			sl.n--
			r[j] = r[sl.n]
			return
		}
	}
}

func (t *Caps) check(k uint64, now time.Time, rules []CapRule, seen []CapSeen, take bool) (bool, time.Time, int) {
	s := t.shard(k)
	now32 := secs(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	var r []uint32
	if i, ok := s.index[k]; ok {
		r = s.times[int(i)*t.ring:][:s.slots[i].n]
	}
	allowed, refused := true, -1
	var retry uint32
	for ri, rule := range rules {
		w := uint32(rule.Window / time.Second)
		c := 0
		for _, at := range r {
			if now32-at < w || at > now32 { // in (now−w, now]; a later one counts too
				c++
			}
		}
		if ri < len(seen) {
			seen[ri] = CapSeen{Window: rule.Window, Max: rule.Max, Count: c}
		}
		if c >= rule.Max {
			// Every rule must pass, so the latest of the refusing
			// rules' retry times is the one that counts.
			if at := nthNewest(r, now32, w, rule.Max) + w; allowed || at > retry {
				retry, refused = at, ri
			}
			allowed = false
		}
	}
	if !allowed {
		return false, time.Unix(int64(retry)+capEpoch, 0), refused
	}
	if take {
		t.record(s, k, now32)
	}
	return true, time.Time{}, -1
}

// nthNewest returns the n-th newest attempt in the window (1-based): the
// one whose expiry brings the count below n. Only on the refusing path.
func nthNewest(r []uint32, now, w uint32, n int) uint32 {
	var buf [MaxRing]uint32
	in := buf[:0]
	for _, at := range r {
		if now-at < w || at > now {
			in = append(in, at)
		}
	}
	for i := 1; i < len(in); i++ { // insertion sort, newest first; ≤ 64
		for j := i; j > 0 && in[j] > in[j-1]; j-- {
			in[j], in[j-1] = in[j-1], in[j]
		}
	}
	return in[n-1]
}

// record adds at to k's ring, replacing the oldest attempt when full. The
// caller holds s.mu.
func (t *Caps) record(s *capShard, k uint64, at uint32) {
	i, ok := s.index[k]
	if !ok {
		if len(s.index) >= s.sweepAt {
			t.sweep(s, at)
			s.sweepAt = max(s.sweepAt, 2*len(s.index))
		}
		if n := len(s.free); n > 0 {
			i, s.free = s.free[n-1], s.free[:n-1]
		} else {
			i = uint32(len(s.slots))
			s.slots = append(s.slots, capSlot{})
			s.times = append(s.times, make([]uint32, t.ring)...)
		}
		s.index[k] = i
		s.slots[i] = capSlot{}
	}
	sl, r := &s.slots[i], s.times[int(i)*t.ring:][:t.ring]
	if int(sl.n) < t.ring {
		r[sl.n] = at
		sl.n++
	} else {
		oldest := 0
		for j := range r {
			if r[j] < r[oldest] {
				oldest = j
			}
		}
		r[oldest] = at
	}
	sl.last = max(sl.last, at)
}

// Sweep forgets every callee whose last attempt is at least Horizon before
// now and returns how many it forgot. Shards also sweep themselves as they
// grow; this is for a periodic tidy-up.
func (t *Caps) Sweep(now time.Time) int {
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		n += t.sweep(s, secs(now))
		s.mu.Unlock()
	}
	return n
}

func (t *Caps) sweep(s *capShard, now uint32) int {
	n := 0
	for k, i := range s.index {
		if last := s.slots[i].last; last <= now && now-last >= t.horizon {
			delete(s.index, k)
			s.free = append(s.free, i)
			n++
		}
	}
	return n
}

// Len returns how many callees the table holds.
func (t *Caps) Len() int {
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		n += len(s.index)
		s.mu.Unlock()
	}
	return n
}
