package switching

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"softswitch/internal/ids"
	"softswitch/projections"
)

// B2BUAConfig bounds a call's phases.
type B2BUAConfig struct {
	// RingTimeout is how long the callee may ring before the caller gets 480.
	RingTimeout time.Duration
	// MaxDuration is the longest an answered call may last; then the switch
	// sends BYE to both legs.
	MaxDuration time.Duration
	// Realm is the domain used in the From/To of B-legs.
	Realm string
	// TrunkAttemptTimeout is how long an attempt through a trunk may go
	// without any response before the next trunk is tried (like
	// Kamailio's fr_timer); RFC 3261's Timer B (32 s) is far too long to
	// fail over on. Default 3s.
	TrunkAttemptTimeout time.Duration
	// CaptureFull keeps the whole SIP messages of each call transaction in
	// its sip.transaction event (audit.capture: full).
	CaptureFull bool
	// SessionTimer is the RFC 4028 policy on both legs.
	SessionTimer SessionTimerConfig
	// Edge says where a registered binding is reached (the registrar's).
	Edge RegistrationEdge
	// Media anchors calls' RTP through the switch (media.go).
	Media MediaConfig
	// Overload sheds new calls while the receive queue is too long.
	Overload *Overload
}

// OverloadState is the shedding state, for the metrics.
func (b *B2BUA) OverloadState() *Overload { return b.cfg.Overload }

// B2BUA terminates the caller's dialog (A-leg) and originates one dialog
// per registered contact of the callee (B-legs), RFC 3261 §6 "back-to-back
// user agent". Each call is a domain.Call aggregate under the switch's own
// id; its dialogs are found by their RFC 3261 §12 dialog id (Call-ID,
// local tag, remote tag), never by the Call-ID alone, which any endpoint
// may reuse.
type B2BUA struct {
	cfg   B2BUAConfig
	ua    *sipgo.DialogUA
	guard *Guard
	rec   *Recorder
	loc   *projections.Location
	subs  *projections.Subscribers
	m     *Metrics
	log   *slog.Logger
	x     *Interconnect // nil: registered users only
	ids   *ids.Generator

	mu sync.RWMutex
	// dialogs maps a dialog id (sip.DialogIDMake(Call-ID, the switch's
	// tag, the peer's tag)) to the call and side it belongs to.
	dialogs map[string]dialogRef
	// callers maps callerKey to the calls in progress.
	callers map[callerKey]*call
	wg      sync.WaitGroup
	drain   chan struct{}
}

// dialogRef is one dialog of a call: the A-leg (fromA) or a B-leg.
type dialogRef struct {
	c     *call
	fromA bool
	leg   *bLeg
}

// NewB2BUA wires a B2BUA.
func NewB2BUA(cfg B2BUAConfig, ua *sipgo.DialogUA, guard *Guard, rec *Recorder, loc *projections.Location, subs *projections.Subscribers, x *Interconnect, m *Metrics, log *slog.Logger) *B2BUA {
	if cfg.TrunkAttemptTimeout <= 0 {
		cfg.TrunkAttemptTimeout = 3 * time.Second
	}
	return &B2BUA{cfg: cfg, ua: ua, guard: guard, rec: rec, loc: loc, subs: subs, x: x, m: m, log: log,
		ids: ids.New(rec.Node(), rec.Now), dialogs: map[string]dialogRef{}, callers: map[callerKey]*call{}, drain: make(chan struct{})}
}

// claim registers a new call under its caller key; false when a call with
// the same Call-ID and From tag is in progress (a merged request).
func (b *B2BUA) claim(c *call) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.callers[c.callerKey] != nil {
		return false
	}
	b.callers[c.callerKey] = c
	return true
}

// indexDialog makes a dialog of c findable by its id.
func (b *B2BUA) indexDialog(id string, ref dialogRef) {
	b.mu.Lock()
	b.dialogs[id] = ref
	b.mu.Unlock()
}

// forget drops every index entry of c.
func (b *B2BUA) forget(c *call) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.callers[c.callerKey] == c {
		delete(b.callers, c.callerKey)
	}
	delete(b.dialogs, c.aDialogID)
	for _, s := range c.sides {
		if s != nil {
			delete(b.dialogs, s.dialogID)
		}
	}
}

// lookup finds the dialog an in-dialog request belongs to (RFC 3261
// §12.2.2): its Call-ID, To tag (the switch's) and From tag (the peer's)
// must all match one of a call's dialogs.
func (b *B2BUA) lookup(req *sip.Request) (dialogRef, bool) {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return dialogRef{}, false
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	r, ok := b.dialogs[id]
	return r, ok
}

// Active is the number of calls this node holds.
func (b *B2BUA) Active() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.callers)
}

// Shutdown ends every call with BYE/CANCEL and waits for them, bounded by
// ctx.
func (b *B2BUA) Shutdown(ctx context.Context) {
	close(b.drain)
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Serve registers the B2BUA's handlers on a sipgo server.
func (b *B2BUA) Serve(srv *sipgo.Server) {
	srv.OnInvite(b.onInvite)
	srv.OnAck(b.onAck)
	srv.OnBye(b.onBye)
	srv.OnUpdate(b.onUpdate)
	srv.OnCancel(b.onStrayCancel)
}

// onStrayCancel answers a CANCEL that matched no INVITE transaction; sipgo
// answers the matching ones itself (200, then 487 to the INVITE).
func (b *B2BUA) onStrayCancel(req *sip.Request, tx sip.ServerTransaction) {
	b.m.request("CANCEL")
	b.m.response(481)
	_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
}
