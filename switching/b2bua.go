package switching

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

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
}

// B2BUA terminates the caller's dialog (A-leg) and originates one dialog
// per registered contact of the callee (B-legs), RFC 3261 §6 "back-to-back
// user agent". Each call is a domain.Call aggregate; SIP state lives in
// sipgo dialogs indexed here by Call-ID.
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

	mu    sync.RWMutex
	byA   map[string]*call // A-leg Call-ID
	byB   map[string]*call // B-leg Call-ID
	wg    sync.WaitGroup
	drain chan struct{}
}

// NewB2BUA wires a B2BUA.
func NewB2BUA(cfg B2BUAConfig, ua *sipgo.DialogUA, guard *Guard, rec *Recorder, loc *projections.Location, subs *projections.Subscribers, x *Interconnect, m *Metrics, log *slog.Logger) *B2BUA {
	if cfg.TrunkAttemptTimeout <= 0 {
		cfg.TrunkAttemptTimeout = 3 * time.Second
	}
	return &B2BUA{cfg: cfg, ua: ua, guard: guard, rec: rec, loc: loc, subs: subs, x: x, m: m, log: log,
		byA: map[string]*call{}, byB: map[string]*call{}, drain: make(chan struct{})}
}

func (b *B2BUA) index(c *call, aID string) {
	b.mu.Lock()
	b.byA[aID] = c
	b.mu.Unlock()
}

func (b *B2BUA) indexB(c *call, bID string) {
	b.mu.Lock()
	b.byB[bID] = c
	b.mu.Unlock()
}

func (b *B2BUA) forget(c *call) {
	b.mu.Lock()
	delete(b.byA, c.aCallID)
	for _, l := range c.legs {
		delete(b.byB, l.sipCallID)
	}
	b.mu.Unlock()
}

// lookup finds the call of an in-dialog request and which side sent it.
func (b *B2BUA) lookup(callID string) (*call, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if c := b.byA[callID]; c != nil {
		return c, true
	}
	if c := b.byB[callID]; c != nil {
		return c, false
	}
	return nil, false
}

// Active is the number of calls this node holds.
func (b *B2BUA) Active() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.byA)
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
	srv.OnCancel(b.onStrayCancel)
}

// onStrayCancel answers a CANCEL that matched no INVITE transaction; sipgo
// answers the matching ones itself (200, then 487 to the INVITE).
func (b *B2BUA) onStrayCancel(req *sip.Request, tx sip.ServerTransaction) {
	b.m.request("CANCEL")
	b.m.response(481)
	_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
}
