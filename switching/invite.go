package switching

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
	"softswitch/media"
)

// maxForks caps the B-legs of one call, whatever the callee registered.
const maxForks = 8

func (b *B2BUA) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	b.m.request("INVITE")
	if !b.guard.Admit(req, tx) {
		return
	}
	if to := req.To(); to != nil && to.Params.Has("tag") {
		b.inDialog(req, tx, evReinvite)
		return
	}
	if b.guard.RefuseNewWork(req, tx) || b.cfg.Overload.Shed(req, tx, b.m) {
		return
	}
	if req.CallID() == nil || req.From() == nil || req.To() == nil || req.CSeq() == nil {
		b.reply(tx, req, 400, "Bad Request")
		return
	}
	select {
	case <-b.drain:
		b.reply(tx, req, 503, "Service Unavailable")
		return
	default:
	}
	ctx := context.Background()
	started := b.rec.Now()
	// A carrier's gateway is known by its source address and transport
	// (the trunk's ACL), and its digest when the trunk asks for one; it
	// may only reach DIDs, or route out when it is a transit trunk, billed
	// to the trunk's account. Everyone else is a subscriber.
	inbound, user, callee := b.inboundTrunk(req), "", req.Recipient.User
	calling := req.From().Address.User
	transit := false
	if inbound != "" {
		if !b.trunkAuthenticated(ctx, inbound, req, tx) {
			b.m.callsRejected.Add(1)
			return
		}
		user = calling
		if did, ok := b.didUser(callee); ok {
			callee = did
		} else if transit = b.transitAllowed(inbound); !transit {
			b.m.callsRejected.Add(1)
			b.reply(tx, req, 404, "Not Found")
			return
		} else {
			user = b.transitAccount(inbound)
		}
		b.m.inboundCalls.Add(1)
	} else {
		// RFC 3261 §22.3: a B2BUA acting for its subscribers challenges
		// with 407, as a proxy would. No unauthenticated INVITE goes
		// further, least of all to a carrier's trunk.
		var ok bool
		user, ok = b.guard.Authenticate(ctx, req, tx, "Proxy-Authorization", 407)
		if !ok {
			b.m.callsRejected.Add(1)
			return
		}
		if _, sub := b.subs.Lookup(user); !sub || req.From().Address.User != user {
			// A trunk's inbound credentials are good from its ACL only.
			b.m.callsRejected.Add(1)
			b.reply(tx, req, 403, "Forbidden")
			return
		}
		calling = b.presented(user, req)
	}
	if mf := req.MaxForwards(); mf != nil && mf.Val() <= 1 {
		b.reply(tx, req, 483, "Too Many Hops")
		return
	}
	var offer *media.Description
	if b.cfg.Media.On() {
		// The offer is checked before a call or a port exists for it.
		var err error
		if offer, err = parseOffer(req.Body()); err != nil {
			b.refuseSDP(req, tx, err)
			return
		}
	}
	aTimer, err := negotiateCaller(req, b.cfg.SessionTimer)
	if err != nil {
		// Before any call exists: the caller retries with a larger
		// Session-Expires (RFC 4028 §7.4), which is the call.
		b.refuseTimer(req, tx, err)
		return
	}
	callID := req.CallID().Value()
	fromTag, _ := req.From().Params.Get("tag")
	c := &call{b: b, id: b.ids.Next(), aCallID: callID, callerKey: callerKey{callID, fromTag}, aSource: req.Source(), aTx: tx, aTimer: aTimer,
		started: started, cancelled: make(chan struct{}), inbound: inbound, transit: transit, offer: offer}
	if !b.claim(c) {
		// The same request again with a new branch, merged on its way
		// here (RFC 3261 §8.2.2.2); another From tag is another call.
		b.reply(tx, req, 482, "Loop Detected")
		return
	}
	defer b.forget(c)
	a, err := b.ua.ReadInvite(req, tx)
	if err != nil {
		b.reply(tx, req, 400, "Bad Request")
		return
	}
	c.a, c.aDialogID = a, a.ID
	c.acker.Store(a)
	c.calling = calling
	cs := domain.CallStarted{CallID: c.id, SIPCallID: callID, Caller: user, Callee: callee, Source: req.Source()}
	if calling != user {
		cs.CallingNumber = calling
	}
	agg, err := domain.NewCall(cs, started)
	if err != nil {
		b.reply(tx, req, 404, "Not Found")
		return
	}
	c.agg = agg
	// Whatever way the call ends, its ports go back to the pool.
	defer c.closeMedia()
	_ = agg.StartLeg(domain.SideA, domain.SideA, callID, req.Source(), "", started)
	if ch, ok := b.guard.TakeChallenge(c.callerKey.String()); ok {
		// The challenge round the caller went through before this
		// INVITE: part of the call's ladder.
		ch.Leg = domain.SideA
		agg.Transaction(ch, started)
	}
	// The caller's CANCEL (RFC 3261 §9.2): sipgo answers 200 and 487 in the
	// transaction layer; the call learns of it here.
	var once sync.Once
	tx.OnCancel(func(*sip.Request) { once.Do(func() { close(c.cancelled) }) })
	b.wg.Add(1)
	defer b.wg.Done()
	b.indexDialog(a.ID, dialogRef{c: c, fromA: true})
	b.m.callsStarted.Add(1)
	c.setup(ctx)
}

