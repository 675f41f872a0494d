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
	err := r.Read(ctx, domain.CallKey(o.CallID), func(env domain.Envelope) error {
		ev, err := domain.Decode(env)
		if err != nil {
			return err
		}
		if t, ok := ev.(domain.SIPTransaction); ok && t.Direction == domain.DirOut {
			cseq[t.Leg] = max(cseq[t.Leg], t.CSeq)
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
	r.byeConfirmed(ctx, agg, cseq)
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
func (r *Recovery) byeConfirmed(ctx context.Context, agg *domain.Call, cseq map[string]uint32) {
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
		if l.Dialog == nil || !l.End.IsZero() {
			continue
		}
		// Higher than any CSeq the switch used on the dialog: a gap is
		// allowed (RFC 3261 §12.2.2), a repeat is not. The margin covers
		// requests in flight at the crash, which were never recorded.
		seq := max(cseq[l.ID], l.Dialog.LocalCSeq) + 16
		bye, err := byeFor(l.Dialog, seq, r.Contact)
		if err != nil {
			r.Log.Warn("recovery: cannot build BYE", "call", agg.ID(), "leg", l.ID, "error", err)
			continue
		}
		wg.Go(func() {
			at := r.Rec.Now()
			bctx, cancel := context.WithTimeout(ctx, timeout)
			res, err := r.Client.Do(bctx, bye)
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

// byeFor builds a BYE in a recorded dialog (RFC 3261 §12.2.1.1): the
// remote target as Request-URI, the route set as Route (loose routing,
// so the request goes to the first route), From with the switch's tag, To
// with the peer's.
func byeFor(d *domain.Dialog, cseq uint32, contact sip.ContactHeader) (*sip.Request, error) {
	var target sip.Uri
	if err := sip.ParseUri(d.RemoteTarget, &target); err != nil {
		return nil, fmt.Errorf("remote target %q: %w", d.RemoteTarget, err)
	}
	req := sip.NewRequest(sip.BYE, target)
	from := &sip.FromHeader{Params: sip.NewParams()}
	name, err := sip.ParseAddressValue(d.LocalURI, &from.Address, &from.Params)
	if err != nil {
		return nil, fmt.Errorf("local uri %q: %w", d.LocalURI, err)
	}
	from.DisplayName = name
	from.Params.Add("tag", d.LocalTag)
	to := &sip.ToHeader{Params: sip.NewParams()}
	if to.DisplayName, err = sip.ParseAddressValue(d.RemoteURI, &to.Address, &to.Params); err != nil {
		return nil, fmt.Errorf("remote uri %q: %w", d.RemoteURI, err)
	}
	to.Params.Add("tag", d.RemoteTag)
	cid := sip.CallIDHeader(d.CallID)
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.BYE})
	req.AppendHeader(&mf)
	for i, rt := range d.RouteSet {
		req.AppendHeader(sip.NewHeader("Route", rt))
		if i == 0 {
			var u sip.Uri
			if _, err := sip.ParseAddressValue(rt, &u, nil); err == nil {
				req.SetDestination(u.HostPort())
			}
		}
	}
	req.AppendHeader(sip.HeaderClone(&contact))
	if d.Transport != "" {
		req.SetTransport(d.Transport)
	}
	return req, nil
}
