package switching

import (
	"context"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
	"softswitch/media"
)

// allowed is the Allow header of the switch's INVITEs and 2xx answers
// (RFC 3261 §20.5): UPDATE is answered in-dialog (RFC 3311), which is how
// a peer may refresh a session without SDP (RFC 4028 §7.4).
const allowed = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE"

// answered connects the caller to the winning fork: the callee's 2xx is
// ACKed, the caller gets its 2xx and ACKs it, both dialogs are recorded
// with what an in-dialog request needs, and the call is held until it
// ends (talk). From then on the call keeps each dialog as its recorded
// state (dialogClient), not sipgo's sessions, to bound memory per call.
func (c *call) answered(ctx context.Context, timer *time.Timer) {
	b, w := c.b, c.winner
	now := b.rec.Now()
	_ = w.sess.Ack(ctx)
	bTimer := calleeTimer(w.res, w.timer, b.cfg.SessionTimer)
	bDialog := bLegDialog(w, bTimer)
	aDialog := aLegDialog(c, c.aTimer)
	t := c.txEvent(w.id, domain.DirOut, w.sess.InviteRequest, 200, "OK", w.started, w.res)
	t.Provisional, t.Ack = w.prov, b.rec.Now()
	c.agg.Transaction(t, now)
	w.prov = nil
	_ = c.agg.AnswerLeg(w.id, bDialog, now)
	// The answer is durable before the caller hears it.
	c.record(ctx)
	b.m.callsAnswered.Add(1)
	b.m.observeSetup(now.Sub(c.started))
	hdrs := []sip.Header{sip.NewHeader(hdrAllow, allowed)}
	if ct := w.res.ContentType(); ct != nil {
		hdrs = append(hdrs, sip.HeaderClone(ct))
	}
	if b.cfg.SessionTimer.On() {
		hdrs = append(hdrs, sip.NewHeader(hdrSupported, "timer"))
	}
	hdrs = append(hdrs, c.aTimer.answerHeaders()...)
	if w.direct {
		c.dropMedia() // this leg's media goes end to end
	}
	// The callee's answer points the relay at it and goes to the caller
	// rewritten (RFC 3264 §6); one the switch cannot use ends the call.
	aBody, sdpErr := c.relaySDP(media.B, w.res.Body())
	aSide, aErr := c.newSide(domain.SideA, aDialog, c.aTimer, c.a.InviteRequest, aBody)
	bSide, bErr := c.newSide(w.id, bDialog, bTimer, w.res, w.sess.InviteRequest.Body())
	if aErr != nil || bErr != nil || sdpErr != nil {
		// A Contact the switch cannot parse back, or an answer it cannot
		// anchor: release the callee, and the caller as sipgo holds it.
		b.log.Warn("call: unusable answer", "call", c.id, "a", aErr, "b", bErr, "sdp", sdpErr)
		code, reason := 500, "Server Internal Error"
		f := domain.Classify(fmt.Errorf("dialog: %v %v", aErr, bErr))
		if sdpErr != nil {
			code, reason = sdpRefusal(sdpErr)
			f = domain.ClassifyResponse(code, reason)
		}
		b.m.response(code)
		_ = c.a.Respond(code, reason, nil)
		_ = w.sess.Bye(ctx)
		c.end(f, domain.BySwitch, b.rec.Now(), time.Time{})
		c.record(ctx)
		return
	}
	b.m.response(200)
	// Respond blocks until the caller's ACK (RFC 3261 §13.3.1.4).
	ackErr := c.a.Respond(200, "OK", aBody, hdrs...)
	now = b.rec.Now()
	t = c.txEvent(domain.SideA, domain.DirIn, c.a.InviteRequest, 200, "OK", c.started)
	t.Provisional = c.aProv
	if at := c.ackAt.Load(); at != 0 {
		t.Ack = time.Unix(0, at).UTC()
		if from := c.ackFrom.Load(); from != nil {
			t.AckPeer = *from
		}
	}
	c.agg.Transaction(t, now)
	c.sides = [2]*side{aSide, bSide}
	b.indexDialog(bSide.dialogID, dialogRef{c: c, leg: w})
	c.release()
	if ackErr != nil {
		b.log.Info("call: no ACK from caller, releasing", "call", c.id, "sip_call_id", c.aCallID, "error", ackErr)
		c.hangup(ctx, true, true, domain.Classify(domain.ErrCalleeUnreachable), domain.BySwitch, time.Time{})
		return
	}
	_ = c.agg.AnswerLeg(domain.SideA, aDialog, now)
	c.record(ctx)
	// The callee's 2xx and the caller's ACK are each side's first proof
	// of life, and where its session timer starts (RFC 4028 §10).
	bSide.alive = c.agg.AnsweredAt()
	aSide.alive = now
	for _, s := range c.sides {
		s.schedule(s.alive)
	}
	c.talk(ctx, timer)
}