// refuseSDP answers an INVITE whose SDP the switch cannot anchor: 400 or
// 488 with a Warning that says why (RFC 3261 §20.43, code 399), counted.
func (b *B2BUA) refuseSDP(req *sip.Request, tx sip.ServerTransaction, err error) {
	code, reason := sdpRefusal(err)
	b.m.sdpRefused.Add(1)
	b.m.callsRejected.Add(1)
	b.m.response(code)
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	res.AppendHeader(warning(b.cfg.Realm, err))
	_ = tx.Respond(res)
}

// warning is a Warning header (RFC 3261 §20.43) with the text of err.
func warning(agent string, err error) sip.Header {
	text := strings.NewReplacer(`"`, "'", "\r", " ", "\n", " ").Replace(err.Error())
	if len(text) > 200 {
		text = text[:200]
	}
	return sip.NewHeader("Warning", `399 `+agent+` "`+text+`"`)
}

// refuseTimer answers an INVITE whose session timer cannot be served: 422
// with the switch's Min-SE (RFC 4028 §6), or 400 for a header that does
// not parse, counted as malformed.
func (b *B2BUA) refuseTimer(req *sip.Request, tx sip.ServerTransaction, err error) {
	var te *callerTimerError
	if !errors.As(err, &te) {
		b.reply(tx, req, 500, "Server Internal Error")
		return
	}
	b.m.callsRejected.Add(1)
	res := sip.NewResponseFromRequest(req, te.code, te.reason, nil)
	if te.code == 422 {
		res.AppendHeader(sip.NewHeader(hdrMinSE, strconv.Itoa(te.minSE)))
	} else {
		b.m.Malformed()
	}
	b.m.response(te.code)
	_ = tx.Respond(res)
}

func (b *B2BUA) reply(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	b.m.response(code)
	_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
}

