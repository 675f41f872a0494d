package cdr

import (
	"context"
	"sync"
	"time"

	"softswitch/domain"
)

// latencyStep and latencySteps give the resolution and range of the
// end-to-store histogram: 5 ms buckets up to 20 s, then one overflow.
const (
	latencyStep  = 5 * time.Millisecond
	latencySteps = 4000
)

// Latency measures, for each CDR a store accepted, the time from the end
// of its call (the BYE, in event time) until the write returned: the
// moment the record became queryable. Quantiles are read from fixed 5 ms
// buckets, exact enough for a p50/p99 against targets in hundreds of ms.
type Latency struct {
	mu      sync.Mutex
	buckets [latencySteps + 1]uint64
	count   uint64
	sum     time.Duration
}

// Observe records one latency.
func (l *Latency) Observe(d time.Duration) {
	i := int(d / latencyStep)
	if d < 0 {
		i = 0
	}
	if i > latencySteps {
		i = latencySteps
	}
	l.mu.Lock()
	l.buckets[i]++
	l.count++
	l.sum += d
	l.mu.Unlock()
}

// Overflow is what Quantile returns for a quantile beyond the histogram's
// 20 s range: unknown, only "more than 20 s".
const Overflow = time.Duration(1<<63 - 1)

// Quantile returns the upper bound of the bucket holding quantile q
// (0 < q <= 1), Overflow past the range, and false before any observation.
func (l *Latency) Quantile(q float64) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.count == 0 {
		return 0, false
	}
	rank := uint64(q*float64(l.count) + 0.5)
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, n := range l.buckets {
		seen += n
		if seen >= rank {
			if i == latencySteps {
				return Overflow, true
			}
			return time.Duration(i+1) * latencyStep, true
		}
	}
	return Overflow, true
}

// Count and Sum are the number of observations and their total.
func (l *Latency) Count() (uint64, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.count, l.sum
}

// Timed wraps a Store and observes, after each successful Put, how long
// each CDR took from its call's end to being stored.
type Timed struct {
	Store
	Latency *Latency
	Now     func() time.Time
}

// Put implements Store.
func (t Timed) Put(ctx context.Context, cdrs []domain.CDR, checkpoint uint64) error {
	if err := t.Store.Put(ctx, cdrs, checkpoint); err != nil {
		return err
	}
	t.observe(cdrs)
	return nil
}

// PutRecords implements RecordWriter, through the inner store's when it
// has one.
func (t Timed) PutRecords(ctx context.Context, cdrs []domain.CDR) error {
	var err error
	if rw, ok := t.Store.(RecordWriter); ok {
		err = rw.PutRecords(ctx, cdrs)
	} else {
		err = t.Store.Put(ctx, cdrs, 0)
	}
	if err != nil {
		return err
	}
	t.observe(cdrs)
	return nil
}

func (t Timed) observe(cdrs []domain.CDR) {
	now := t.Now()
	for i := range cdrs {
		if end := cdrs[i].End.Time(); !end.IsZero() {
			t.Latency.Observe(now.Sub(end))
		}
	}
}