// newSide makes the talk loop's side of a confirmed dialog. peer is the
// message the peer's Allow is read from (its INVITE, or its 2xx); sdp the
// offer last sent on the dialog, kept only when the switch will refresh
// it with a re-INVITE.
func (c *call) newSide(leg string, d *domain.Dialog, t legTimer, peer interface{ GetHeaders(string) []sip.Header }, sdp []byte) (*side, error) {
	dc, err := newDialogClient(c.b.ua.Client, &c.b.ua.ContactHDR, d)
	if err != nil {
		return nil, err
	}
	s := &side{leg: leg, fromA: leg == domain.SideA, dlg: dc, dialogID: sip.DialogIDMake(d.CallID, d.LocalTag, d.RemoteTag),
		target: &dc.target, transport: d.Transport, timer: t, useUpdate: hasOption(peer, hdrAllow, "", "UPDATE")}
	if t.refresher == domain.RefresherSwitch && !s.useUpdate {
		// A peer that takes UPDATE is refreshed without an offer (and
		// pinged with OPTIONS should it refuse UPDATE after all).
		s.sdp = sdp
	}
	return s, nil
}

// release drops what the call held for setting up its dialogs: sipgo's
// sessions and transactions, the INVITEs and their answers. The dialogs
// live on in the sides; sipgo's transaction layer keeps what it needs
// (the callee's 2xx retransmissions, re-ACKed by its client transaction)
// until its own timers end.
func (c *call) release() {
	c.acker.Store(nil)
	c.a, c.aTx = nil, nil
	for _, l := range c.legs {
		if l.done {
			l.sess, l.res, l.cancel = nil, nil, nil
		}
	}
}

// aLegDialog is the caller's dialog as the switch (its UAS) holds it.
func aLegDialog(c *call, t legTimer) *domain.Dialog {
	inv := c.a.InviteRequest
	local, _ := inv.To().Params.Get("tag")
	remote, _ := inv.From().Params.Get("tag")
	d := &domain.Dialog{CallID: c.aCallID, LocalTag: local, RemoteTag: remote,
		LocalURI: nameAddr(inv.To().DisplayName, inv.To().Address), RemoteURI: nameAddr(inv.From().DisplayName, inv.From().Address),
		Transport: inv.Transport(), LocalCSeq: inv.CSeq().SeqNo, SessionExpires: int(t.interval / time.Second), Refresher: t.refresher}
	if c.inbound == "" && (c.b.cfg.Edge.TrustContact == nil || !c.b.cfg.Edge.TrustContact(c.agg.Caller())) {
		// A subscriber's phone, maybe behind NAT: reached where its INVITE
		// came from (RFC 3581 symmetric response routing, applied to the
		// requests of the dialog as SBCs do), not at its Contact.
		d.Destination = c.aSource
	}
	if ct := inv.Contact(); ct != nil {
		d.RemoteTarget = ct.Address.String()
	}
	// A UAS's route set is the Record-Route list in order (§12.1.1).
	for _, h := range inv.GetHeaders("Record-Route") {
		d.RouteSet = append(d.RouteSet, h.Value())
	}
	return d
}

// bLegDialog is a callee's dialog as the switch (its UAC) holds it.
func bLegDialog(w *bLeg, t legTimer) *domain.Dialog {
	inv, res := w.sess.InviteRequest, w.res
	remote, _ := res.To().Params.Get("tag")
	d := &domain.Dialog{CallID: w.sipCallID, LocalTag: w.fromTag, RemoteTag: remote,
		LocalURI: nameAddr(inv.From().DisplayName, inv.From().Address), RemoteURI: nameAddr(inv.To().DisplayName, inv.To().Address),
		RemoteTarget: inv.Recipient.String(), Transport: inv.Transport(), LocalCSeq: inv.CSeq().SeqNo,
		SessionExpires: int(t.interval / time.Second), Refresher: t.refresher,
		// A registered phone behind NAT is reached where it registered
		// from, whatever its Contact says (RegistrationEdge).
		Destination: w.dest}
	if ct := res.Contact(); ct != nil {
		d.RemoteTarget = ct.Address.String()
	}
	// A UAC's route set is the 2xx's Record-Route in reverse (§12.1.2).
	rr := res.GetHeaders("Record-Route")
	for i := len(rr) - 1; i >= 0; i-- {
		d.RouteSet = append(d.RouteSet, rr[i].Value())
	}
	return d
}

// nameAddr renders a From/To value without its parameters (the tag is
// recorded on its own).
func nameAddr(display string, u sip.Uri) string {
	if display != "" {
		return "\"" + display + "\" <" + u.String() + ">"
	}
	return "<" + u.String() + ">"
}
