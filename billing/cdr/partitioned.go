package cdr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"softswitch/domain"
)

// Committer records a consumer group's progress on partitions of a
// partitioned log (Kafka). next maps a partition to its first offset not
// yet durable: a consumer that takes the partition over resumes there.
type Committer interface {
	CommitOffsets(ctx context.Context, topic string, next map[int]int64) error
}

// RecordWriter is implemented by stores that can write records without a
// checkpoint (ClickHouse, where the checkpoint is a second insert). With
// Kafka the committed offsets are the checkpoint, so Partitioned uses it
// when the store has it.
type RecordWriter interface {
	PutRecords(ctx context.Context, cdrs []domain.CDR) error
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
// One flush writes every partition's finished CDRs in one store write and
// commits every partition's watermark in one request, and holds no
// builder's lock while it does: a flush per partition, each holding its
// builder across the insert, stalled the whole consumer (one message at a
// time) behind ClickHouse. The store's own checkpoint is not used: Kafka's
// committed offsets are the checkpoint.
type Partitioned struct {
	store  Store
	cfg    Config
	commit Committer
	locate Locator
	topic  string
	logger *slog.Logger

	flushMu sync.Mutex // one flush at a time, so watermarks commit in order
	kick    chan struct{}

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
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Partitioned{store: store, cfg: cfg, commit: commit, locate: locate, topic: topic, logger: logger,
		parts: make(map[int]*partition), kick: make(chan struct{}, 1)}, nil
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
	if err := b.Apply(msg.Context(), env); err != nil {
		return err
	}
	return p.pressure(msg.Context(), b)
}

// pressure asks the flush loop for an early flush once a partition holds a
// batch, and flushes inline (returning its error, so the message is
// retried) once it holds ten: while the store is down, memory stays
// bounded and the consumer stalls instead of buffering without end.
func (p *Partitioned) pressure(ctx context.Context, b *Builder) error {
	n := b.buffered()
	switch {
	case n >= 10*p.cfg.BatchSize:
		return p.Flush(ctx)
	case n >= p.cfg.BatchSize:
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
	return nil
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
		// Its finished CDRs are still worth keeping; its watermark is not
		// worth committing, since the group has moved past it.
		if cdrs, _, ok := ps.b.take(); ok && len(cdrs) > 0 {
			if err := p.write(ctx, cdrs); err != nil {
				ps.b.restore(cdrs)
				return nil, err
			}
		}
		ps = nil
	}
	if ps == nil {
		cfg := p.cfg
		cfg.external = true
		b, err := NewBuilder(p.store, cfg, p.logger.With("partition", part))
		if err != nil {
			return nil, err
		}
		ps = &partition{b: b, expect: -1}
		p.parts[part] = ps
	}
	ps.expect = off + 1
	return ps.b, nil
}

// partBuilder is a builder with its partition.
type partBuilder struct {
	part int
	b    *Builder
}

// builders returns the current builders in partition order.
func (p *Partitioned) builders() []partBuilder {
	p.mu.Lock()
	defer p.mu.Unlock()
	keys := make([]int, 0, len(p.parts))
	for k := range p.parts {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	bs := make([]partBuilder, len(keys))
	for i, k := range keys {
		bs[i] = partBuilder{part: k, b: p.parts[k].b}
	}
	return bs
}

// taken is one partition's share of a flush.
type taken struct {
	b         *Builder
	part      int
	cdrs      []domain.CDR
	watermark uint64
}

// Flush writes every partition's finished CDRs in one store write, then
// commits every partition's watermark in one request. On a failed write
// the records go back to their builders and nothing is committed.
func (p *Partitioned) Flush(ctx context.Context) error {
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	var takes []taken
	var all []domain.CDR
	for _, pb := range p.builders() {
		cdrs, wm, ok := pb.b.take()
		if !ok {
			continue
		}
		takes = append(takes, taken{b: pb.b, part: pb.part, cdrs: cdrs, watermark: wm})
		all = append(all, cdrs...)
	}
	if len(takes) == 0 {
		return nil
	}
	if len(all) > 0 {
		if err := p.write(ctx, all); err != nil {
			for _, t := range takes {
				t.b.restore(t.cdrs)
			}
			return fmt.Errorf("cdr: flush %d records of %d partitions: %w", len(all), len(takes), err)
		}
	}
	next := make(map[int]int64, len(takes))
	for _, t := range takes {
		t.b.storedTaken(len(t.cdrs), t.watermark)
		// Positions are offset+1, so the watermark position is the next
		// offset + 1.
		if t.watermark > 0 {
			next[t.part] = int64(t.watermark) - 1
		}
	}
	// A failed commit is not a failed flush: the records are durable, and
	// whoever owns the partitions next replays a little more.
	if err := p.commit.CommitOffsets(ctx, p.topic, next); err != nil {
		p.logger.Warn("cdr: offset commit failed; the partitions' next owner replays from the previous commit",
			"partitions", len(next), "error", err)
	}
	return nil
}

// write stores records without a checkpoint when the store can.
func (p *Partitioned) write(ctx context.Context, cdrs []domain.CDR) error {
	if rw, ok := p.store.(RecordWriter); ok {
		return rw.PutRecords(ctx, cdrs)
	}
	return p.store.Put(ctx, cdrs, 0)
}

// FlushLoop flushes every FlushInterval, and early when a partition has a
// batch ready, until ctx ends.
func (p *Partitioned) FlushLoop(ctx context.Context) {
	t := time.NewTicker(p.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.kick:
		}
		if err := p.Flush(ctx); err != nil && ctx.Err() == nil {
			p.logger.Warn("cdr: flush failed, will retry", "error", err)
		}
	}
}

// Close flushes every partition and stops.
func (p *Partitioned) Close(ctx context.Context) error {
	err := p.Flush(ctx)
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	return err
}

// Stats sums the partitions' counters.
func (p *Partitioned) Stats() Stats {
	var s Stats
	for _, pb := range p.builders() {
		s.add(pb.b.Stats())
	}
	return s
}
