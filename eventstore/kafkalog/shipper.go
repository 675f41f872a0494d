package kafkalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"softswitch/domain"
	"softswitch/eventstore"
)

// closeGrace bounds how long Run waits for kafka-go to drop its
// connections on the way out, so a blackholed broker cannot hold up
// shutdown. The writer has nothing in flight that matters by then: an
// unacknowledged batch is shipped again on the next start.
const closeGrace = 2 * time.Second

// Shipper copies the journal to the events topic, in journal order, at
// least once. It never slows the journal down: it only reads it.
type Shipper struct {
	store    eventstore.Store
	cfg      Config
	topics   Topics
	ckpt     checkpoint
	logger   *slog.Logger
	running  atomic.Bool
	progress progress
}

// NewShipper returns a Shipper for store. It does not touch the network;
// Run does. A nil logger discards.
func NewShipper(store eventstore.Store, cfg Config, logger *slog.Logger) (*Shipper, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	topics := TopicNames(cfg.Prefix)
	return &Shipper{
		store:  store,
		cfg:    cfg,
		topics: topics,
		ckpt:   newCheckpoint(cfg.DataDir, topics.Events),
		logger: logger.With("component", "kafkalog", "topic", topics.Events),
	}, nil
}

// batch is a run of journal positions [first, next) encoded for Kafka.
type batch struct {
	msgs        []kafka.Message
	first, next uint64
	firstTime   time.Time
	lastTime    time.Time
	heads       []Chain // the partition chain heads after msgs
}

// Run ships until ctx ends, then returns nil. Broker failures never end
// it: it retries with capped exponential backoff, and the journal keeps
// the events meanwhile. It returns an error only for what retrying cannot
// fix: a bad checkpoint file or a closed store.
//
// Reading and encoding the next batch overlaps the write of the current
// one, but writes are strictly one after another, each acknowledged
// before the checkpoint moves past it, so neither order nor the
// checkpoint depends on the overlap.
func (s *Shipper) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer s.running.Store(false)

	st, err := s.ckpt.load()
	if err != nil {
		return err
	}
	next := st.next
	if head := s.store.Head(); next > head+1 {
		// A new or restored journal under an old checkpoint: shipping would
		// wait for positions that mean different events.
		return fmt.Errorf("%w: %s says next position %d but the journal head is %d", ErrBadCheckpoint, s.ckpt.path, next, head)
	}
	s.progress.start(next)
	s.logger.Info("kafkalog: shipping", "from", next, "head", s.store.Head(), "checkpoint", s.ckpt.path)

	if !s.cfg.SkipCreateTopics {
		err := s.retry(ctx, "create topics", func() error {
			return EnsureTopics(ctx, s.cfg.Brokers, s.cfg.Prefix, s.cfg.Partitions, s.cfg.Replication)
		})
		if err != nil {
			return nil // only ctx ends retry
		}
	}

	var parts int
	if err := s.retry(ctx, "partition count", func() error {
		var err error
		parts, err = partitionCount(ctx, s.cfg.Brokers, s.topics.Events)
		return err
	}); err != nil {
		return nil
	}

	heads, err := s.startHeads(st, parts)
	if err != nil {
		return err
	}

	w := s.newWriter()
	defer s.closeWriter(w)

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	batches := make(chan *batch, 1)
	readErr := make(chan error, 1)
	wg.Go(func() { readErr <- s.readAhead(ctx, next, heads, batches) })

	// The checkpoint of one batch is fsynced while the next is written;
	// at most one such write is outstanding, and Run waits for it on the
	// way out so a restart finds the latest checkpoint.
	var ckptDone chan struct{}
	defer func() {
		if ckptDone != nil {
			<-ckptDone
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-readErr:
			if ctx.Err() != nil {
				return nil
			}
			return err
		case b := <-batches:
			if err := s.write(ctx, w, b); err != nil {
				return nil // only ctx ends retry
			}
			if ckptDone != nil {
				<-ckptDone
			}
			ckptDone = make(chan struct{})
			go func(done chan struct{}) {
				defer close(done)
				// Fails only when ctx ends: the next start re-ships this batch.
				_ = s.retry(ctx, "store checkpoint", func() error { return s.ckpt.store(shipState{next: b.next, heads: b.heads}) })
			}(ckptDone)
			s.progress.acked(len(b.msgs), b.next, b.lastTime)
		}
	}
}

