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
)

// HandlerName names the builder's handler in the router and its logs.
const HandlerName = "billing.cdr"

// closeTimeout bounds the final flush after ctx ends, and the router's wait
// for a handler still running.
const closeTimeout = 10 * time.Second

// Run consumes topic from sub through b until ctx ends, then flushes and
// closes b. The subscriber should start at the store's Checkpoint (the
// journal subscriber's StartFrom). As watermill routers do, Run closes sub
// when it stops.
//
// A handler error (a failed flush, an event from a newer schema) is retried
// with backoff, then the message is nacked and redelivered: the consumer
// stalls rather than skip an event, and the retries push back on the log.
func Run(ctx context.Context, sub message.Subscriber, topic string, b *Builder, logger *slog.Logger) error {
	wlog := watermill.NewSlogLogger(logger)
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: closeTimeout}, wlog)
	if err != nil {
		return fmt.Errorf("cdr: router: %w", err)
	}
	// Retry is outermost so that a panic, turned into an error by
	// Recoverer, is retried like any other failure.
	router.AddMiddleware(
		middleware.Retry{
			MaxRetries:      5,
			InitialInterval: 50 * time.Millisecond,
			MaxInterval:     2 * time.Second,
			Multiplier:      2,
			Logger:          wlog,
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
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	closeErr := b.Close(closeCtx)
	if closeErr != nil {
		closeErr = fmt.Errorf("cdr: final flush: %w", closeErr)
	}
	return errors.Join(runErr, closeErr)
}
