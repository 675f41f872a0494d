package cdr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"softswitch/projections/tail"
)

// HandlerName names the builder's handler in the router and its logs.
const HandlerName = "billing.cdr"

// closeTimeout bounds the final flush after ctx ends, and the router's wait
// for a handler still running.
const closeTimeout = 10 * time.Second

// Consumer is what Run drives: a Builder (a totally ordered log) or a
// Partitioned (Kafka).
type Consumer interface {
	Handle(msg *message.Message) error
	FlushLoop(ctx context.Context)
	Close(ctx context.Context) error
}

// Poison is where Run sends messages that can never be processed.
type Poison struct {
	Publisher message.Publisher
	Topic     string
}

// Run consumes topic from sub through b until ctx ends, then flushes and
// closes b. The subscriber should start at the consumer's checkpoint (the
// journal subscriber's StartFrom; a Kafka group's committed offsets). As
// watermill routers do, Run closes sub when it stops.
//
// A handler error (a failed flush, an event from a newer schema) is retried
// with backoff, then the message is nacked and redelivered: the consumer
// stalls rather than skip an event, and the retries push back on the log.
// Only an ErrPoison message (it does not decode) goes to poison, when set,
// and is acked.
func Run(ctx context.Context, sub message.Subscriber, topic string, b Consumer, poison *Poison, logger *slog.Logger) error {
	wlog := watermill.NewSlogLogger(logger)
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: closeTimeout}, wlog)
	if err != nil {
		return fmt.Errorf("cdr: router: %w", err)
	}
	if poison != nil {
		pq, err := middleware.PoisonQueueWithFilter(poison.Publisher, poison.Topic, func(err error) bool { return errors.Is(err, ErrPoison) })
		if err != nil {
			return fmt.Errorf("cdr: poison queue: %w", err)
		}
		// Outermost: a poison message is not worth retrying.
		router.AddMiddleware(pq)
	}
	// Retry is outside Recoverer so that a panic, turned into an error by
	// Recoverer, is retried like any other failure.
	router.AddMiddleware(
		middleware.Retry{
			MaxRetries:      5,
			InitialInterval: 50 * time.Millisecond,
			MaxInterval:     2 * time.Second,
			Multiplier:      2,
			Logger:          wlog,
			ShouldRetry:     func(p middleware.RetryParams) bool { return !errors.Is(p.Err, ErrPoison) },
		}.Middleware,
		middleware.Recoverer,
	)
	router.AddConsumerHandler(HandlerName, topic, sub, b.Handle)

	loopCtx, stopLoop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { b.FlushLoop(loopCtx) })
	// Not every subscriber ends its channel when ctx ends; closing the
	// router makes shutdown not depend on it.
	wg.Go(func() {
		<-loopCtx.Done()
		if err := router.Close(); err != nil {
			logger.Warn("cdr: router close", "error", err)
		}
	})

	runErr := router.Run(ctx)
	stopLoop()
	wg.Wait()

	// ctx is done by now; the last flush still deserves a bounded chance.
	return errors.Join(runErr, tail.FinalFlush(ctx, "cdr", b))
}
