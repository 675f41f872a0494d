package switching

import (
	"context"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
	"softswitch/media"
)

// dialogDoer is what an answered call needs of one of its dialogs: send a
// request in it (RFC 3261 §12.2.1) and wait for the final answer, or just
// write one (an ACK). sipgo's DialogServerSession (the A-leg) and
// DialogClientSession (a B-leg) both are; the call loop's unit tests use
// fakes.
type dialogDoer interface {
	Do(ctx context.Context, req *sip.Request) (*sip.Response, error)
	WriteRequest(req *sip.Request) error
}

// side is one confirmed dialog of an answered call.
type side struct {
	leg      string // "a", or the winning B-leg's id
	fromA    bool
	dlg      dialogDoer
	dialogID string
	// target is the Request-URI of requests the switch sends on the dialog
	// (pointing into the Contact the dialog keeps).
	target    *sip.Uri
	transport string
	timer     legTimer
	// useUpdate: the peer allows UPDATE, so a refresh needs no SDP; sdp is
	// the last offer sent on the dialog, for a re-INVITE refresh.
	useUpdate     bool
	updateRefused bool
	sdp           []byte
	// alive is the last proof of life: a request from the peer, or an
	// answer to one of the switch's. refreshed is the last successful
	// refresh (RFC 4028 §10: any 2xx re-INVITE or UPDATE), which the
	// session timer counts from; next is when to refresh (the switch
	// refreshes) or to give up waiting (the peer does).
	alive, refreshed, next time.Time
	refreshing             bool
}

// schedule sets when the side's session timer next fires.
func (s *side) schedule(refreshed time.Time) {
	s.refreshed = refreshed
	switch s.timer.refresher {
	case domain.RefresherSwitch:
		s.next = refreshed.Add(s.timer.refreshAfter())
	case domain.RefresherPeer:
		s.next = refreshed.Add(s.timer.expireAfter())
	default:
		s.next = time.Time{}
	}
}

// other is the far side of s.
func (c *call) other(s *side) *side {
	if s == c.sides[0] {
		return c.sides[1]
	}
	return c.sides[0]
}

// sideOf is the side an in-dialog request came from.
func (c *call) sideOf(ev callEvent) *side {
	if ev.fromA {
		return c.sides[0]
	}
	return c.sides[1]
}

// deadline names what the talk loop's one timer waits for.
type deadline int

const (
	dlNone   deadline = iota
	dlMax             // max_call_duration
	dlCredit          // the account's credit or cap runs out
	dlRenew           // ask for the next credit slice
	dlSideA           // sides[0]'s session timer
	dlSideB           // sides[1]'s session timer
	dlMedia           // no RTP from either side for media.timeout
	dlStats           // record the media quality snapshot
)

// nextDeadline is the earliest thing the call waits for.
func (c *call) nextDeadline(answer time.Time) (time.Time, deadline) {
	at, what := answer.Add(c.b.cfg.MaxDuration), dlMax
	consider := func(t time.Time, d deadline) {
		if !t.IsZero() && t.Before(at) {
			at, what = t, d
		}
	}
	if a := c.acct; a != nil {
		if lim, ok := a.talkLimit(); ok {
			consider(answer.Add(lim), dlCredit)
		}
		consider(a.renewAt(answer), dlRenew)
	}
	for i, s := range c.sides {
		if !s.refreshing {
			consider(s.next, dlSideA+deadline(i))
		}
	}
	if m := c.media; m != nil && !m.closed {
		dead, _ := c.mediaDeadline(answer)
		consider(dead, dlMedia)
		consider(m.statsAt, dlStats)
	}
	return at, what
}

// talk holds an answered call until either side hangs up, a limit is
// reached, a session timer finds a side dead, or the node drains. One
// timer serves every deadline; refreshes and credit renewals run on their
// own goroutines and report back as events, so a BYE is never stuck
// behind a peer that does not answer.
func (c *call) talk(ctx context.Context, timer *time.Timer) {
	b := c.b
	answer := c.agg.AnsweredAt()
	defer timer.Stop()
	var dtmf chan media.DTMF
	if m := c.media; m != nil {
		dtmf = m.dtmf
		if iv := b.cfg.Media.StatsInterval; iv > 0 {
			m.statsAt = answer.Add(iv)
		}
	}
	for {
		at, what := c.nextDeadline(answer)
		timer.Reset(max(0, at.Sub(b.rec.Now())))
		select {
		case ev := <-c.events:
			if c.handle(ctx, ev) {
				return
			}
		case <-timer.C:
			if c.expired(ctx, what) {
				return
			}
		case d := <-dtmf:
			// A digit went by (RFC 4733): the relay reported it; the
			// call's log gets it, with the others queued.
			c.recordDTMF(d)
			c.drainDTMF()
			c.record(ctx)
		case <-b.drain:
			c.hangup(ctx, true, true, nil, domain.BySwitch, time.Time{})
			return
		}
	}
}

