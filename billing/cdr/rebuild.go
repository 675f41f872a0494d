package cdr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"softswitch/domain"
	"softswitch/eventstore"
)

// Rebuild replays the whole log of src, from position 1 to its head at the
// time of the call, into dst through the same Builder code the consumer
// runs, and returns the builder's stats. Records already in dst are
// replaced by identical ones; the final checkpoint is the watermark at the
// head, so a consumer started afterwards carries on from there.
//
// Batches are written by a second goroutine while the next one is folded
// (about half the time goes to each). That is safe here and not in the
// live consumer: batches still reach dst in order, each with its own
// checkpoint in the same transaction, and Rebuild reports success only
// after the last one is written.
//
// For a fresh file, open dst with NoSync (see boltstore.Options): a
// rebuild that dies is simply run again.
func Rebuild(ctx context.Context, src eventstore.Store, dst Store, cfg Config, logger *slog.Logger) (Stats, error) {
	w := newAsyncWriter(dst)
	b, err := NewBuilder(w, cfg, logger)
	if err != nil {
		return Stats{}, err
	}
	var wg sync.WaitGroup
	wg.Go(func() { w.run(ctx) })
	err = src.Read(ctx, 1, func(env domain.Envelope) error {
		return b.Apply(ctx, env)
	})
	if err == nil {
		err = b.Close(ctx)
	}
	w.finish()
	wg.Wait()
	if err = errors.Join(err, w.err); err != nil {
		return b.Stats(), fmt.Errorf("cdr: rebuild: %w", err)
	}
	return b.Stats(), nil
}

// asyncWriter is a Store whose Put hands the batch to run and returns. It
// relies on the Builder not reusing a slice it passed to Put.
type asyncWriter struct {
	Store
	batches chan putBatch
	failed  chan struct{} // closed by run when a Put fails, after err is set
	err     error
}

type putBatch struct {
	cdrs       []domain.CDR
	checkpoint uint64
}

func newAsyncWriter(dst Store) *asyncWriter {
	// One batch queued while one is written bounds memory at two batches.
	return &asyncWriter{Store: dst, batches: make(chan putBatch, 1), failed: make(chan struct{})}
}

func (w *asyncWriter) Put(ctx context.Context, cdrs []domain.CDR, checkpoint uint64) error {
	select {
	case <-w.failed:
		return w.err
	default:
	}
	select {
	case w.batches <- putBatch{cdrs, checkpoint}:
		return nil
	case <-w.failed:
		return w.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run writes batches in order until finish, or until one fails.
func (w *asyncWriter) run(ctx context.Context) {
	for bt := range w.batches {
		if err := w.Store.Put(ctx, bt.cdrs, bt.checkpoint); err != nil {
			w.err = err
			close(w.failed)
			return
		}
	}
}

// finish says no more batches come; run returns once they are written.
func (w *asyncWriter) finish() { close(w.batches) }
