package switching

import (
	"context"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
)

// allowed is the Allow header of the switch's INVITEs and 2xx answers
// (RFC 3261 §20.5): UPDATE is answered in-dialog (RFC 3311), which is how
// a peer may refresh a session without SDP (RFC 4028 §7.4).
const allowed = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE"

// answered connects the caller to the winning fork: the callee's 2xx is
// ACKed, the caller gets its 2xx and ACKs it, both dialogs are recorded
// with what an in-dialog request needs, and the call is held until it
// ends (talk).
func (c *call) answered(ctx context.Context) {
	b, w := c.b, c.winner
	now := b.rec.Now()
	_ = w.sess.Ack(ctx)
	bTimer := calleeTimer(w.res, w.timer, b.cfg.SessionTimer)
	bDialog := bLegDialog(w, bTimer)
	t := c.txEvent(w.id, domain.DirOut, w.sess.InviteRequest, 200, "OK", w.started, w.res)
	t.Provisional, t.Ack = w.prov, b.rec.Now()
	c.agg.Transaction(t, now)
	_ = c.agg.AnswerLeg(w.id, bDialog, now)
	// The answer is durable before the caller hears it.
	c.record(ctx)
	b.m.callsAnswered.Add(1)
	hdrs := []sip.Header{sip.NewHeader(hdrAllow, allowed)}
	if ct := w.res.ContentType(); ct != nil {
		hdrs = append(hdrs, sip.HeaderClone(ct))
	}
	if b.cfg.SessionTimer.On() {
		hdrs = append(hdrs, sip.NewHeader(hdrSupported, "timer"))
	}
	hdrs = append(hdrs, c.aTimer.answerHeaders()...)
	// Both sides' bodies and Allow, read before dropBodies trims them.
	aSide := &side{leg: domain.SideA, fromA: true, dlg: c.a, dialogID: c.a.ID, timer: c.aTimer,
		useUpdate: hasOption(c.a.InviteRequest, hdrAllow, "", "UPDATE"), sdp: w.res.Body()}
	bSide := &side{leg: w.id, dlg: w.sess, dialogID: sip.DialogIDMake(bDialog.CallID, bDialog.LocalTag, bDialog.RemoteTag),
		timer: bTimer, useUpdate: hasOption(w.res, hdrAllow, "", "UPDATE"), sdp: w.sess.InviteRequest.Body()}
	aSide.target, aSide.transport = c.a.InviteRequest.Contact().Address, c.a.InviteRequest.Transport()
	bSide.target, bSide.transport = c.winnerTarget(), w.sess.InviteRequest.Transport()
	b.m.response(200)
	// Respond blocks until the caller's ACK (RFC 3261 §13.3.1.4).
	ackErr := c.a.Respond(200, "OK", w.res.Body(), hdrs...)
	now = b.rec.Now()
	t = c.txEvent(domain.SideA, domain.DirIn, c.a.InviteRequest, 200, "OK", c.started)
	t.Provisional = c.aProv
	if at := c.ackAt.Load(); at != 0 {
		t.Ack = time.Unix(0, at).UTC()
		if from := c.ackFrom.Load(); from != nil && *from != c.a.InviteRequest.Source() {
			t.AckPeer = *from
		}
	}
	c.agg.Transaction(t, now)
	c.sides = [2]*side{aSide, bSide}
	b.indexDialog(bSide.dialogID, dialogRef{c: c, leg: w})
	if ackErr != nil {
		b.log.Info("call: no ACK from caller, releasing", "call", c.id, "sip_call_id", c.aCallID, "error", ackErr)
		c.hangup(ctx, true, true, domain.Classify(domain.ErrCalleeUnreachable), domain.BySwitch, time.Time{})
		return
	}
	_ = c.agg.AnswerLeg(domain.SideA, aLegDialog(c, c.aTimer), now)
	c.record(ctx)
	// The callee's 2xx and the caller's ACK are each side's first proof
	// of life, and where its session timer starts (RFC 4028 §10).
	bSide.alive = c.agg.AnsweredAt()
	aSide.alive = now
	for _, s := range c.sides {
		s.schedule(s.alive)
		if s.timer.refresher != domain.RefresherSwitch {
			s.sdp = nil // only the switch's re-INVITE refreshes need it
		}
	}
	c.dropBodies()
	c.talk(ctx)
}

// winnerTarget is where in-dialog requests to the callee go: the 2xx's
// Contact (RFC 3261 §12.1.2), else the Request-URI it was sent to.
func (c *call) winnerTarget() sip.Uri {
	if ct := c.winner.res.Contact(); ct != nil {
		return ct.Address
	}
	return c.winner.sess.InviteRequest.Recipient
}

// aLegDialog is the caller's dialog as the switch (its UAS) holds it.
func aLegDialog(c *call, t legTimer) *domain.Dialog {
	inv := c.a.InviteRequest
	local, _ := inv.To().Params.Get("tag")
	remote, _ := inv.From().Params.Get("tag")
	d := &domain.Dialog{CallID: c.aCallID, LocalTag: local, RemoteTag: remote,
		LocalURI: nameAddr(inv.To().DisplayName, inv.To().Address), RemoteURI: nameAddr(inv.From().DisplayName, inv.From().Address),
		Transport: inv.Transport(), LocalCSeq: inv.CSeq().SeqNo, SessionExpires: int(t.interval / time.Second), Refresher: t.refresher}
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
		SessionExpires: int(t.interval / time.Second), Refresher: t.refresher}
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
