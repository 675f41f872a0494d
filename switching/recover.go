package switching

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
	"softswitch/projections"
)

// Recovery closes the calls this node left open when it last stopped
// (a crash, kill -9): their dialogs died with the process, but the
// endpoints may still be up. For each such call it rebuilds the aggregate
// from the log, sends BYE on every dialog the log shows confirmed (the
// dialog state was recorded with the answer: RFC 3261 §12's Call-ID,
// tags, remote target, route set, and the switch's CSeq from its recorded
// transactions), and ends the call as of its last proof of life before
// the crash: the later of its own last event and the node's last
// heartbeat (node.alive). The CDR bills that much, never the outage. The
// caller's account is then charged for it or released.
type Recovery struct {
	Rec   *Recorder
	Calls *projections.Calls
	// Read reads one aggregate's events in order (the journal's index).
	Read func(ctx context.Context, aggregate string, fn func(domain.Envelope) error) error
	// Client sends the BYEs; nil sends none (the calls are still closed).
	Client  *sipgo.Client
	Contact sip.ContactHeader
	Spend   *Spend
	M       *Metrics
	Log     *slog.Logger
	// ByeTimeout bounds each BYE's transaction; default 4 s.
	ByeTimeout time.Duration
}

// Orphans are the calls a previous run left open, and its last heartbeat.
type Orphans struct {
	Calls     []projections.ActiveCall
	LastAlive time.Time
}

// Orphans lists the calls to recover. Take it before this run records
// anything: its own calls and heartbeats are this node's too.
func (r *Recovery) Orphans() Orphans {
	alive, _ := r.Calls.LastAlive(r.Rec.Node())
	return Orphans{Calls: r.Calls.Orphans(r.Rec.Node()), LastAlive: alive}
}

// Run closes the orphans and returns how many it closed.
func (r *Recovery) Run(ctx context.Context, orphans Orphans) (int, error) {
	n := 0
	for _, o := range orphans.Calls {
		if err := r.close(ctx, o, orphans.LastAlive); err != nil {
			return n, fmt.Errorf("close orphaned call %s: %w", o.CallID, err)
		}
		n++
		if r.M != nil {
			r.M.orphansClosed.Add(1)
		}
	}
	return n, nil
}

func (r *Recovery) close(ctx context.Context, o projections.ActiveCall, heartbeat time.Time) error {
	agg := domain.ReplayCall()
	cseq := map[string]uint32{}
	dialogs := map[string]*domain.Dialog{}
	err := r.Read(ctx, domain.CallKey(o.CallID), func(env domain.Envelope) error {
		ev, err := domain.Decode(env)
		if err != nil {
			return err
		}
		switch e := ev.(type) {
		case domain.SIPTransaction:
			if e.Direction == domain.DirOut {
				cseq[e.Leg] = max(cseq[e.Leg], e.CSeq)
			}
		case domain.LegAnswered:
			if e.Dialog != nil {
				dialogs[e.Leg] = e.Dialog
			}
		}
		agg.Apply(ev, env.Time)
		return nil
	})
	if err != nil {
		return err
	}
	if agg.ID() == "" || agg.Ended() {
		return nil // nothing to close: the projection was ahead of the log
	}
	until := o.Last
	if heartbeat.After(until) {
		until = heartbeat
	}
	r.byeConfirmed(ctx, agg, dialogs, cseq)
	now := r.Rec.Now()
	agg.EndUntil(domain.Classify(domain.ErrNodeRestarted), domain.BySwitch, now, until)
	if err := r.Rec.Record(ctx, agg.Pending()...); err != nil {
		return err
	}
	if r.Spend == nil {
		return nil
	}
	if _, ok := r.Spend.Accounts(agg.Caller()); !ok {
		return nil
	}
	cdr, err := agg.CDR()
	if err != nil {
		return err
	}
	return settleCDR(ctx, r.Spend, agg.Caller(), r.Spend.Balances().Holds(agg.Caller(), agg.ID()), cdr)
}

// byeConfirmed sends BYE on each confirmed, open leg at once and records
// each as a transaction of the call.
func (r *Recovery) byeConfirmed(ctx context.Context, agg *domain.Call, dialogs map[string]*domain.Dialog, cseq map[string]uint32) {
	if r.Client == nil {
		return
	}
	timeout := r.ByeTimeout
	if timeout <= 0 {
		timeout = 4 * time.Second
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, l := range agg.Legs() {
		d := dialogs[l.ID]
		if d == nil || !l.End.IsZero() {
			continue
		}
		dc, err := newDialogClient(r.Client, &r.Contact, d)
		if err != nil {
			r.Log.Warn("recovery: cannot build BYE", "call", agg.ID(), "leg", l.ID, "error", err)
			continue
		}
		// Higher than any CSeq the switch used on the dialog: a gap is
		// allowed (RFC 3261 §12.2.2), a repeat is not. The margin covers
		// requests in flight at the crash, which were never recorded.
		dc.cseq.Store(max(cseq[l.ID], d.LocalCSeq) + 15)
		wg.Go(func() {
			at := r.Rec.Now()
			bctx, cancel := context.WithTimeout(ctx, timeout)
			bye := sip.NewRequest(sip.BYE, dc.target)
			res, err := dc.Do(bctx, bye)
			cancel()
			if err != nil {
				r.Log.Warn("recovery: BYE not answered", "call", agg.ID(), "leg", l.ID, "error", err)
			}
			t := transaction("", l.ID, domain.DirOut, bye, codeOf(res, err), "", at, r.Rec.Now())
			mu.Lock()
			agg.Transaction(t, r.Rec.Now())
			mu.Unlock()
			r.Log.Info("recovery: BYE to a leg the previous run left up", "call", agg.ID(), "leg", l.ID, "code", t.Code)
		})
	}
	wg.Wait()
}
