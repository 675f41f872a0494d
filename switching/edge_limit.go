package switching

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// answerLimiter bounds the error answers the edge sends each source IP
// address: a token bucket per address, refilled at rate per second up to
// burst. A UDP source can be forged; without it, every forged datagram
// would make the switch send an answer to the forged address (a
// reflector). The table is bounded: when maxSources addresses hold
// buckets, the ones full again are forgotten (at most once a second), and
// a new address gets no answer while the table is still full.
type answerLimiter struct {
	mu         sync.Mutex
	rate       float64
	burst      float64
	maxSources int
	buckets    map[netip.Addr]*answerBucket
	lastSweep  time.Time
	now        func() time.Time
}

type answerBucket struct {
	tokens float64
	last   time.Time
}

// answerLimiterSources bounds the per-source table: 16,384 buckets are
// about 1.5 MiB.
const answerLimiterSources = 16384

func newAnswerLimiter(perSecond int, now func() time.Time) *answerLimiter {
	return &answerLimiter{rate: float64(perSecond), burst: float64(perSecond), maxSources: answerLimiterSources,
		buckets: make(map[netip.Addr]*answerBucket), now: now}
}

// allow takes a token of a's bucket, if it has one.
func (l *answerLimiter) allow(a netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[a]
	if b == nil {
		if len(l.buckets) >= l.maxSources && !l.sweep(now) {
			return false
		}
		b = &answerBucket{tokens: l.burst, last: now}
		l.buckets[a] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweep forgets the buckets that are full again, at most once a second;
// it reports whether there is room now.
func (l *answerLimiter) sweep(now time.Time) bool {
	if now.Sub(l.lastSweep) >= time.Second {
		l.lastSweep = now
		full := time.Duration(l.burst / l.rate * float64(time.Second))
		for a, b := range l.buckets {
			if now.Sub(b.last) >= full {
				delete(l.buckets, a)
			}
		}
	}
	return len(l.buckets) < l.maxSources
}

// logEvery lets one log line through per interval, so a flood of refused
// messages cannot flood the log too; it counts what it held back.
type logEvery struct {
	interval time.Duration
	last     atomic.Int64
	held     atomic.Uint64
}

// allow reports whether a line may be logged now, and how many were held
// back since the last one.
func (l *logEvery) allow(now time.Time) (bool, uint64) {
	n := now.UnixNano()
	last := l.last.Load()
	if n-last < int64(l.interval) || !l.last.CompareAndSwap(last, n) {
		l.held.Add(1)
		return false, 0
	}
	return true, l.held.Swap(0)
}
