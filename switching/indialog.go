package switching

import (
	"github.com/emiago/sipgo/sip"
)

// inDialog routes a request inside an existing dialog to its call. The
// dialog is found by its full id (RFC 3261 §12.2.2: Call-ID, To tag and
// From tag): a request with the right Call-ID but a wrong or missing tag
// gets 481 and reaches no call.
func (b *B2BUA) inDialog(req *sip.Request, tx sip.ServerTransaction, kind eventKind) {
	ref, ok := b.lookup(req)
	if !ok {
		b.m.strayInDialog.Add(1)
		b.reply(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	ev := callEvent{kind: kind, req: req, tx: tx, fromA: ref.fromA, leg: ref.leg}
	if !ref.c.send(ev) {
		b.reply(tx, req, 481, "Call/Transaction Does Not Exist")
	}
}

func (b *B2BUA) onBye(req *sip.Request, tx sip.ServerTransaction) {
	b.m.request("BYE")
	if !b.guard.Admit(req, tx) {
		return
	}
	b.inDialog(req, tx, evBye)
}

func (b *B2BUA) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	b.m.request("UPDATE")
	if !b.guard.Admit(req, tx) {
		return
	}
	b.inDialog(req, tx, evUpdate)
}

// onAck takes the caller's ACK of the 2xx (RFC 3261 §13.2.2.4), which
// confirms the A-leg, and records when and where it came from. ACKs for
// re-INVITE answers were already sent on the far side by the relay, so
// they end here; an ACK that matches no dialog, or the challenge round
// before a call, changes nothing.
func (b *B2BUA) onAck(req *sip.Request, tx sip.ServerTransaction) {
	b.m.request("ACK")
	ref, ok := b.lookup(req)
	if !ok {
		if !b.guard.AckChallenge(req) {
			b.m.strayInDialog.Add(1)
		}
		return
	}
	if !ref.fromA {
		return
	}
	c := ref.c
	a := c.acker.Load()
	if a == nil {
		return // a retransmitted ACK of a call already answered
	}
	if a.ReadAck(req, tx) == nil && c.ackAt.CompareAndSwap(0, b.rec.Now().UnixNano()) {
		if src := req.Source(); src != c.aSource {
			c.ackFrom.Store(&src)
		}
	}
}
