package cdr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"

	"softswitch/domain"
)

// Committer records a consumer group's progress on one partition of a
// partitioned log (Kafka). next is the first offset not yet durable: a
// consumer that takes the partition over resumes there.
type Committer interface {
	Commit(ctx context.Context, topic string, partition int, next int64) error
}

// Locator tells which partition and offset a message came from. The Kafka
// adapter keeps them in the message context; this package does not import
// it.
type Locator func(msg *message.Message) (partition int, offset int64, ok bool)

// ErrNoPartition is returned for a message the Locator cannot place: it
// cannot be accounted for, so it is never silently acked.
var ErrNoPartition = errors.New("cdr: message has no partition and offset")

// Partitioned builds CDRs from a partitioned log, where order holds only
// within a partition (every event of one call is on one partition, because
// the call id is the key). It keeps one Builder per partition, whose
// positions are that partition's offsets + 1, so each partition has its
// own low watermark; after a flush has made a partition's CDRs durable in
// the store, the watermark is committed to the consumer group. A consumer
// that crashes or loses the partition in a rebalance therefore hands over
// at a point from which every open call is rebuilt from its first event,
// and anything replayed twice lands on the same deterministic CDR id.
//
// The store's own checkpoint is not used: Kafka's committed offsets are the
// checkpoint, so Put is called with checkpoint 0.
type Partitioned struct {
	store  Store
	cfg    Config
	commit Committer
	locate Locator
	topic  string
	logger *slog.Logger

	mu     sync.Mutex
	parts  map[int]*partition
	closed bool
}

// partition is one partition's builder and where its log must continue.
type partition struct {
	b      *Builder
	expect int64 // offset of the next message in order; -1 before the first
}

// NewPartitioned returns a CDR consumer of topic writing to store.
func NewPartitioned(store Store, topic string, commit Committer, locate Locator, cfg Config, logger *slog.Logger) (*Partitioned, error) {
	switch {
	case store == nil:
		return nil, errors.New("cdr: nil store")
	case commit == nil || locate == nil:
		return nil, errors.New("cdr: nil committer or locator")
	case logger == nil:
		return nil, errors.New("cdr: nil logger")
	}
	if _, err := cfg.withDefaults(); err != nil {
		return nil, err
	}
	return &Partitioned{store: store, cfg: cfg, commit: commit, locate: locate, topic: topic, logger: logger, parts: make(map[int]*partition)}, nil
}

// Handle is the watermill handler. The position of the envelope is replaced
// by its partition offset + 1, the only order a partitioned log has.
func (p *Partitioned) Handle(msg *message.Message) error {
	part, off, ok := p.locate(msg)
	if !ok {
		return fmt.Errorf("%w: uuid %s", ErrNoPartition, msg.UUID)
	}
	var env domain.Envelope
	if err := json.Unmarshal(msg.Payload, &env); err != nil {
		return fmt.Errorf("%w: partition %d offset %d: %v", ErrPoison, part, off, err)
	}
	env.Position = uint64(off) + 1
	b, err := p.builderFor(msg.Context(), part, off)
	if err != nil {
		return err
	}
	return b.Apply(msg.Context(), env)
}

// builderFor returns the partition's builder, starting afresh when the
// partition's offsets did not continue where this consumer left them:
// after a rebalance another consumer may have moved the partition on, and
// calls held here may have ended there. Their buffered CDRs are flushed,
// their open calls dropped; the committed offset already covers them.
func (p *Partitioned) builderFor(ctx context.Context, part int, off int64) (*Builder, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	ps := p.parts[part]
	// off == expect-1 is the redelivery of a nacked message.
	if ps != nil && ps.expect >= 0 && off != ps.expect && off != ps.expect-1 {
		p.logger.Info("cdr: partition resumed elsewhere in the log, rebuilding its open calls",
			"partition", part, "expected_offset", ps.expect, "offset", off)
		if err := ps.b.Close(ctx); err != nil {
			return nil, err
		}
		ps = nil
	}
	if ps == nil {
		b, err := NewBuilder(&partitionStore{Store: p.store, p: p, part: part}, p.cfg, p.logger.With("partition", part))
		if err != nil {
			return nil, err
		}
		ps = &partition{b: b, expect: -1}
		p.parts[part] = ps
	}
	ps.expect = off + 1
	return ps.b, nil
}

// builders returns the current builders in partition order.
func (p *Partitioned) builders() []*Builder {
	p.mu.Lock()
	defer p.mu.Unlock()
	keys := make([]int, 0, len(p.parts))
	for k := range p.parts {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	bs := make([]*Builder, len(keys))
	for i, k := range keys {
		bs[i] = p.parts[k].b
	}
	return bs
}

// Flush flushes every partition.
func (p *Partitioned) Flush(ctx context.Context) error {
	var errs []error
	for _, b := range p.builders() {
		if err := b.Flush(ctx); err != nil && !errors.Is(err, ErrClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// FlushLoop flushes every FlushInterval until ctx ends.
func (p *Partitioned) FlushLoop(ctx context.Context) {
	cfg, _ := p.cfg.withDefaults()
	tick(ctx, cfg.FlushInterval, func() {
		if err := p.Flush(ctx); err != nil && ctx.Err() == nil {
			p.logger.Warn("cdr: periodic flush failed, will retry", "error", err)
		}
	})
}

// Close flushes every partition and stops.
func (p *Partitioned) Close(ctx context.Context) error {
	bs := p.builders()
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	var errs []error
	for _, b := range bs {
		errs = append(errs, b.Close(ctx))
	}
	return errors.Join(errs...)
}

// Stats sums the partitions' counters.
func (p *Partitioned) Stats() Stats {
	var s Stats
	for _, b := range p.builders() {
		s.add(b.Stats())
	}
	return s
}

// partitionStore writes a partition's CDRs to the shared store and then
// commits the partition's watermark: in that order, so a crash in between
// replays onto the same ids rather than losing records.
type partitionStore struct {
	Store
	p    *Partitioned
	part int
}

func (s *partitionStore) Put(ctx context.Context, cdrs []domain.CDR, checkpoint uint64) error {
	if len(cdrs) > 0 {
		if err := s.Store.Put(ctx, cdrs, 0); err != nil {
			return err
		}
	}
	if checkpoint == 0 {
		return nil
	}
	// Positions are offset+1, so the watermark position is the next offset
	// + 1. A failed commit is not a failed flush: the records are durable,
	// and whoever owns the partition next replays a little more.
	if err := s.p.commit.Commit(ctx, s.p.topic, s.part, int64(checkpoint)-1); err != nil {
		s.p.logger.Warn("cdr: offset commit failed; the partition's next owner replays from the previous commit",
			"partition", s.part, "next_offset", int64(checkpoint)-1, "error", err)
	}
	return nil
}
