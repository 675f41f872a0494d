// Package tail runs a projection that folds a node's own journal into a
// store of its own, with a checkpoint the store keeps: the CDR builder
// (billing/cdr) and the campaign statistics (dialer/stats) both run on it.
//
// A broker needs a router between the log and the consumer (acks,
// redelivery, a poison queue); a local journal does not, so here the
// consumer reads the journal directly and, keeping up, gets the journal's
// in-memory envelopes with their sealed events (issue 14).
package tail

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

// Retry bounds: an exponential backoff from First to Max.
const (
	retryFirst = 50 * time.Millisecond
	retryMax   = 2 * time.Second
	// closeTimeout bounds the final flush after ctx ends.
	closeTimeout = 10 * time.Second
)

// Consumer is a projection fed in log order.
type Consumer interface {
	// Apply folds one envelope. An error (a failed flush, an event from a
	// newer schema) is retried with backoff: the tail stalls on it rather
	// than skip it, so nothing is lost.
	Apply(ctx context.Context, env domain.Envelope) error
	// FlushLoop flushes on the consumer's own interval until ctx ends.
	FlushLoop(ctx context.Context)
	// Close flushes what is left and releases the consumer.
	Close(ctx context.Context) error
}

// Run folds store into c from startFrom (the consumer store's checkpoint:
// the first position not yet accounted for) until ctx ends, then closes c.
// name prefixes the log lines. Stopping through ctx is not an error.
func Run(ctx context.Context, name string, store eventstore.Store, startFrom func(context.Context) (uint64, error), c Consumer, logger *slog.Logger) error {
	loopCtx, stopLoop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { c.FlushLoop(loopCtx) })
	runErr := run(ctx, name, store, startFrom, c, logger)
	stopLoop()
	wg.Wait()

	closeErr := FinalFlush(ctx, name, c)
	if errors.Is(runErr, context.Canceled) || errors.Is(runErr, eventstore.ErrClosed) {
		runErr = nil // the ordinary way to stop
	}
	return errors.Join(runErr, closeErr)
}

// FinalFlush closes c once ctx has ended: the last flush still deserves a
// bounded chance (closeTimeout), whatever stopped the consumer.
func FinalFlush(ctx context.Context, name string, c interface{ Close(context.Context) error }) error {
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	if err := c.Close(closeCtx); err != nil {
		return fmt.Errorf("%s: final flush: %w", name, err)
	}
	return nil
}

func run(ctx context.Context, name string, store eventstore.Store, startFrom func(context.Context) (uint64, error), c Consumer, logger *slog.Logger) error {
	var from uint64
	backoff := newRetry()
	for {
		var err error
		if from, err = startFrom(ctx); err == nil {
			break
		}
		logger.Error(name+": reading the checkpoint failed, retrying", "error", err)
		if err := backoff.wait(ctx); err != nil {
			return err
		}
	}
	from = max(from, 1)
	logger.Info(name+": tailing the journal", "from", from)
	apply := func(env domain.Envelope) error {
		retry := newRetry()
		for {
			err := c.Apply(ctx, env)
			if err == nil {
				from = env.Position + 1
				return nil
			}
			logger.Warn(name+": apply failed, retrying", "position", env.Position, "aggregate", env.Aggregate, "error", err)
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
		case errors.Is(err, eventstore.ErrClosed):
			return err
		default:
			// A read error: retrying stalls visibly rather than skip.
			logger.Error(name+": reading the journal failed, retrying", "position", from, "error", err)
			if err := backoff.wait(ctx); err != nil {
				return err
			}
		}
	}
}

// retry is an exponential backoff from retryFirst to retryMax.
type retry struct{ next time.Duration }

func newRetry() retry { return retry{next: retryFirst} }

// wait sleeps the current interval, doubling the next, or returns ctx's
// error when it ends first.
func (r *retry) wait(ctx context.Context) error {
	t := time.NewTimer(r.next)
	defer t.Stop()
	r.next = min(2*r.next, retryMax)
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