func (s *Shipper) newWriter() *kafka.Writer {
	return &kafka.Writer{
		Addr: kafka.TCP(s.cfg.Brokers...),
		// One aggregate, one partition: that is what keeps its order.
		Balancer: &kafka.Hash{},
		// kafka-go defaults to RequireNone; the checkpoint may only move
		// past what every in-sync replica has.
		RequiredAcks: kafka.RequireAll,
		// Retrying is ours (retry below) so that it is unbounded, visible
		// in Stats, and always resends a whole batch in order.
		MaxAttempts: 1,
		// Large enough that a partition's share of a batch is one produce
		// request; see Config.BatchBytes.
		BatchSize:    s.cfg.BatchSize,
		BatchBytes:   int64(s.cfg.BatchBytes),
		BatchTimeout: s.cfg.BatchTimeout,
		WriteTimeout: s.cfg.WriteTimeout,
		ReadTimeout:  s.cfg.WriteTimeout,
		Compression:  s.cfg.Compression,
		// Own transport, so closing it cannot affect other clients.
		Transport: &kafka.Transport{},
	}
}

func (s *Shipper) closeWriter(w *kafka.Writer) {
	done := make(chan struct{})
	go func() {
		if err := w.Close(); err != nil {
			s.logger.Debug("kafkalog: close writer", "err", err)
		}
		w.Transport.(*kafka.Transport).CloseIdleConnections()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(closeGrace):
		s.logger.Warn("kafkalog: writer still closing, not waiting", "after", closeGrace)
	}
}

// write sends one batch until Kafka acknowledges it. It returns an error
// only when ctx ends.
func (s *Shipper) write(ctx context.Context, w *kafka.Writer, b *batch) error {
	s.progress.pending(b.firstTime)
	return s.retry(ctx, "write batch", func() error {
		// A failed write may have landed on some partitions; sending the
		// whole batch again duplicates those records but keeps every
		// aggregate's first delivery in order. Consumers dedupe by id.
		return summarize(w.WriteMessages(ctx, b.msgs...))
	})
}