// handle serves one event of an answered call and reports whether the call
// ended.
func (c *call) handle(ctx context.Context, ev callEvent) bool {
	switch ev.kind {
	case evBye:
		return c.byeReceived(ctx, ev)
	case evReinvite, evUpdate:
		if !c.sideOf(ev).matches(ev) {
			c.b.reply(ev.tx, ev.req, 481, "Call/Transaction Does Not Exist")
			return false
		}
		return c.inDialogRequest(ctx, ev)
	case evRefreshDone:
		return c.refreshDone(ctx, ev)
	case evGranted:
		c.granted(ev.grant)
	case evLegDone:
		if ev.leg.done {
			c.lateLeg(ctx, ev)
			return false
		}
		c.legDone(ctx, ev, true)
		c.record(ctx)
	}
	return false
}

// media is the relay leg facing this side.
func (s *side) media() media.Leg {
	if s.fromA {
		return media.A
	}
	return media.B
}

// matches tells whether an in-dialog request is for this side's dialog;
// B2BUA.lookup found it by dialog id, so only a stale event can fail.
func (s *side) matches(ev callEvent) bool { return s != nil && ev.fromA == s.fromA }

// expired acts on a deadline and reports whether the call ended.
func (c *call) expired(ctx context.Context, what deadline) bool {
	// A limit ends the call at its instant, whatever the BYEs take: the
	// credit bought that long and no longer.
	now := c.b.rec.Now()
	switch what {
	case dlMax:
		c.hangup(ctx, true, true, domain.Classify(domain.ErrMaxDuration), domain.BySwitch, now)
		return true
	case dlCredit:
		c.hangup(ctx, true, true, domain.Classify(c.acct.limitCause()), domain.BySwitch, now)
		return true
	case dlRenew:
		c.renew(ctx)
	case dlSideA, dlSideB:
		s := c.sides[what-dlSideA]
		if s.timer.refresher == domain.RefresherPeer {
			// The peer was to refresh and did not (RFC 4028 §10): the
			// session is over, billed to its last proof of life.
			c.b.m.sessionExpiries.Add(1)
			c.hangup(ctx, true, true, domain.Classify(domain.ErrSessionExpired), domain.BySwitch, s.alive)
			return true
		}
		c.refresh(ctx, s)
	case dlMedia:
		dead, last := c.mediaDeadline(c.agg.AnsweredAt())
		if dead.After(now) {
			return false // a packet came since the deadline was set
		}
		// No RTP either way (rtpengine's timeout): the call is over,
		// billed to its last packet.
		c.b.m.mediaTimeouts.Add(1)
		c.b.log.Info("call: no media, hanging up", "call", c.id, "last", last)
		c.hangup(ctx, true, true, domain.Classify(domain.ErrMediaTimeout), domain.BySwitch, last)
		return true
	case dlStats:
		c.mediaStats(false, c.media.s.Stats())
		c.media.statsAt = now.Add(c.b.cfg.Media.StatsInterval)
		c.record(ctx)
	}
	return false
}

// byeReceived answers a BYE and releases the other side.
func (c *call) byeReceived(ctx context.Context, ev callEvent) bool {
	s := c.sideOf(ev)
	if !s.matches(ev) {
		c.b.reply(ev.tx, ev.req, 481, "Call/Transaction Does Not Exist")
		return false
	}
	started := c.b.rec.Now()
	c.b.m.response(200)
	_ = ev.tx.Respond(sip.NewResponseFromRequest(ev.req, 200, "OK", nil))
	by := domain.ByCallee
	if ev.fromA {
		by = domain.ByCaller
	}
	c.tx(s.leg, domain.DirIn, ev.req, 200, "OK", started)
	_ = c.agg.EndLeg(s.leg, 200, "Normal Clearing", by, started)
	c.hangup(ctx, !ev.fromA, ev.fromA, nil, by, time.Time{})
	return true
}

