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

// take hands the buffered CDRs, and the watermark they complete, to a
// caller that writes them itself (Partitioned, which writes every
// partition in one insert). Both are taken under the same lock, so the
// watermark accounts for exactly these records; the builder goes on
// applying events while the caller writes. ok is false when there is
// nothing to write. The caller reports back with stored or restore.
func (b *Builder) take() (cdrs []domain.CDR, watermark uint64, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf) == 0 && !b.dirty {
		return nil, 0, false
	}
	watermark = b.watermark()
	if len(b.buf) == 0 && watermark == b.stored {
		b.dirty = false
		return nil, 0, false
	}
	cdrs, b.buf = b.buf, make([]domain.CDR, 0, b.cfg.BatchSize)
	b.dirty = false
	return cdrs, watermark, true
}

// stored records that a taken batch and its watermark are durable.
func (b *Builder) storedTaken(n int, watermark uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stats.Flushes++
	b.stats.Stored += uint64(n)
	if watermark > b.stored {
		b.stored = watermark
	}
}

// restore puts back a taken batch whose write failed, ahead of what was
// buffered since, and marks the builder dirty so the next flush retries.
func (b *Builder) restore(cdrs []domain.CDR) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stats.FlushErrors++
	b.buf = append(cdrs, b.buf...)
	b.dirty = true
}

// buffered is how many CDRs wait for a flush.
func (b *Builder) buffered() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.buf)
}
