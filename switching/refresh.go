package switching

import (
	"context"
	"time"

	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
)

// glareRetry is how long the switch waits to refresh again after a 491
// (RFC 3261 §14.1: 2.1 to 4 s for the side that does not own the Call-ID;
// the switch always backs off by the shorter bound).
const glareRetry = 2100 * time.Millisecond

// refresh sends a session refresh on s (RFC 4028 §10) on its own
// goroutine: an UPDATE without SDP when the peer allows UPDATE (§7.4
// recommends it), else a re-INVITE with the last offer sent on the dialog,
// unchanged, so nothing about the media moves. A peer that refused UPDATE
// and left no offer to re-send is pinged with an in-dialog OPTIONS, as
// Kamailio's dialog keepalives do: not a refresh, but a proof of life. It must be answered before
// the session would expire; the answer comes back as evRefreshDone. An
// endpoint that does not do timers still answers an in-dialog request,
// which is the proof of life the switch is after.
func (c *call) refresh(ctx context.Context, s *side) {
	now := c.b.rec.Now()
	method := sip.UPDATE
	switch {
	case s.useUpdate:
	case len(s.sdp) > 0:
		method = sip.INVITE
	case s.updateRefused:
		method = sip.OPTIONS
	}
	req := sip.NewRequest(method, *s.target)
	req.SetTransport(s.transport)
	for _, h := range offerHeaders(s.timer.interval, c.b.cfg.SessionTimer) {
		req.AppendHeader(h)
	}
	if method == sip.INVITE {
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(s.sdp)
	}
	s.refreshing = true
	wait := min(32*time.Second, max(time.Second, s.refreshed.Add(s.timer.interval).Sub(now)))
	dlg := s.dlg
	go func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wait)
		defer cancel()
		res, err := dlg.Do(rctx, req)
		if err == nil && res != nil && res.IsSuccess() && method == sip.INVITE {
			// The 2xx of a re-INVITE is ACKed end to end (§13.2.2.4).
			ack := sip.NewRequest(sip.ACK, req.Recipient)
			ack.AppendHeader(&sip.CSeqHeader{SeqNo: req.CSeq().SeqNo, MethodName: sip.ACK})
			ack.SetTransport(req.Transport())
			_ = dlg.WriteRequest(ack)
		}
		c.send(callEvent{kind: evRefreshDone, side: s, req: req, res: res, err: err, sent: now})
	}()
}

// refreshDone acts on the answer to a refresh and reports whether the
// call ended. No answer, 408 or 481 means the peer is gone (RFC 4028
// §10): the call ends, billed to the side's last proof of life. Any other
// answer is a proof of life.
func (c *call) refreshDone(ctx context.Context, ev callEvent) bool {
	s, now := ev.side, c.b.rec.Now()
	s.refreshing = false
	code, reason := codeOf(ev.res, ev.err), ""
	if ev.res != nil {
		reason = ev.res.Reason
	}
	t := c.txEvent(s.leg, domain.DirOut, ev.req, code, reason, ev.sent, ev.res)
	if ev.req.Method == sip.INVITE && code >= 200 && code < 300 {
		t.Ack = now
	}
	c.agg.Transaction(t, now)
	if ev.err != nil || code == 408 || code == 481 {
		c.b.m.sessionExpiries.Add(1)
		c.hangup(ctx, true, true, domain.Classify(domain.ErrSessionExpired), domain.BySwitch, s.alive)
		return true
	}
	c.b.m.sessionRefreshes.Add(1)
	s.alive = now
	switch {
	case code >= 200 && code < 300:
		// The answer may shorten the interval or hand the refreshing
		// to the peer (refresher=uas, §7.2).
		s.timer = calleeTimer(ev.res, s.timer.interval, c.b.cfg.SessionTimer)
		s.schedule(now)
	case code == 422:
		// §7.4: ask again with at least the peer's Min-SE.
		if v, ok := header(ev.res, hdrMinSE, ""); ok {
			if n, err := parseDelta(v); err == nil && time.Duration(n)*time.Second > s.timer.interval {
				s.timer.interval = time.Duration(n) * time.Second
				s.next = now
				break
			}
		}
		s.schedule(now)
	case code == 491:
		s.next = now.Add(glareRetry)
	case (code == 405 || code == 501) && ev.req.Method == sip.UPDATE:
		// The peer does not take UPDATE after all: re-INVITE, or OPTIONS.
		s.useUpdate, s.updateRefused = false, true
		s.next = now
	default:
		s.schedule(now)
	}
	c.record(ctx)
	return false
}