// hangup sends BYE to the sides still up, then ends the call; until, when
// set, is the call's last proof of life, which the CDR bills to.
func (c *call) hangup(ctx context.Context, byeA, byeB bool, f *domain.CallFailure, by string, until time.Time) {
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
	for i, send := range []bool{byeA, byeB} {
		s := c.sides[i]
		if !send || s == nil {
			continue
		}
		n++
		go func() {
			at := c.b.rec.Now()
			bye := sip.NewRequest(sip.BYE, *s.target)
			bye.SetTransport(s.transport)
			res, err := s.dlg.Do(bctx, bye)
			results <- result{s.leg, bye, codeOf(res, err), at}
		}()
	}
	for range n {
		r := <-results
		c.tx(r.leg, domain.DirOut, r.req, r.code, "", r.at)
	}
	c.end(f, by, c.b.rec.Now(), until)
	c.record(ctx)
	c.b.m.callsEnded.Add(1)
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

// sessionHeader is the Session-Expires of an answer to a refresh the peer
// sent (RFC 4028 §9): the peer, as this request's UAC, is "uac".
func (s *side) sessionHeader() []sip.Header {
	if s.timer.refresher == "" {
		return nil
	}
	r := "uas"
	if s.timer.refresher == domain.RefresherPeer {
		r = "uac"
	}
	return []sip.Header{sip.NewHeader(hdrSessionExpires, strconv.Itoa(int(s.timer.interval/time.Second))+";refresher="+r)}
}

// inDialogRequest serves a re-INVITE or UPDATE from one side and reports
// whether the call ended. An UPDATE without a body is a session refresh
// and is answered here; anything with SDP is relayed to the other side
// and its answer passed back. The switch ACKs the far side itself and
// absorbs the sender's ACK, as B2BUAs do. A far side that does not answer
// the relay (timeout, 408, 481) has failed a refresh (RFC 4028 §10).
func (c *call) inDialogRequest(ctx context.Context, ev callEvent) bool {
	from := c.sideOf(ev)
	now := c.b.rec.Now()
	from.alive = now
	if ev.kind == evUpdate && len(ev.req.Body()) == 0 {
		res := sip.NewResponseFromRequest(ev.req, 200, "OK", nil)
		for _, h := range from.sessionHeader() {
			res.AppendHeader(h)
		}
		res.AppendHeader(sip.HeaderClone(&c.b.ua.ContactHDR))
		c.b.m.response(200)
		_ = ev.tx.Respond(res)
		from.schedule(now)
		c.tx(from.leg, domain.DirIn, ev.req, 200, "OK", now)
		c.record(ctx)
		return false
	}
	to := c.other(from)
	method := sip.INVITE
	if ev.kind == evUpdate {
		method = sip.UPDATE
	}
	// A new offer (hold, resume, a moved endpoint) re-points the relay
	// and goes on with the switch's ports; one it cannot anchor is
	// refused here and the session stays as it was (RFC 3261 §14.2).
	offer, err := c.relaySDP(from.media(), ev.req.Body())
	if err != nil {
		code, reason := sdpRefusal(err)
		r := sip.NewResponseFromRequest(ev.req, code, reason, nil)
		r.AppendHeader(warning(c.b.cfg.Realm, err))
		c.b.m.response(code)
		_ = ev.tx.Respond(r)
		c.tx(from.leg, domain.DirIn, ev.req, code, reason, now)
		c.record(ctx)
		return false
	}
	rctx, cancel := context.WithTimeout(ctx, 32*time.Second)
	defer cancel()
	out := sip.NewRequest(method, *to.target)
	out.SetTransport(to.transport)
	copyBody(ev.req, out)
	out.SetBody(offer)
	for _, h := range offerHeaders(to.timer.interval, c.b.cfg.SessionTimer) {
		out.AppendHeader(h)
	}
	res, err := to.dlg.Do(rctx, out)
	code, reason := 500, "Server Internal Error"
	var body []byte
	var hdrs []sip.Header
	if err == nil && res != nil {
		code, reason, body = res.StatusCode, res.Reason, res.Body()
		if ct := res.ContentType(); ct != nil {
			hdrs = append(hdrs, sip.HeaderClone(ct))
		}
		if code >= 200 && code < 300 {
			var sdpErr error
			if body, sdpErr = c.relaySDP(to.media(), body); sdpErr != nil {
				// The far side accepted with SDP the switch cannot use.
				c.b.log.Warn("call: re-INVITE answer refused", "call", c.id, "error", sdpErr)
				code, reason = sdpRefusal(sdpErr)
				body, hdrs = nil, nil
			}
		}
	}
	lost := err != nil || code == 408 || code == 481
	if !lost {
		to.alive = c.b.rec.Now()
	}
	if code >= 200 && code < 300 {
		if method == sip.INVITE {
			ack := sip.NewRequest(sip.ACK, out.Recipient)
			ack.AppendHeader(&sip.CSeqHeader{SeqNo: out.CSeq().SeqNo, MethodName: sip.ACK})
			ack.SetTransport(out.Transport())
			_ = to.dlg.WriteRequest(ack)
			if len(out.Body()) > 0 {
				to.sdp = out.Body() // the newest offer, for the next refresh
			}
			if len(body) > 0 {
				from.sdp = body
			}
		}
		// A successful re-INVITE or UPDATE refreshes both sessions.
		from.schedule(c.b.rec.Now())
		to.schedule(c.b.rec.Now())
		hdrs = append(hdrs, from.sessionHeader()...)
	}
	r := sip.NewResponseFromRequest(ev.req, code, reason, body)
	for _, h := range hdrs {
		r.AppendHeader(h)
	}
	r.AppendHeader(sip.HeaderClone(&c.b.ua.ContactHDR))
	c.b.m.response(code)
	_ = ev.tx.Respond(r)
	c.tx(to.leg, domain.DirOut, out, code, reason, now, res)
	c.tx(from.leg, domain.DirIn, ev.req, code, reason, now)
	c.record(ctx)
	if lost {
		c.b.m.sessionExpiries.Add(1)
		c.hangup(ctx, true, true, domain.Classify(domain.ErrSessionExpired), domain.BySwitch, to.alive)
		return true
	}
	return false
}

func copyBody(from, to *sip.Request) {
	if ct := from.ContentType(); ct != nil {
		to.AppendHeader(sip.HeaderClone(ct))
	}
	to.SetBody(from.Body())
}