// setup routes the call from projected state and forks to every binding.
func (c *call) setup(ctx context.Context) {
	b := c.b
	callee := c.agg.Callee()
	if _, known := b.subs.Lookup(callee); !known {
		if b.x == nil || (c.inbound != "" && !c.transit) {
			c.fail(ctx, domain.Classify(domain.ErrUnknownCallee), domain.BySwitch)
			return
		}
		c.setupOutbound(ctx)
		return
	}
	if f := c.seat(ctx); f != nil {
		c.fail(ctx, f, domain.BySwitch)
		return
	}
	now := b.rec.Now()
	binds := b.loc.Lookup(callee, now)
	if len(binds) == 0 {
		c.fail(ctx, domain.Classify(domain.ErrCalleeOffline), domain.BySwitch)
		return
	}
	if len(binds) > maxForks {
		binds = binds[:maxForks]
	}
	targets := make([]sip.Uri, 0, len(binds))
	for _, bnd := range binds {
		var uri sip.Uri
		if err := sip.ParseUri(bnd.Contact, &uri); err != nil {
			continue
		}
		// The binding is reached where its REGISTER came from, never at a
		// trunk's address (RegistrationEdge).
		dest, ok := b.cfg.Edge.reachAt(callee, bnd.Contact, bnd.Source)
		if !ok {
			b.m.bindingsRefused.Add(1)
			b.log.Warn("call: binding not reached: forbidden address", "call", c.id, "aor", callee, "contact", bnd.Contact, "source", bnd.Source)
			continue
		}
		leg := &bLeg{id: newLegID(len(c.legs)), sipCallID: sip.GenerateTagN(24) + "@b2bua", target: bnd.Contact, started: now,
			dest: dest, transport: bnd.Transport}
		_ = c.agg.StartLeg(leg.id, domain.SideB, leg.sipCallID, dest, bnd.Contact, now)
		c.legs = append(c.legs, leg)
		targets = append(targets, uri)
	}
	if len(c.legs) == 0 {
		c.fail(ctx, domain.Classify(domain.ErrCalleeOffline), domain.BySwitch)
		return
	}
	if f := c.openMedia(ctx, c.callerParty(), callee); f != nil {
		c.fail(ctx, f, domain.BySwitch)
		return
	}
	// Each leg sends at most a few events before the call reads them; a
	// small buffer keeps per-call memory low, and send() bounds any wait.
	c.events = make(chan callEvent, len(c.legs)+2)
	// The call and its legs are durable before any INVITE leaves; a call
	// the log cannot hold is refused rather than routed unrecorded.
	if err := c.record(ctx); err != nil {
		c.b.m.response(500)
		_ = c.aTx.Respond(sip.NewResponseFromRequest(c.a.InviteRequest, 500, "Server Internal Error", nil))
		return
	}
	for i, leg := range c.legs {
		c.fork(leg, targets[i])
	}
	c.run(ctx)
}

// setupOutbound sends a call to a number out through the trunks, one
// attempt at a time (failover is sequential, unlike forking).
func (c *call) setupOutbound(ctx context.Context) {
	c.events = make(chan callEvent, 4)
	if f := c.outbound(ctx); f != nil {
		c.fail(ctx, f, domain.BySwitch)
		return
	}
	if !c.startLast(ctx) {
		return
	}
	c.run(ctx)
}

// startLast records the newest leg and sends its INVITE. A call the log
// cannot hold is refused rather than routed unrecorded.
func (c *call) startLast(ctx context.Context) bool {
	if err := c.record(ctx); err != nil {
		c.b.m.response(500)
		_ = c.aTx.Respond(sip.NewResponseFromRequest(c.a.InviteRequest, 500, "Server Internal Error", nil))
		return false
	}
	leg := c.legs[len(c.legs)-1]
	if t := leg.trunk; t != nil {
		route := ""
		if rs := c.agg.Routes(); len(rs) > 0 {
			route = "route:" + rs[len(rs)-1].Prefix
		}
		if len(c.legs) == 1 {
			// The first attempt decides whether the call is anchored.
			if f := c.openMedia(ctx, c.callerParty(), "trunk:"+t.trunk, route); f != nil {
				c.fail(ctx, f, domain.BySwitch)
				return false
			}
		}
		leg.direct = c.b.cfg.Media.direct("trunk:"+t.trunk, route)
	}
	var uri sip.Uri
	if err := sip.ParseUri(leg.target, &uri); err != nil {
		c.send(callEvent{kind: evLegDone, leg: leg, err: err})
		return true
	}
	c.fork(leg, uri)
	return true
}

