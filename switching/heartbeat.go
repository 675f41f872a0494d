package switching

import (
	"context"
	"log/slog"
	"time"

	"softswitch/domain"
	"softswitch/projections"
)

// Heartbeat records node.alive every interval until ctx ends: the proof
// that this node, and the calls it holds, were up. Recovery bills the
// calls a crash left open to the last one, so a crash under-bills by at
// most one interval. A failed append is logged and retried next time.
func Heartbeat(ctx context.Context, rec *Recorder, calls *projections.Calls, interval time.Duration, log *slog.Logger) {
	beat := func(ctx context.Context) {
		_, seq := calls.LastAlive(rec.Node())
		ev := domain.NodeAlive{Node: rec.Node()}
		if err := rec.Record(ctx, domain.Recorded{Event: ev, Seq: seq + 1, At: rec.Now()}); err != nil && ctx.Err() == nil {
			log.Warn("heartbeat not recorded", "error", err)
		}
	}
	beat(ctx)
	every(ctx, interval, beat)
}
