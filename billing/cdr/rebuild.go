package cdr

import (
	"context"
	"fmt"
	"log/slog"

	"softswitch/domain"
	"softswitch/eventstore"
)

// Rebuild replays the whole log of src, from position 1 to its head at the
// time of the call, into dst through the same Builder code the consumer
// runs, and returns the builder's stats. Records already in dst are
// replaced by identical ones; the final checkpoint is the watermark at the
// head, so a consumer started afterwards carries on from there.
//
// For a fresh file, open dst with NoSync (see boltstore.Options): a
// rebuild that dies is simply run again.
func Rebuild(ctx context.Context, src eventstore.Store, dst Store, cfg Config, logger *slog.Logger) (Stats, error) {
	b, err := NewBuilder(dst, cfg, logger)
	if err != nil {
		return Stats{}, err
	}
	err = src.Read(ctx, 1, func(env domain.Envelope) error {
		return b.Apply(ctx, env)
	})
	if err != nil {
		return b.Stats(), fmt.Errorf("cdr: rebuild: %w", err)
	}
	if err := b.Close(ctx); err != nil {
		return b.Stats(), fmt.Errorf("cdr: rebuild: %w", err)
	}
	return b.Stats(), nil
}
