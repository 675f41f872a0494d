package stats

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"softswitch/domain"
	"softswitch/projections/tail"
)

// Defaults of Config.
const (
	DefaultFlushInterval = time.Second
	DefaultBatchRows     = 10_000
)

// Config tunes a Builder.
type Config struct {
	// FlushInterval is how often buffered rows and the checkpoint are
	// written; a row is queryable at most this long after its event.
	FlushInterval time.Duration
	// BatchRows flushes early once this many rows are buffered.
	BatchRows int
}

// Builder folds envelopes into rows and writes them with the checkpoint
// (tail.Consumer). Every row stands on its own event, so no state spans
// events and the checkpoint is simply the position after the last one
// applied: a crash loses nothing the store acknowledged, and the replay
// from the checkpoint rewrites rows with the same ids.
type Builder struct {
	store Store
	cfg   Config
	log   *slog.Logger

	mu     sync.Mutex
	buf    []Row
	next   uint64 // checkpoint after the last applied envelope
	stored uint64 // checkpoint last written
	closed bool
}

var _ tail.Consumer = (*Builder)(nil)

// NewBuilder returns a Builder writing to store.
func NewBuilder(store Store, cfg Config, log *slog.Logger) *Builder {
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = DefaultFlushInterval
	}
	if cfg.BatchRows <= 0 {
		cfg.BatchRows = DefaultBatchRows
	}
	return &Builder{store: store, cfg: cfg, log: log}
}

// Apply folds env; a full buffer is flushed before Apply returns, and a
// failed flush is Apply's error (the tail retries it).
func (b *Builder) Apply(ctx context.Context, env domain.Envelope) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	if env.Position+1 <= b.next {
		return nil // already applied: the tail re-read it after a failed flush
	}
	row, ok, err := FromEnvelope(env)
	if err != nil {
		return err // a newer schema: stall, do not skip
	}
	if ok {
		b.buf = append(b.buf, row)
	}
	b.next = env.Position + 1
	if len(b.buf) >= b.cfg.BatchRows {
		return b.flush(ctx)
	}
	return nil
}

// Flush writes the buffered rows and the checkpoint.
func (b *Builder) Flush(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	return b.flush(ctx)
}

// flush runs with mu held, so the checkpoint written is exactly the
// position after the rows written; on failure the buffer is kept.
func (b *Builder) flush(ctx context.Context) error {
	if len(b.buf) == 0 && b.next == b.stored {
		return nil
	}
	if err := b.store.Put(ctx, b.buf, b.next); err != nil {
		return err
	}
	b.buf, b.stored = b.buf[:0], b.next
	return nil
}

// FlushLoop flushes every FlushInterval until ctx ends.
func (b *Builder) FlushLoop(ctx context.Context) {
	t := time.NewTicker(b.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := b.Flush(ctx); err != nil && ctx.Err() == nil {
				b.log.Warn("stats: flush failed; rows kept and retried", "rows", b.pending(), "error", err)
			}
		}
	}
}

func (b *Builder) pending() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.buf)
}

// Close flushes what is left; the Builder takes no more envelopes.
func (b *Builder) Close(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	return b.flush(ctx)
}
