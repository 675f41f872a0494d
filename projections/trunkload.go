package projections

import (
	"strings"
	"sync"
	"time"

	"softswitch/domain"
)

// CPS window: 10 buckets of 100 ms. The calls per second of a trunk at
// an instant now are the trunk legs started (LegStarted event time) in the
// bucket holding now and the 9 before it: start times in
// [floor100ms(now) - 900ms, floor100ms(now) + 100ms). That is between
// 0.9 s and 1 s of history, over-counting by at most one bucket's share
// of a second, which errs towards the carrier's limit rather than past it.
// Adding a start and reading the rate are O(1) (10 buckets).
const (
	cpsBuckets = 10
	cpsBucket  = 100 * time.Millisecond
)

// forgetAfter is how long a call whose trunk legs have all ended is
// remembered, so that a redelivered LegStarted (a Kafka retry) is
// recognised by its seq instead of opening a channel again. Redeliveries
// come within seconds; five minutes of ended calls at 1,000 calls/s is
// 300k small entries.
const forgetAfter = 5 * time.Minute

// TrunkLoad is the load and health of every trunk: active channels, calls
// per second and up/down, folded from call legs with a trunk and from
// trunk.health_changed. It implements the routing State interface. With
// Kafka it also receives other nodes' trunk legs and health through
// Remote, so limits hold across nodes (up to the delay of the log).
type TrunkLoad struct {
	mu     sync.RWMutex
	clock  func() time.Time
	latest time.Time
	trunks map[string]*trunkState
	calls  map[string]*callTrunks
	// ended is a FIFO of calls whose trunk legs all ended, oldest first,
	// for forgetting them after forgetAfter.
	ended []endedCall
}

type trunkState struct {
	channels int
	cps      cpsWindow
	health   stamp
	down     bool
	reason   string
}

// callTrunks is one call's open trunk legs and its last applied seq.
type callTrunks struct {
	seq   uint64
	open  map[string]string // leg -> trunk
	ended time.Time         // when open last became empty
}

type endedCall struct {
	id string
	at time.Time
}

// cpsWindow is a ring of per-100ms counts; slot[i] is the bucket number
// (Unix time / 100ms) that n[i] counts.
type cpsWindow struct {
	slot [cpsBuckets]int64
	n    [cpsBuckets]int32
}

func bucketOf(t time.Time) int64 { return t.UnixNano() / int64(cpsBucket) }

func (w *cpsWindow) add(t time.Time) {
	s := bucketOf(t)
	i := ((s % cpsBuckets) + cpsBuckets) % cpsBuckets
	switch {
	case w.slot[i] == s:
		w.n[i]++
	case s > w.slot[i] || w.n[i] == 0:
		w.slot[i], w.n[i] = s, 1
		// An older bucket than the ring holds at i is more than a second
		// behind a start already counted: outside every window that start
		// is in, so it is dropped.
	}
}

func (w *cpsWindow) count(now time.Time) int {
	s := bucketOf(now)
	n := 0
	for i := range w.slot {
		if w.n[i] > 0 && w.slot[i] <= s && w.slot[i] > s-cpsBuckets {
			n += int(w.n[i])
		}
	}
	return n
}

// NewTrunkLoad returns an empty projection. clock gives the instant CPS
// reads at; nil reads at the latest event time applied, which makes
// replays and tests deterministic. A running switch passes time.Now: at
// the latest event time, an idle trunk that hit max_cps would never see
// its rate fall.
func NewTrunkLoad(clock func() time.Time) *TrunkLoad {
	return &TrunkLoad{clock: clock, trunks: map[string]*trunkState{}, calls: map[string]*callTrunks{}}
}

// Apply implements Projection.
func (l *TrunkLoad) Apply(env domain.Envelope, ev domain.Event) error {
	switch {
	case strings.HasPrefix(env.Aggregate, "call:"):
		if env.Type != domain.TypeLegStarted && env.Type != domain.TypeLegEnded {
			return nil
		}
	case strings.HasPrefix(env.Aggregate, "trunk:"):
		if env.Type != domain.TypeTrunkHealthChanged {
			return nil
		}
	default:
		return nil
	}
	ev, err := decodeIf(env, ev)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if env.Time.After(l.latest) {
		l.latest = env.Time
	}
	switch e := ev.(type) {
	case domain.LegStarted:
		l.legStarted(env, e)
	case domain.LegEnded:
		l.legEnded(env, e)
	case domain.TrunkHealthChanged:
		// Every node pings; the newest observation wins (see stamp).
		t := l.trunk(e.Trunk)
		if t.health.newer(env) {
			t.down, t.reason = !e.Up, e.Reason
		}
	}
	l.forget()
	return nil
}