// fork sends the INVITE of one B-leg and waits for its answer in its own
// goroutine, reporting to the call's goroutine.
func (c *call) fork(leg *bLeg, target sip.Uri) {
	b := c.b
	req := sip.NewRequest(sip.INVITE, target)
	from := c.a.InviteRequest.From()
	fromParams := sip.NewParams()
	leg.fromTag = sip.GenerateTagN(16)
	fromParams.Add("tag", leg.fromTag)
	fromUser, toUser, toHost := c.calling, c.agg.Callee(), b.cfg.Realm
	var opts sipgo.AnswerOptions
	if t := leg.trunk; t != nil {
		// The carrier sees its own number format and the presented
		// caller id, and its own domain in To (RFC 3261 §8.1.1.2).
		fromUser, toUser, toHost = t.fromUser, t.user, target.Host
		opts.Username, opts.Password = t.authUser, t.authPass
	}
	req.AppendHeader(&sip.FromHeader{
		DisplayName: from.DisplayName,
		Address:     sip.Uri{Scheme: "sip", User: fromUser, Host: b.cfg.Realm},
		Params:      fromParams,
	})
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: toUser, Host: toHost}, Params: sip.NewParams()})
	if t := leg.trunk; t != nil && t.pai != "" {
		req.AppendHeader(sip.NewHeader("P-Asserted-Identity", "<sip:"+t.pai+"@"+b.cfg.Realm+">"))
	}
	cid := sip.CallIDHeader(leg.sipCallID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	mf := sip.MaxForwardsHeader(70)
	if amf := c.a.InviteRequest.MaxForwards(); amf != nil {
		mf = sip.MaxForwardsHeader(amf.Val() - 1)
	}
	req.AppendHeader(&mf)
	if ct := c.a.InviteRequest.ContentType(); ct != nil {
		req.AppendHeader(sip.HeaderClone(ct))
	}
	// The switch refreshes every leg it can (RFC 4028 §7.1), and says
	// what it answers in-dialog, UPDATE included (RFC 3311).
	leg.timer = b.cfg.SessionTimer.Expires
	for _, h := range offerHeaders(leg.timer, b.cfg.SessionTimer) {
		req.AppendHeader(h)
	}
	req.AppendHeader(sip.NewHeader(hdrAllow, allowed))
	body, err := c.offerFor(leg)
	if err != nil {
		c.send(callEvent{kind: evLegDone, leg: leg, err: err})
		return
	}
	req.SetBody(body)
	if leg.transport != "" {
		req.SetTransport(strings.ToUpper(leg.transport))
	}
	if leg.dest != "" {
		req.SetDestination(leg.dest)
	}
	legCtx, cancel := context.WithCancel(context.Background())
	leg.cancel = cancel
	sess, err := b.ua.WriteInvite(legCtx, req)
	if err != nil {
		c.send(callEvent{kind: evLegDone, leg: leg, err: err})
		return
	}
	leg.sess = sess
	if leg.trunk != nil {
		// No response at all within the attempt timeout: give up on this
		// trunk (counted as a timeout, which fails over).
		// The call learns of the timeout at once: sipgo's WaitAnswer, once
		// cancelled, waits for the silent gateway's CANCEL transaction to
		// time out (Timer F, 32 s) before it returns.
		stop := time.AfterFunc(b.cfg.TrunkAttemptTimeout, func() {
			if !leg.responded.Load() {
				leg.timedOut.Store(true)
				c.send(callEvent{kind: evLegDone, leg: leg, err: errAttemptTimeout})
				cancel()
			}
		})
		context.AfterFunc(legCtx, func() { stop.Stop() })
	}
	opts.OnResponse = func(r *sip.Response) error {
		if !leg.responded.Load() {
			leg.responded.Store(true)
		}
		if r.IsProvisional() && r.StatusCode > 100 {
			c.send(callEvent{kind: evProvisional, leg: leg, res: r})
		}
		return nil
	}
	go func() {
		err := sess.WaitAnswer(legCtx, opts)
		c.send(callEvent{kind: evLegDone, leg: leg, sess: sess, res: sess.InviteResponse, err: err})
	}()
}