// retry calls fn until it succeeds or ctx ends, backing off exponentially
// between MinBackoff and MaxBackoff. It returns nil or ctx.Err().
func (s *Shipper) retry(ctx context.Context, what string, fn func() error) error {
	delay := s.cfg.MinBackoff
	failures := 0
	for {
		err := fn()
		if err == nil {
			if failures > 0 {
				s.progress.recovered()
				s.logger.Info("kafkalog: recovered", "op", what, "after", failures)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		failures = s.progress.failed(err)
		s.logger.Warn("kafkalog: failed, retrying", "op", what, "err", err, "attempt", failures, "backoff", delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, s.cfg.MaxBackoff)
	}
}

// readAhead reads and encodes batches from next on, handing them to Run
// one at a time. Read failures are retried like write failures, except a
// closed store, which ends the shipper.
func (s *Shipper) readAhead(ctx context.Context, next uint64, heads []Chain, out chan<- *batch) error {
	sizer := newPartitionSizer(len(heads))
	for {
		if err := s.store.WaitFor(ctx, next); err != nil {
			return err
		}
		var b *batch
		err := s.retry(ctx, "read journal", func() error {
			var err error
			b, err = s.readBatch(ctx, next, sizer, heads)
			if errors.Is(err, eventstore.ErrClosed) {
				return nil // handled below, not retried
			}
			return err
		})
		if err != nil {
			return err
		}
		if b == nil {
			return fmt.Errorf("kafkalog: %w", eventstore.ErrClosed)
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
		next = b.next
	}
}

// errBatchFull stops a store Read once a batch is full.
var errBatchFull = errors.New("batch full")

// readBatch reads from next up to BatchSize envelopes, ending early
// before any partition's share would exceed BatchBytes, and links each
// events-topic record into its partition's chain. heads moves only when
// a batch is returned, so a failed read is retried from the same links.
// It returns a nil batch for a closed store.
func (s *Shipper) readBatch(ctx context.Context, next uint64, sizer *partitionSizer, heads []Chain) (*batch, error) {
	b := &batch{first: next, next: next, msgs: make([]kafka.Message, 0, min(s.cfg.BatchSize, 1024))}
	sizer.reset()
	work := slices.Clone(heads)
	err := s.store.Read(ctx, next, func(env domain.Envelope) error {
		if env.Position != b.next {
			return fmt.Errorf("kafkalog: journal returned position %d, want %d", env.Position, b.next)
		}
		msg, size := s.encode(env)
		part := sizer.partition(msg)
		var c Chain
		if msg.Topic == s.topics.Events {
			c = Link(work[part], msg.Value)
			size += chainHeaderSize
		}
		if !sizer.add(part, size, s.cfg.BatchBytes) && len(b.msgs) > 0 {
			return errBatchFull
		}
		if msg.Topic == s.topics.Events {
			work[part] = c
			msg.Headers = append(msg.Headers, kafka.Header{Key: HeaderChain, Value: []byte(c.String())})
		}
		if len(b.msgs) == 0 {
			b.firstTime = env.Time
		}
		b.msgs = append(b.msgs, msg)
		b.lastTime = env.Time
		b.next++
		if len(b.msgs) >= s.cfg.BatchSize {
			return errBatchFull
		}
		return nil
	})
	if err != nil && !errors.Is(err, errBatchFull) {
		return nil, err
	}
	if len(b.msgs) == 0 {
		// Head moved under WaitFor but Read saw nothing: only a store that
		// lost data could do that; try again rather than spin on it.
		return nil, fmt.Errorf("kafkalog: journal read from %d returned nothing at head %d", next, s.store.Head())
	}
	copy(heads, work)
	b.heads = work
	return b, nil
}

// partitionSizer tracks the bytes a batch puts on each partition, using
// the writer's own balancer, so no partition's share outgrows one produce
// request. The poison topic has as many partitions by construction and
// shares the accounting, which only makes it stricter.
type partitionSizer struct {
	balancer kafka.Hash
	parts    []int
	bytes    []int
}

func newPartitionSizer(n int) *partitionSizer {
	p := &partitionSizer{parts: make([]int, n), bytes: make([]int, n)}
	for i := range p.parts {
		p.parts[i] = i
	}
	return p
}

func (p *partitionSizer) reset() { clear(p.bytes) }

// partition is where the writer will put msg: the same balancer over the
// same partitions (kafka-go hands its balancer 0..n-1).
func (p *partitionSizer) partition(msg kafka.Message) int {
	return p.balancer.Balance(msg, p.parts...)
}

// add counts size bytes on partition i unless that would take it over
// limit.
func (p *partitionSizer) add(i, size, limit int) bool {
	if p.bytes[i]+size > limit {
		return false
	}
	p.bytes[i] += size
	return true
}

// encode makes the record for env, diverting it to the poison topic when
// the events topic cannot take it.
func (s *Shipper) encode(env domain.Envelope) (kafka.Message, int) {
	msg, err := Encode(env)
	if err != nil {
		msg = poisonRecord(env, env.Payload, err)
		msg.Topic = s.topics.Poison
		s.logger.Error("kafkalog: envelope sent to poison topic", "id", env.ID, "position", env.Position, "err", err)
	} else {
		msg.Topic = s.topics.Events
	}
	if size := recordSize(msg) + chainHeaderSize; size > s.cfg.BatchBytes {
		err := fmt.Errorf("envelope of %d bytes exceeds BatchBytes %d", size, s.cfg.BatchBytes)
		msg = poisonRecord(env, nil, err)
		msg.Topic = s.topics.Poison
		s.logger.Error("kafkalog: envelope sent to poison topic", "id", env.ID, "position", env.Position, "err", err)
	}
	return msg, recordSize(msg)
}

// recordSize overestimates kafka-go's own accounting of a record, so a
// batch the shipper thinks fits BatchBytes fits the writer's too.
func recordSize(m kafka.Message) int {
	n := 32 + len(m.Key) + len(m.Value)
	for _, h := range m.Headers {
		n += 10 + len(h.Key) + len(h.Value)
	}
	return n
}

// summarize shortens kafka-go's WriteErrors, which repeats the error once
// per record (thousands of times per batch), to a count and the first
// error, which it wraps so errors.Is still sees the Kafka error code.
func summarize(err error) error {
	var werr kafka.WriteErrors
	if !errors.As(err, &werr) {
		return err
	}
	for _, e := range werr {
		if e != nil {
			return fmt.Errorf("kafka write: %d of %d records failed: %w", werr.Count(), len(werr), e)
		}
	}
	return err
}

// chainHeaderSize is recordSize's share for the chain header.
const chainHeaderSize = 10 + len(HeaderChain) + 2*len(Chain{})

// startHeads sizes the checkpoint's chain heads to the topic's partitions.
// A checkpoint from a build without chains, or a topic that gained
// partitions, starts those chains at zero; VerifyTopic reports a break
// where that happens (docs/kafka.md, "Partition chains").
func (s *Shipper) startHeads(st shipState, parts int) ([]Chain, error) {
	if len(st.heads) > parts {
		return nil, fmt.Errorf("%w: %s has chain heads for %d partitions but %s has %d",
			ErrBadCheckpoint, s.ckpt.path, len(st.heads), s.topics.Events, parts)
	}
	if st.next > 1 && len(st.heads) < parts {
		s.logger.Warn("kafkalog: checkpoint lacks chain heads, those partition chains start at zero",
			"have", len(st.heads), "partitions", parts)
	}
	heads := make([]Chain, parts)
	copy(heads, st.heads)
	return heads, nil
}
