package cdr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"softswitch/domain"
)

// callPrefix selects the aggregates the builder folds.
const callPrefix = "call:"

// Builder folds call events into calls and writes each ended call's CDR
// to a Store with a checkpoint.
//
// The checkpoint is a low watermark: the Position of the first event of the
// oldest call still open, or, with none open, the last Position seen + 1.
// Resuming from it rebuilds every open call from its first event, and any
// CDR written again is the same record under the same id. Finished CDRs
// wait in a buffer; the checkpoint written with a batch is computed with
// that batch under the same lock, so it never passes work still in memory.
// That is why a message may be acked before its CDR is flushed.
//
// Builder is safe for concurrent use; events must arrive in log order per
// call (the journal gives total order, Kafka per-partition order).
type Builder struct {
	store  Store
	cfg    Config
	logger *slog.Logger

	mu     sync.Mutex
	open   openCalls
	buf    []domain.CDR
	next   uint64 // last Position seen + 1
	stored uint64 // checkpoint of the last successful flush
	dirty  bool   // next or the open set moved since the last flush
	stats  Stats
	closed bool
}

// NewBuilder returns a builder writing to store. It does not read the
// store's checkpoint: whoever subscribes resumes from it (StartFrom).
func NewBuilder(store Store, cfg Config, logger *slog.Logger) (*Builder, error) {
	if store == nil {
		return nil, errors.New("cdr: nil store")
	}
	if logger == nil {
		return nil, errors.New("cdr: nil logger")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Builder{
		store:  store,
		cfg:    cfg,
		logger: logger,
		open:   newOpenCalls(),
		buf:    make([]domain.CDR, 0, cfg.BatchSize),
	}, nil
}

// Apply folds one envelope and flushes if the batch is full. An error means
// env was not accounted for (the caller retries it) or a flush failed (the
// retry finds env a duplicate and flushes again): either way nothing is
// lost, since the checkpoint only moves with a successful flush.
func (b *Builder) Apply(ctx context.Context, env domain.Envelope) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	if err := b.apply(env); err != nil {
		return err
	}
	if !b.cfg.external && len(b.buf) >= b.cfg.BatchSize {
		return b.flush(ctx)
	}
	return nil
}

// apply folds env into its call. It only returns an error for an event
// this build cannot understand yet (a newer schema version): skipping it
// would write a wrong CDR, so the consumer stops on it until upgraded.
func (b *Builder) apply(env domain.Envelope) error {
	if !strings.HasPrefix(env.Aggregate, callPrefix) {
		b.stats.Events++
		b.seen(env)
		return nil
	}
	oc := b.open.get(env.Aggregate)
	switch {
	case oc == nil && env.Seq != 1:
		b.stats.Events++
		b.stats.Orphans++
		b.seen(env)
		return nil
	case oc != nil && env.Seq <= oc.call.Version():
		b.stats.Events++
		b.stats.Duplicates++
		return nil // a redelivery: it was seen, so the watermark holds
	case oc != nil && env.Seq > oc.call.Version()+1:
		b.stats.Events++
		b.stats.Gaps++
		b.logger.Warn("cdr: gap in call events",
			"aggregate", env.Aggregate, "version", oc.call.Version(), "seq", env.Seq, "position", env.Position)
		b.seen(env)
		return nil
	}

	var ev domain.Event
	var err error
	if domain.CallFolds(env.Type) {
		ev, err = domain.Decode(env)
	} else {
		// Only the version moves (a SIP transaction, a digit): no need to
		// decode the payload, which is most of the builder's CPU otherwise.
		ev = opaqueEvent{typ: env.Type, aggregate: env.Aggregate}
	}
	switch {
	case errors.Is(err, domain.ErrUnsupportedVersion):
		return fmt.Errorf("cdr: %s at position %d: %w", env.Aggregate, env.Position, err)
	case errors.Is(err, domain.ErrUnknownEventType):
		// Call.Apply ignores types it does not fold; advancing the version
		// keeps the call foldable when a newer switch adds an event.
		ev = opaqueEvent{typ: env.Type, aggregate: env.Aggregate}
		b.stats.Unknown++
	case err != nil:
		b.stats.Malformed++
		b.logger.Error("cdr: undecodable call event skipped",
			"aggregate", env.Aggregate, "seq", env.Seq, "position", env.Position, "error", err)
		b.seen(env)
		return nil
	}

	b.stats.Events++
	b.stats.Applied++
	if oc == nil {
		oc = b.startCall(env)
	}
	oc.call.Apply(ev, env.Time)
	if oc.call.Ended() {
		b.finish(oc)
	}
	b.seen(env)
	return nil
}

// startCall opens a call at its first event, evicting to stay within
// bounds first.
func (b *Builder) startCall(env domain.Envelope) *openCall {
	for b.open.len() >= b.cfg.MaxOpenCalls {
		b.evict(b.open.oldest(), "max open calls")
	}
	oc := &openCall{key: env.Aggregate, call: domain.ReplayCall(), first: env.Position, start: env.Time}
	b.open.add(oc)
	b.dirty = true
	return oc
}

// finish moves an ended call's CDR to the buffer.
func (b *Builder) finish(oc *openCall) {
	b.open.remove(oc)
	b.dirty = true
	r, err := oc.call.CDR()
	if err != nil {
		// Ended() was checked, so this is a domain bug; keep consuming.
		b.logger.Error("cdr: ended call without a CDR", "aggregate", oc.key, "error", err)
		return
	}
	if b.cfg.Rate != nil {
		b.cfg.Rate(&r)
	}
	b.buf = append(b.buf, r)
	b.stats.CDRs++
}

// seen records that env is accounted for and evicts calls older than
// MaxCallAge in event time.
func (b *Builder) seen(env domain.Envelope) {
	if env.Position >= b.next {
		b.next = env.Position + 1
		b.dirty = true
	}
	if b.cfg.MaxCallAge <= 0 {
		return
	}
	for oc := b.open.oldest(); oc != nil && env.Time.Sub(oc.start) > b.cfg.MaxCallAge; oc = b.open.oldest() {
		b.evict(oc, "max call age")
	}
}

func (b *Builder) evict(oc *openCall, why string) {
	b.open.remove(oc)
	b.dirty = true
	b.stats.Evicted++
	b.logger.Warn("cdr: open call evicted, it will have no CDR",
		"reason", why, "aggregate", oc.key, "first_position", oc.first, "version", oc.call.Version(),
		"open_calls", b.open.len())
}

// watermark is the checkpoint to write with the current buffer.
func (b *Builder) watermark() uint64 {
	if oc := b.open.oldest(); oc != nil {
		return oc.first
	}
	return b.next
}

// Stats returns a snapshot of the counters.
func (b *Builder) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.stats
	s.OpenCalls = b.open.len()
	s.Buffered = len(b.buf)
	s.Checkpoint = b.stored
	s.Watermark = b.watermark()
	return s
}

// opaqueEvent stands in for an event type this build does not know.
type opaqueEvent struct{ typ, aggregate string }

func (e opaqueEvent) EventType() string    { return e.typ }
func (e opaqueEvent) SchemaVersion() int   { return 0 }
func (e opaqueEvent) AggregateKey() string { return e.aggregate }
