// Package switching is the switch itself: the registrar with digest auth,
// the B2BUA, and routing from projected state. Every decision it takes is
// recorded as a domain event before the SIP answer leaves.
package switching

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"softswitch/domain"
	"softswitch/eventstore"
	"softswitch/projections"
)

// Recorder seals events, appends them durably and then applies them to the
// node's projections, so that routing reads its own writes.
type Recorder struct {
	store eventstore.Store
	proj  projections.Set
	node  string
	// idBase and idSeq make event ids unique across restarts of one node:
	// the start time in hex, then a counter.
	idBase string
	idSeq  atomic.Uint64
	now    func() time.Time
	m      *Metrics
}

// NewRecorder returns a recorder for node.
func NewRecorder(store eventstore.Store, proj projections.Set, node string, now func() time.Time, m *Metrics) *Recorder {
	return &Recorder{
		store:  store,
		proj:   proj,
		node:   node,
		idBase: node + "-" + strconv.FormatInt(now().UnixNano(), 36) + "-",
		now:    now,
		m:      m,
	}
}

// Node is the id of this switch node.
func (r *Recorder) Node() string { return r.node }

// Now is the recorder's clock.
func (r *Recorder) Now() time.Time { return r.now() }

func (r *Recorder) nextID() string {
	return r.idBase + strconv.FormatUint(r.idSeq.Add(1), 36)
}

// Record appends recorded events and applies them. It returns once they are
// durable; the caller answers SIP only after that.
func (r *Recorder) Record(ctx context.Context, recs ...domain.Recorded) error {
	if len(recs) == 0 {
		return nil
	}
	envs := make([]domain.Envelope, len(recs))
	for i, rec := range recs {
		env, err := domain.Seal(rec.Event, r.nextID(), r.node, rec.Seq, rec.At)
		if err != nil {
			return err
		}
		envs[i] = env
	}
	start := time.Now()
	if err := r.store.Append(ctx, envs); err != nil {
		r.m.appendErrors.Add(1)
		return fmt.Errorf("record %s: %w", envs[0].Type, err)
	}
	r.m.observeAppend(time.Since(start), len(envs))
	for i := range envs {
		if err := r.proj.Apply(envs[i], recs[i].Event); err != nil {
			return err
		}
	}
	return nil
}
