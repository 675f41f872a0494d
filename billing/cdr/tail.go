package cdr

import (
	"context"
	"log/slog"

	"softswitch/eventstore"
	"softswitch/projections/tail"
)

// Tail is the embedded path's consumer: it folds the node's own store into
// b from startFrom (the CDR store's checkpoint), in log order, until ctx
// ends, then flushes and closes b (projections/tail explains why no router
// stands between them).
//
// The guarantees are Run's: an Apply error (a failed flush, an event from a
// newer schema) is retried with backoff and the consumer stalls on it
// rather than skip it; the checkpoint moves only with a successful flush.
func Tail(ctx context.Context, store eventstore.Store, startFrom func(context.Context) (uint64, error), b *Builder, logger *slog.Logger) error {
	return tail.Run(ctx, "cdr", store, startFrom, b, logger)
}
