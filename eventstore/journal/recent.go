package journal

import (
	"sync"

	"softswitch/domain"
)

// recentEnvelopes is how many of the last appended envelopes the journal
// keeps in memory. A consumer that keeps up (the CDR builder, the Kafka
// shipper) reads them from here: no segment file, no frame decoding, and
// the envelopes keep the event values they were sealed from, so the
// builder does not decode JSON that was encoded a millisecond before
// (issue 14: the builder re-reading the journal was a tenth of the call
// path's CPU). 8,192 is about two seconds of events at 1,000 calls/s; a
// consumer further behind reads the segments as before.
const recentEnvelopes = 8192

// recent is a ring of the newest durable envelopes, positions first ..
// first+n-1. Only the writer goroutine adds, after the fsync that covers
// them; readers copy a span out under the read lock and call their
// callback without it.
type recent struct {
	mu    sync.RWMutex
	ring  []domain.Envelope
	first uint64 // position of the oldest envelope held; 0: none
	n     int
}

func newRecent(size int) *recent { return &recent{ring: make([]domain.Envelope, size)} }

// add appends envs, durable at positions pos, pos+1, …. A batch that does
// not continue the ring (the first after open) starts it afresh.
func (r *recent) add(pos uint64, envs []domain.Envelope) {
	if len(envs) == 0 || len(r.ring) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 || r.first+uint64(r.n) != pos {
		r.first, r.n = pos, 0
	}
	size := uint64(len(r.ring))
	for i := range envs {
		p := pos + uint64(i)
		slot := &r.ring[p%size]
		*slot = envs[i]
		slot.Position = p
		if r.n < len(r.ring) {
			r.n++
		} else {
			r.first++
		}
	}
}

// span appends the envelopes from .. to to dst when the ring holds all of
// them; ok is false when from is older than the ring (read the segments).
func (r *recent) span(dst []domain.Envelope, from, to uint64) ([]domain.Envelope, bool) {
	if from > to {
		return dst, true
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.n == 0 || from < r.first || to >= r.first+uint64(r.n) {
		return dst, false
	}
	size := uint64(len(r.ring))
	for p := from; p <= to; p++ {
		dst = append(dst, r.ring[p%size])
	}
	return dst, true
}
