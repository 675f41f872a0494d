package switching

import (
	"context"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
)

// answered connects the caller to the winning fork and holds the call until
// either side hangs up, the maximum duration passes, or the node drains.
func (c *call) answered(ctx context.Context, maxDur *time.Timer) {
	b, w := c.b, c.winner
	now := b.rec.Now()
	_ = c.agg.AnswerLeg(w.id, now)
	_ = c.agg.AnswerLeg(domain.SideA, now)
	c.record(ctx)
	b.m.callsAnswered.Add(1)
	_ = w.sess.Ack(ctx)
	var hdrs []sip.Header
	if ct := w.res.ContentType(); ct != nil {
		hdrs = append(hdrs, sip.HeaderClone(ct))
	}
	b.m.response(200)
	// Respond blocks until the caller's ACK (RFC 3261 §13.3.1.4).
	ackErr := c.a.Respond(200, "OK", w.res.Body(), hdrs...)
	c.tx(domain.SideA, domain.DirIn, c.a.InviteRequest, 200, "OK", c.started)
	c.record(ctx)
	if ackErr != nil {
		b.log.Info("call: no ACK from caller, releasing", "call_id", c.aCallID, "error", ackErr)
		c.hangup(ctx, true, true, domain.Classify(domain.ErrCalleeUnreachable), domain.BySwitch)
		return
	}
	c.dropBodies()
	for {
		select {
		case ev := <-c.events:
			switch ev.kind {
			case evBye:
				c.byeReceived(ctx, ev)
				return
			case evReinvite:
				c.relayReinvite(ctx, ev)
			case evLegDone:
				if ev.leg.done {
					c.lateLeg(ctx, ev)
					continue
				}
				c.legDone(ctx, ev, true)
				c.record(ctx)
			}
		case <-maxDur.C:
			c.hangup(ctx, true, true, domain.Classify(c.limitCause), domain.BySwitch)
			return
		case <-b.drain:
			c.hangup(ctx, true, true, nil, domain.BySwitch)
			return
		}
	}
}

// dropBodies trims the initial offer and answer once both dialogs are
// confirmed: in-dialog requests need only the dialog's headers (RFC 3261
// §12.2.1.1: Call-ID, tags, CSeq, remote target, route set), and a
// re-INVITE brings its own SDP. Credentials, Vias and bodies would
// otherwise stay in memory for the whole call.
func (c *call) dropBodies() {
	for _, r := range []*sip.Request{c.a.InviteRequest, c.winner.sess.InviteRequest} {
		// Pin the transport before the Via it is read from goes.
		r.SetTransport(r.Transport())
		r.SetBody(nil)
		keepDialogHeaders(r)
	}
	for _, r := range []*sip.Response{c.a.InviteResponse, c.winner.res} {
		if r != nil {
			r.SetBody(nil)
			keepDialogHeaders(r)
		}
	}
}

type headerSet interface {
	Headers() []sip.Header
	RemoveHeader(name string) bool
}

// keepDialogHeaders removes every header a dialog does not need.
func keepDialogHeaders(m headerSet) {
	var drop []string
	for _, h := range m.Headers() {
		switch strings.ToLower(h.Name()) {
		case "from", "to", "call-id", "cseq", "contact", "record-route", "content-length":
		default:
			drop = append(drop, h.Name())
		}
	}
	for _, name := range drop {
		m.RemoveHeader(name)
	}
}

// byeReceived answers a BYE and releases the other side.
func (c *call) byeReceived(ctx context.Context, ev callEvent) {
	w := c.winner
	if !ev.fromA && ev.leg != w {
		c.b.reply(ev.tx, ev.req, 481, "Call/Transaction Does Not Exist")
		return
	}
	started := c.b.rec.Now()
	c.b.m.response(200)
	_ = ev.tx.Respond(sip.NewResponseFromRequest(ev.req, 200, "OK", nil))
	leg, by := w.id, domain.ByCallee
	if ev.fromA {
		leg, by = domain.SideA, domain.ByCaller
	}
	c.tx(leg, domain.DirIn, ev.req, 200, "OK", started)
	_ = c.agg.EndLeg(leg, 200, "Normal Clearing", by, started)
	c.hangup(ctx, !ev.fromA, ev.fromA, nil, by)
}

// hangup sends BYE to the sides still up, then ends the call.
func (c *call) hangup(ctx context.Context, byeA, byeB bool, f *domain.CallFailure, by string) {
	bctx, cancel := context.WithTimeout(ctx, 8*time.Second)
	defer cancel()
	type result struct {
		leg  string
		req  *sip.Request
		code int
		at   time.Time
	}
	results := make(chan result, 2)
	n := 0
	if byeA {
		n++
		go func() {
			at := c.b.rec.Now()
			bye := sip.NewRequest(sip.BYE, c.a.InviteRequest.Contact().Address)
			bye.SetTransport(c.a.InviteRequest.Transport())
			res, err := c.a.Do(bctx, bye)
			results <- result{domain.SideA, bye, codeOf(res, err), at}
		}()
	}
	if byeB {
		n++
		go func() {
			at := c.b.rec.Now()
			bye := sip.NewRequest(sip.BYE, c.winnerTarget())
			res, err := c.winner.sess.Do(bctx, bye)
			results <- result{c.winner.id, bye, codeOf(res, err), at}
		}()
	}
	for range n {
		r := <-results
		c.tx(r.leg, domain.DirOut, r.req, r.code, "", r.at)
	}
	c.agg.End(f, by, c.b.rec.Now())
	c.record(ctx)
	c.b.m.callsEnded.Add(1)
}