// run drives the call from fork to hang-up.
func (c *call) run(ctx context.Context) {
	b := c.b
	ring := time.NewTimer(b.cfg.RingTimeout)
	defer ring.Stop()
	aDone := c.cancelled
	pending := len(c.legs)
	var decided *domain.CallFailure // set when the switch or caller gave up
	by := domain.ByCallee
	var best *sip.Response
	cancelAll := func() {
		for _, l := range c.legs {
			if l.cancel != nil {
				l.cancel()
			}
		}
	}
	for pending > 0 && c.winner == nil {
		select {
		case ev := <-c.events:
			switch ev.kind {
			case evProvisional:
				if decided == nil && !ev.leg.done {
					c.progress(ctx, ev.leg, ev.res)
				}
			case evLegDone:
				if ev.leg.done {
					// The late end of an attempt already given up on.
					c.lateLeg(ctx, ev)
					continue
				}
				pending--
				c.legDone(ctx, ev, decided != nil)
				if ev.err == nil && c.winner == nil && decided == nil {
					c.winner = ev.leg
					cancelAll()
				} else if ev.res != nil && ev.res.StatusCode >= 300 && better(ev.res, best) {
					best = ev.res
				}
				if ev.err != nil && ev.leg.trunk != nil && ev.res == nil {
					// No answer from the carrier (timeout, unreachable, no
					// common codec): what the caller hears if nothing better
					// comes.
					code, reason := legCode(ev)
					if r := sip.NewResponseFromRequest(c.a.InviteRequest, code, reason, nil); better(r, best) {
						best = r
					}
				}
				if ev.err != nil && ev.leg.trunk != nil && decided == nil && c.winner == nil && failoverCode(ev) {
					if c.failover(ctx) {
						pending++
					}
				}
			case evBye, evReinvite, evUpdate:
				// Nothing is confirmed yet; early-dialog requests are not
				// served.
				b.reply(ev.tx, ev.req, 481, "Call/Transaction Does Not Exist")
			case evRefreshDone, evGranted:
				// Only an answered call sends these.
			}
		case <-ring.C:
			if decided == nil {
				decided, by = domain.Classify(domain.ErrNoAnswer), domain.BySwitch
				cancelAll()
			}
		case <-aDone:
			aDone = nil
			if decided == nil {
				decided, by = domain.Classify(domain.ErrCancelled), domain.ByCaller
				cancelAll()
			}
		case <-b.drain:
			if decided == nil {
				decided, by = domain.Classify(domain.ErrOverloaded), domain.BySwitch
				cancelAll()
			}
		}
	}
	if c.winner == nil {
		if decided == nil {
			decided = domain.ClassifyResponse(408, "Request Timeout")
			if best != nil {
				decided = domain.ClassifyResponse(best.StatusCode, best.Reason)
			}
		}
		c.fail(ctx, decided, by)
		return
	}
	// One timer per call: the ring timer serves the answered call.
	if !ring.Stop() {
		select {
		case <-ring.C:
		default:
		}
	}
	c.answered(ctx, ring)
}

// legDone records how one fork's INVITE ended. A 2xx that lost the race
// (another leg answered, or the call was already given up) is ACKed and
// then released with BYE, as RFC 3261 §13.2.2.4 requires of a UAC.
func (c *call) legDone(ctx context.Context, ev callEvent, givenUp bool) {
	leg, now := ev.leg, c.b.rec.Now()
	leg.done, leg.res = true, ev.res
	code, reason := legCode(ev)
	if ev.err == nil && c.winner == nil && !givenUp {
		return // the winner: answered() ACKs it and records its INVITE
	}
	var t domain.SIPTransaction
	if leg.sess != nil {
		t = c.txEvent(leg.id, domain.DirOut, leg.sess.InviteRequest, code, reason, leg.started, leg.sess.InviteResponse)
		t.Provisional, leg.prov = leg.prov, nil
	}
	if ev.err == nil {
		_ = leg.sess.Ack(ctx)
		t.Ack = c.b.rec.Now()
		c.agg.Transaction(t, now)
		byeCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_ = leg.sess.Bye(byeCtx)
		cancel()
		_ = c.agg.AnswerLeg(leg.id, nil, now)
		_ = c.agg.EndLeg(leg.id, 200, "Lost Fork Race", domain.BySwitch, now)
		return
	}
	if leg.sess != nil {
		// A failure's ACK is the transaction's own (RFC 3261 §17.1.1.3),
		// sent by sipgo's client transaction as the answer came.
		t.Ack = now
		c.agg.Transaction(t, now)
	}
	_ = c.agg.EndLeg(leg.id, code, reason, domain.ByCallee, now)
}

