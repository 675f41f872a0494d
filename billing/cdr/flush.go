package cdr

import (
	"context"
	"fmt"
	"time"

	"softswitch/domain"
)

// Flush writes the buffered CDRs with the current watermark.
func (b *Builder) Flush(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	return b.flush(ctx)
}

// flush runs with mu held, so no event is applied between computing the
// checkpoint and writing it with exactly the CDRs it accounts for. Holding
// the lock across the write costs little: one write per batch or interval.
// On failure the buffer is kept and the stored checkpoint stays behind it.
func (b *Builder) flush(ctx context.Context) error {
	if len(b.buf) == 0 && !b.dirty {
		return nil
	}
	cp := b.watermark()
	if len(b.buf) == 0 && cp == b.stored {
		b.dirty = false
		return nil
	}
	if err := b.store.Put(ctx, b.buf, cp); err != nil {
		b.stats.FlushErrors++
		return fmt.Errorf("cdr: flush %d records at checkpoint %d: %w", len(b.buf), cp, err)
	}
	b.stats.Flushes++
	b.stats.Stored += uint64(len(b.buf))
	b.stored, b.dirty = cp, false
	// A fresh slice: Put promised not to keep the old one, but a store
	// that did would see it overwritten otherwise.
	b.buf = make([]domain.CDR, 0, b.cfg.BatchSize)
	return nil
}

// FlushLoop flushes every FlushInterval until ctx ends, so records and
// checkpoint moves reach the store when traffic is too low to fill a batch.
// A failed flush is logged and tried again on the next tick.
func (b *Builder) FlushLoop(ctx context.Context) {
	tick(ctx, b.cfg.FlushInterval, func() {
		if err := b.Flush(ctx); err != nil && ctx.Err() == nil {
			b.logger.Warn("cdr: periodic flush failed, will retry", "error", err)
		}
	})
}

// tick calls fn every interval until ctx ends.
func tick(ctx context.Context, interval time.Duration, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// Close flushes what is buffered and stops the builder. It does not close
// the store, which belongs to the caller. After a failed Close nothing is
// lost: the checkpoint in the store is still behind the unflushed records.
func (b *Builder) Close(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	return b.flush(ctx)
}