func (c *call) winnerTarget() sip.Uri {
	if ct := c.winner.res.Contact(); ct != nil {
		return ct.Address
	}
	return c.winner.sess.InviteRequest.Recipient
}

func codeOf(res *sip.Response, err error) int {
	if res != nil {
		return res.StatusCode
	}
	if err != nil {
		return 408
	}
	return 0
}

// relayReinvite passes an in-dialog INVITE (hold, codec change) to the
// other side and its answer back, SDP unchanged. The switch ACKs the far
// side itself and absorbs the sender's ACK, as B2BUAs do.
func (c *call) relayReinvite(ctx context.Context, ev callEvent) {
	rctx, cancel := context.WithTimeout(ctx, 32*time.Second)
	defer cancel()
	started := c.b.rec.Now()
	var res *sip.Response
	var err error
	var out *sip.Request
	var inLeg, outLeg string
	if ev.fromA {
		inLeg, outLeg = domain.SideA, c.winner.id
		out = sip.NewRequest(sip.INVITE, c.winnerTarget())
		copyBody(ev.req, out)
		res, err = c.winner.sess.Do(rctx, out)
	} else {
		inLeg, outLeg = c.winner.id, domain.SideA
		out = sip.NewRequest(sip.INVITE, c.a.InviteRequest.Contact().Address)
		out.SetTransport(c.a.InviteRequest.Transport())
		copyBody(ev.req, out)
		res, err = c.a.Do(rctx, out)
	}
	code, reason := 500, "Server Internal Error"
	var body []byte
	var hdrs []sip.Header
	if err == nil && res != nil {
		code, reason, body = res.StatusCode, res.Reason, res.Body()
		if ct := res.ContentType(); ct != nil {
			hdrs = append(hdrs, sip.HeaderClone(ct))
		}
	}
	if code >= 200 && code < 300 {
		ack := sip.NewRequest(sip.ACK, out.Recipient)
		ack.AppendHeader(&sip.CSeqHeader{SeqNo: out.CSeq().SeqNo, MethodName: sip.ACK})
		ack.SetTransport(out.Transport())
		if ev.fromA {
			_ = c.winner.sess.WriteRequest(ack)
		} else {
			_ = c.a.WriteRequest(ack)
		}
	}
	r := sip.NewResponseFromRequest(ev.req, code, reason, body)
	for _, h := range hdrs {
		r.AppendHeader(h)
	}
	r.AppendHeader(sip.HeaderClone(&c.b.ua.ContactHDR))
	c.b.m.response(code)
	_ = ev.tx.Respond(r)
	c.tx(outLeg, domain.DirOut, out, code, reason, started)
	c.tx(inLeg, domain.DirIn, ev.req, code, reason, started)
	c.record(ctx)
}

func copyBody(from, to *sip.Request) {
	if ct := from.ContentType(); ct != nil {
		to.AppendHeader(sip.HeaderClone(ct))
	}
	to.SetBody(from.Body())
}

// inDialog routes a request inside an existing dialog to its call.
func (b *B2BUA) inDialog(req *sip.Request, tx sip.ServerTransaction, kind eventKind) {
	cid := req.CallID()
	if cid == nil {
		b.reply(tx, req, 400, "Bad Request")
		return
	}
	c, fromA := b.lookup(cid.Value())
	if c == nil {
		b.reply(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	ev := callEvent{kind: kind, req: req, tx: tx, fromA: fromA}
	if !fromA {
		for _, l := range c.legs {
			if l.sipCallID == cid.Value() {
				ev.leg = l
			}
		}
	}
	if !c.send(ev) {
		b.reply(tx, req, 481, "Call/Transaction Does Not Exist")
	}
}

func (b *B2BUA) onBye(req *sip.Request, tx sip.ServerTransaction) {
	b.m.request("BYE")
	b.inDialog(req, tx, evBye)
}

// onAck confirms the caller's dialog; ACKs for re-INVITE answers were
// already sent on the far side by relayReinvite, so they end here.
func (b *B2BUA) onAck(req *sip.Request, tx sip.ServerTransaction) {
	b.m.request("ACK")
	cid := req.CallID()
	if cid == nil {
		return
	}
	if c, fromA := b.lookup(cid.Value()); c != nil && fromA {
		_ = c.a.ReadAck(req, tx)
	}
}
