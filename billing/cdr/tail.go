package cdr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"softswitch/domain"
	"softswitch/eventstore"
)

// Retry bounds of Tail: the same backoff Run's Retry middleware uses.
const (
	tailRetryFirst = 50 * time.Millisecond
	tailRetryMax   = 2 * time.Second
)

// Tail is the embedded path's consumer: it folds the node's own store into
// b from startFrom (the CDR store's checkpoint), in log order, until ctx
// ends, then flushes and closes b.
//
// Run puts a watermill router between a log and a builder, which a broker
// needs (acks, redelivery, a poison queue) and a local journal does not:
// per event it cost a JSON encoding of the envelope, a message, a goroutine
// and two channel handoffs, a tenth of the switch's CPU per call (issue
// 14). Here the builder reads the journal directly and, keeping up, gets
// the journal's in-memory envelopes with their sealed events, so nothing is
// encoded or decoded on the way.
//
// The guarantees are Run's: an Apply error (a failed flush, an event from a
// newer schema) is retried with backoff and the consumer stalls on it
// rather than skip it; the checkpoint moves only with a successful flush.
func Tail(ctx context.Context, store eventstore.Store, startFrom func(context.Context) (uint64, error), b *Builder, logger *slog.Logger) error {
	loopCtx, stopLoop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { b.FlushLoop(loopCtx) })
	runErr := tail(ctx, store, startFrom, b, logger)
	stopLoop()
	wg.Wait()

	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	closeErr := b.Close(closeCtx)
	if closeErr != nil {
		closeErr = fmt.Errorf("cdr: final flush: %w", closeErr)
	}
	if errors.Is(runErr, context.Canceled) || errors.Is(runErr, eventstore.ErrClosed) {
		runErr = nil // the ordinary way to stop
	}
	return errors.Join(runErr, closeErr)
}

func tail(ctx context.Context, store eventstore.Store, startFrom func(context.Context) (uint64, error), b *Builder, logger *slog.Logger) error {
	var from uint64
	backoff := newRetry()
	for {
		var err error
		if from, err = startFrom(ctx); err == nil {
			break
		}
		logger.Error("cdr: reading the checkpoint failed, retrying", "error", err)
		if err := backoff.wait(ctx); err != nil {
			return err
		}
	}
	from = max(from, 1)
	logger.Info("cdr: tailing the journal", "from", from)
	apply := func(env domain.Envelope) error {
		retry := newRetry()
		for {
			err := b.Apply(ctx, env)
			if err == nil {
				from = env.Position + 1
				return nil
			}
			if errors.Is(err, ErrClosed) {
				return err
			}
			logger.Warn("cdr: apply failed, retrying", "position", env.Position, "aggregate", env.Aggregate, "error", err)
			if err := retry.wait(ctx); err != nil {
				return err
			}
		}
	}
	for {
		err := store.Read(ctx, from, apply)
		if err == nil {
			err = store.WaitFor(ctx, from)
		}
		switch {
		case err == nil:
			backoff = newRetry()
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, eventstore.ErrClosed), errors.Is(err, ErrClosed):
			return err
		default:
			// A read error: retrying stalls visibly rather than skip.
			logger.Error("cdr: reading the journal failed, retrying", "position", from, "error", err)
			if err := backoff.wait(ctx); err != nil {
				return err
			}
		}
	}
}

// retry is an exponential backoff from tailRetryFirst to tailRetryMax.
type retry struct{ next time.Duration }

func newRetry() retry { return retry{next: tailRetryFirst} }

// wait sleeps the current interval, doubling the next, or returns ctx's
// error when it ends first.
func (r *retry) wait(ctx context.Context) error {
	t := time.NewTimer(r.next)
	defer t.Stop()
	r.next = min(2*r.next, tailRetryMax)
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
