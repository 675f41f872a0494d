package kafkalog

import (
	"sync"
	"time"
)

// Stats is a snapshot of the shipper's progress, for metrics and alerts.
type Stats struct {
	// Shipped counts envelopes Kafka acknowledged since NewShipper,
	// redeliveries after a retry included.
	Shipped uint64
	// Next is the first journal position not yet acknowledged by Kafka.
	// The checkpoint file catches up with it one fsync later, while the
	// next batch is being written.
	Next uint64
	// Head is the journal's head.
	Head uint64
	// Backlog is how many journal envelopes wait to be shipped:
	// Head+1-Next.
	Backlog uint64
	// Lag is how old the oldest unshipped event is (now minus its Time).
	// Between batches, when that event has not been read yet, it is the
	// time since the last shipped event happened, which can only
	// overstate. Zero when the backlog is empty.
	Lag time.Duration
	// LastShip is when Kafka last acknowledged a batch.
	LastShip time.Time
	// LastError is the most recent failure (write, topic creation,
	// checkpoint), kept after recovery so an alert can say what happened;
	// Failures says whether it is still going on.
	LastError     error
	LastErrorTime time.Time
	// Failures counts consecutive failed attempts; 0 once one succeeds.
	Failures int
}

// progress is the shipper's state shared between Run and Stats.
type progress struct {
	mu            sync.Mutex
	shipped       uint64
	next          uint64
	lastShip      time.Time
	lastEventTime time.Time // Time of the last shipped event
	pendingTime   time.Time // Time of the first event of the batch in flight
	lastErr       error
	lastErrTime   time.Time
	failures      int
}

// Stats returns the shipper's current progress.
func (s *Shipper) Stats() Stats {
	head := s.store.Head()
	now := time.Now()
	p := &s.progress
	p.mu.Lock()
	defer p.mu.Unlock()
	st := Stats{
		Shipped: p.shipped, Next: p.next, Head: head,
		LastShip: p.lastShip, LastError: p.lastErr, LastErrorTime: p.lastErrTime, Failures: p.failures,
	}
	if st.Next == 0 {
		st.Next = 1 // before Run loaded the checkpoint
	}
	if head+1 > st.Next {
		st.Backlog = head + 1 - st.Next
	}
	switch {
	case st.Backlog == 0:
	case !p.pendingTime.IsZero():
		st.Lag = now.Sub(p.pendingTime)
	case !p.lastEventTime.IsZero():
		st.Lag = now.Sub(p.lastEventTime)
	}
	return st
}

func (p *progress) start(next uint64) {
	p.mu.Lock()
	p.next = next
	p.mu.Unlock()
}

func (p *progress) pending(first time.Time) {
	p.mu.Lock()
	p.pendingTime = first
	p.mu.Unlock()
}

func (p *progress) acked(n int, next uint64, last time.Time) {
	p.mu.Lock()
	p.shipped += uint64(n)
	p.next = next
	p.lastShip = time.Now()
	p.lastEventTime = last
	p.pendingTime = time.Time{}
	p.failures = 0
	p.mu.Unlock()
}

func (p *progress) failed(err error) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastErr = err
	p.lastErrTime = time.Now()
	p.failures++
	return p.failures
}

func (p *progress) recovered() {
	p.mu.Lock()
	p.failures = 0
	p.mu.Unlock()
}