func (l *TrunkLoad) legStarted(env domain.Envelope, e domain.LegStarted) {
	if e.Trunk == "" {
		return // a registered contact: no trunk's business
	}
	c := l.calls[e.CallID]
	if c == nil {
		c = &callTrunks{open: map[string]string{}}
		l.calls[e.CallID] = c
	}
	if env.Seq != 0 && env.Seq <= c.seq {
		return // redelivered
	}
	c.seq = max(c.seq, env.Seq)
	if _, dup := c.open[e.Leg]; dup {
		return
	}
	c.open[e.Leg] = e.Trunk
	t := l.trunk(e.Trunk)
	t.channels++
	t.cps.add(env.Time)
}

func (l *TrunkLoad) legEnded(env domain.Envelope, e domain.LegEnded) {
	c := l.calls[e.CallID]
	if c == nil {
		return // not a call with trunk legs
	}
	if env.Seq != 0 && env.Seq <= c.seq {
		return // redelivered
	}
	c.seq = max(c.seq, env.Seq)
	trunk, ok := c.open[e.Leg]
	if !ok {
		return
	}
	delete(c.open, e.Leg)
	if t := l.trunks[trunk]; t != nil && t.channels > 0 {
		t.channels--
	}
	if len(c.open) == 0 {
		c.ended = env.Time
		l.ended = append(l.ended, endedCall{id: e.CallID, at: env.Time})
	}
}

// forget drops calls ended more than forgetAfter before the latest event;
// a call that opened a new trunk leg since (failover) is kept. mu is held.
func (l *TrunkLoad) forget() {
	n := 0
	for _, ec := range l.ended {
		if !ec.at.Before(l.latest.Add(-forgetAfter)) {
			break
		}
		if c := l.calls[ec.id]; c != nil && len(c.open) == 0 && c.ended.Equal(ec.at) {
			delete(l.calls, ec.id)
		}
		n++
	}
	if n > 0 {
		l.ended = append(l.ended[:0], l.ended[n:]...)
	}
}

func (l *TrunkLoad) trunk(name string) *trunkState {
	t := l.trunks[name]
	if t == nil {
		t = &trunkState{}
		l.trunks[name] = t
	}
	return t
}

func (l *TrunkLoad) now() time.Time {
	if l.clock != nil {
		return l.clock()
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.latest
}

// Up tells whether a trunk is up: true until the first health event.
func (l *TrunkLoad) Up(trunk string) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	t := l.trunks[trunk]
	return t == nil || !t.down
}

// Channels is the number of the trunk's legs started and not ended.
func (l *TrunkLoad) Channels(trunk string) int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if t := l.trunks[trunk]; t != nil {
		return t.channels
	}
	return 0
}

// CPS is the trunk's calls per second at the projection's clock.
func (l *TrunkLoad) CPS(trunk string) float64 { return l.CPSAt(trunk, l.now()) }

// CPSAt is the trunk's calls per second in the window ending at now (see
// cpsBuckets). now should not be before the latest start applied.
func (l *TrunkLoad) CPSAt(trunk string, now time.Time) float64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if t := l.trunks[trunk]; t != nil {
		return float64(t.cps.count(now))
	}
	return 0
}

// At returns a view of the load that reads CPS at now, so that one routing
// decision sees one instant for every candidate.
func (l *TrunkLoad) At(now time.Time) TrunkLoadAt { return TrunkLoadAt{l: l, now: now} }

// TrunkLoadAt is TrunkLoad read at a fixed instant; it implements the
// routing State interface.
type TrunkLoadAt struct {
	l   *TrunkLoad
	now time.Time
}

func (v TrunkLoadAt) Up(trunk string) bool      { return v.l.Up(trunk) }
func (v TrunkLoadAt) Channels(trunk string) int { return v.l.Channels(trunk) }
func (v TrunkLoadAt) CPS(trunk string) float64  { return v.l.CPSAt(trunk, v.now) }

// TrunkStatus is one trunk's load and health, for the admin API and
// metrics.
type TrunkStatus struct {
	Trunk    string  `json:"trunk"`
	Up       bool    `json:"up"`
	Reason   string  `json:"reason,omitempty"`
	Channels int     `json:"channels"`
	CPS      float64 `json:"cps"`
}

// Status returns a trunk's status at now.
func (l *TrunkLoad) Status(trunk string, now time.Time) TrunkStatus {
	l.mu.RLock()
	defer l.mu.RUnlock()
	s := TrunkStatus{Trunk: trunk, Up: true}
	if t := l.trunks[trunk]; t != nil {
		s.Up, s.Reason, s.Channels, s.CPS = !t.down, t.reason, t.channels, float64(t.cps.count(now))
	}
	return s
}
