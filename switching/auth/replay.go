package auth

import (
	"sync"
	"time"
)

// replayTable keeps the highest nonce-count seen per nonce (RFC 7616 §3.4:
// the server should reject a repeated nc; §5.11 replay attacks) for as long
// as the nonce lives.
//
// It holds two generations of entries and rotates them every nonce
// lifetime, so every entry is dropped between one and two lifetimes after
// it was added, without a sweep. Any entry dropped raises floor to the
// issue time of its nonce, and a nonce issued at or before floor that is no
// longer tracked is answered stale rather than trusted from nc 1 again.
// That also makes the size cap safe: when the table is full the older
// generation is dropped early and its nonces turn stale, which costs their
// UAs one silent re-challenge instead of opening a replay window.
type replayTable struct {
	mu       sync.Mutex
	cur      map[nonceID]uint32
	prev     map[nonceID]uint32
	curMax   int64 // latest issue time in cur, Unix ns
	prevMax  int64
	floor    int64
	curStart time.Time
	lifetime time.Duration
	max      int
}

func newReplayTable(lifetime time.Duration, maxEntries int, now time.Time) *replayTable {
	return &replayTable{
		cur:      make(map[nonceID]uint32),
		prev:     make(map[nonceID]uint32),
		curStart: now,
		lifetime: lifetime,
		max:      maxEntries,
	}
}

// check records nc for a nonce whose MAC and age were verified, and
// reports ErrNonceReused if it does not exceed the last one seen, or
// ErrStaleNonce if the nonce's entry was dropped (see above).
func (t *replayTable) check(id nonceID, nc uint32, now time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if age := now.Sub(t.curStart); age >= t.lifetime || age < 0 {
		t.rotate(now)
		if age >= 2*t.lifetime || age < 0 {
			t.rotate(now)
		}
	}
	for _, m := range [2]map[nonceID]uint32{t.cur, t.prev} {
		if last, ok := m[id]; ok {
			if nc <= last {
				return ErrNonceReused
			}
			m[id] = nc
			return nil
		}
	}
	issued := id.issued()
	if issued <= t.floor {
		return ErrStaleNonce
	}
	if len(t.cur)+len(t.prev) >= t.max {
		t.rotate(now)
		if len(t.cur)+len(t.prev) >= t.max { // one generation alone was full
			t.rotate(now)
		}
		if issued <= t.floor {
			return ErrStaleNonce
		}
	}
	t.cur[id] = nc
	t.curMax = max(t.curMax, issued)
	return nil
}

// rotate drops the older generation and starts a new one, reusing the
// dropped map's storage.
func (t *replayTable) rotate(now time.Time) {
	if len(t.prev) > 0 {
		t.floor = max(t.floor, t.prevMax)
	}
	clear(t.prev)
	t.prev, t.cur = t.cur, t.prev
	t.prevMax, t.curMax = t.curMax, 0
	t.curStart = now
}

func (t *replayTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.cur) + len(t.prev)
}
