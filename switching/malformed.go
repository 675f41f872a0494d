package switching

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
)

// malformedCounter wraps the slog handler given to sipgo. The edge
// (edge_*.go) counts and answers what sipgo cannot parse before sipgo sees
// it; what is left for this is what fails inside sipgo: a message on a
// connection sipgo dialed itself (the edge wraps only the sockets sipgo
// serves), and a request sipgo parses but cannot make a transaction of (no
// Via or CSeq), which it answers 400 and logs. It has no hook for either,
// so the log record is the signal. The wrapper counts them and logs at
// most one such line per second, so a flood of garbage cannot flood the
// log too.
type malformedCounter struct {
	next    slog.Handler
	m       *Metrics
	lastLog *atomic.Int64
}

func newMalformedCounter(next slog.Handler, m *Metrics) *malformedCounter {
	return &malformedCounter{next: next, m: m, lastLog: new(atomic.Int64)}
}

func (h *malformedCounter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError || h.next.Enabled(ctx, l)
}

func (h *malformedCounter) Handle(ctx context.Context, r slog.Record) error {
	if isMalformed(r.Message) {
		h.m.Malformed()
		now := time.Now().UnixNano()
		last := h.lastLog.Load()
		if now-last < int64(time.Second) || !h.lastLog.CompareAndSwap(last, now) {
			return nil
		}
		r = slog.NewRecord(r.Time, slog.LevelWarn, "malformed SIP message dropped (logged at most once per second)", r.PC)
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func isMalformed(msg string) bool {
	return strings.HasPrefix(msg, "failed to parse") ||
		strings.HasPrefix(msg, "Server tx failed to handle request") ||
		strings.HasPrefix(msg, "Failed to send stateless 400")
}

func (h *malformedCounter) WithAttrs(as []slog.Attr) slog.Handler {
	return &malformedCounter{next: h.next.WithAttrs(as), m: h.m, lastLog: h.lastLog}
}

func (h *malformedCounter) WithGroup(name string) slog.Handler {
	return &malformedCounter{next: h.next.WithGroup(name), m: h.m, lastLog: h.lastLog}
}