func legCode(ev callEvent) (int, string) {
	if ev.err == nil {
		return 200, "OK"
	}
	if ev.leg != nil && ev.leg.timedOut.Load() {
		return 408, "Request Timeout"
	}
	if errors.Is(ev.err, ErrNoCommonCodec) || errors.Is(ev.err, media.ErrNoCommonCodec) {
		return 488, "Not Acceptable Here"
	}
	var dr *sipgo.ErrDialogResponse
	if errors.As(ev.err, &dr) && dr.Res != nil {
		return dr.Res.StatusCode, dr.Res.Reason
	}
	if errors.Is(ev.err, context.Canceled) {
		return 487, "Request Terminated"
	}
	if errors.Is(ev.err, sip.ErrTransactionTransport) {
		return 503, "Service Unavailable"
	}
	return 408, "Request Timeout"
}

// better ranks final failures as RFC 3261 §16.7 step 6 suggests: 6xx
// first, then busy, then other 4xx, then 5xx; the 487s the switch caused
// by cancelling forks rank last.
func better(cand, cur *sip.Response) bool {
	if cur == nil {
		return true
	}
	return failRank(cand.StatusCode) < failRank(cur.StatusCode)
}

func failRank(code int) int {
	switch {
	case code >= 600:
		return 0
	case code == 486:
		return 1
	case code == 487:
		return 9
	case code == 408:
		return 5
	case code >= 400:
		return 2
	case code >= 500:
		return 3
	}
	return 4
}

// progress records and relays a provisional answer (180/183) to the caller.
func (c *call) progress(ctx context.Context, leg *bLeg, res *sip.Response) {
	now := c.b.rec.Now()
	if err := c.agg.Progress(leg.id, res.StatusCode, now); err != nil {
		return
	}
	leg.prov = append(leg.prov, domain.Provisional{Code: res.StatusCode, Reason: res.Reason, At: now})
	// Early media (a 183's SDP, RFC 3960) goes through the relay too; an
	// SDP the switch cannot use is not passed on.
	body, err := c.relaySDP(media.B, res.Body())
	if err != nil {
		c.b.log.Info("call: provisional SDP refused", "call", c.id, "leg", leg.id, "error", err)
		body = nil
	}
	c.record(ctx)
	var hdrs []sip.Header
	if ct := res.ContentType(); ct != nil && len(body) > 0 {
		hdrs = append(hdrs, sip.HeaderClone(ct))
	}
	c.b.m.response(res.StatusCode)
	if c.a.Respond(res.StatusCode, res.Reason, body, hdrs...) == nil {
		c.aProv = append(c.aProv, domain.Provisional{Code: res.StatusCode, Reason: res.Reason, At: c.b.rec.Now()})
	}
}

// fail answers the caller with the failure and ends the call.
func (c *call) fail(ctx context.Context, f *domain.CallFailure, by string) {
	now := c.b.rec.Now()
	if !errors.Is(f, domain.ErrCancelled) {
		// After a CANCEL sipgo has already answered 487 (RFC 3261 §9.2).
		// The failure goes straight to the INVITE server transaction, which
		// absorbs the ACK (§17.2.1); sipgo's dialog Respond would block this
		// goroutine until Timer H when the ACK arrives with a new branch.
		// The dialog's copy of the INVITE carries the To tag already sent
		// in provisional answers.
		c.b.m.response(f.Code)
		res := sip.NewResponseFromRequest(c.a.InviteRequest, f.Code, f.Reason, nil)
		if f.RetryAfter > 0 {
			// RFC 3261 §20.33: when the caller may try again.
			res.AppendHeader(sip.NewHeader("Retry-After", strconv.Itoa(int(f.RetryAfter/time.Second))))
		}
		_ = c.aTx.Respond(res)
	}
	t := c.txEvent(domain.SideA, domain.DirIn, c.a.InviteRequest, f.Code, f.Reason, c.started)
	t.Provisional = c.aProv
	c.agg.Transaction(t, now)
	c.end(f, by, now, time.Time{})
	c.record(ctx)
	c.b.m.callsEnded.Add(1)
}

func itoa(n int) string {
	if n == 0 {
		return "5060"
	}
	return strconv.Itoa(n)
}
