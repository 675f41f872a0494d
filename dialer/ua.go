package dialer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// ua is the dialer's SIP user agent: one UDP socket its INVITEs leave from
// and everything of its dialogs comes back to (the switch reaches a
// subscriber's dialog where its INVITE came from, RFC 3581). It places
// calls as a subscriber of the switch, with that subscriber's digest
// credentials, so every leg is authenticated, routed and billed as any
// other call of the switch's.
type ua struct {
	sua    *sipgo.UserAgent
	srv    *sipgo.Server
	dlg    *sipgo.DialogUA
	pc     *switchOnly
	target sip.Uri // where requests go: the switch's SIP address
	user   string
	pass   string
	realm  string
	log    *slog.Logger

	mu    sync.Mutex
	legs  map[string]*leg // by RFC 3261 §12 dialog id, once answered
	ended chan struct{}
}

// newUA binds bind:port (0: any free port) and starts serving it, to the
// switch at switchAddr (ip:port) alone; also is where else the switch
// sends from (its own requests' socket).
func newUA(bind string, port int, switchAddr string, also []netip.AddrPort, user, pass, realm string, log *slog.Logger) (*ua, error) {
	sw, err := netip.ParseAddrPort(switchAddr)
	if err != nil {
		return nil, fmt.Errorf("dialer: switch address %q: %w", switchAddr, err)
	}
	sw = netip.AddrPortFrom(sw.Addr().Unmap(), sw.Port())
	conn, err := net.ListenPacket("udp", net.JoinHostPort(bind, strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("dialer: sip socket on %s: %w", bind, err)
	}
	pc := &switchOnly{PacketConn: conn, from: append([]netip.AddrPort{sw}, also...)}
	la := conn.LocalAddr().(*net.UDPAddr)
	log.Info("dialer: SIP socket", "addr", la.String(), "accepts_from", pc.from)
	sua, err := sipgo.NewUA(sipgo.WithUserAgent("softswitch-dialer"), sipgo.WithUserAgentHostname(bind))
	if err != nil {
		pc.Close()
		return nil, err
	}
	srv, err := sipgo.NewServer(sua, sipgo.WithServerLogger(log))
	if err != nil {
		pc.Close()
		return nil, err
	}
	cli, err := sipgo.NewClient(sua, sipgo.WithClientLogger(log), sipgo.WithClientHostname(bind), sipgo.WithClientPort(la.Port),
		sipgo.WithClientConnectionAddr(la.String()))
	if err != nil {
		pc.Close()
		return nil, err
	}
	u := &ua{sua: sua, srv: srv, pc: pc, user: user, pass: pass, realm: realm, log: log,
		target: sip.Uri{Scheme: "sip", Host: sw.Addr().String(), Port: int(sw.Port())}, legs: map[string]*leg{}, ended: make(chan struct{})}
	u.dlg = &sipgo.DialogUA{Client: cli, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: bind, Port: la.Port}}}
	srv.OnBye(u.onBye)
	srv.OnInvite(u.onReinvite)
	srv.OnUpdate(u.onUpdate)
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	go func() {
		defer close(u.ended)
		if err := srv.ServeUDP(pc); err != nil && !errors.Is(err, net.ErrClosed) {
			log.Warn("dialer: sip socket", "error", err)
		}
	}()
	return u, nil
}

// close stops serving; dialogs still up are the caller's to end first.
func (u *ua) close() {
	u.pc.Close()
	<-u.ended
	u.sua.Close()
}

// userAgent is what the dialer's flows need of its SIP user agent: place
// a call and wait for its answer, hang one up. ua is the real one; the
// flows' unit tests use a fake.
type userAgent interface {
	invite(ctx context.Context, name, user, display, identity string, offer []byte, onEarly func(sdp []byte)) (*leg, error)
	hangup(ctx context.Context, l *leg)
	close()
}

var _ userAgent = (*ua)(nil)

// leg is one call the dialer placed.
type leg struct {
	name   string // "agent" or "number", for logs and events
	callID string // its SIP Call-ID: the link to the switch's CDR of it
	sess   *sipgo.DialogClientSession
	answer []byte // the 2xx's SDP
	// bye is closed when the far end sent BYE.
	bye     chan struct{}
	byeOnce sync.Once
	// offer is the SDP sent, for a re-INVITE's answer.
	offer []byte
}

// legFailure is a leg that got a final non-2xx answer, or none.
type legFailure struct {
	code   int
	reason string
	err    error
	// callID is the Call-ID the INVITE went out with, "" when it never
	// did: a failed attempt has a CDR too, found by it.
	callID string
}

func (e *legFailure) Error() string {
	if e.code != 0 {
		return fmt.Sprintf("%d %s", e.code, e.reason)
	}
	return e.err.Error()
}

// invite places a call to user@switch with offer, waits for its answer
// (digest answered with the dialer's credentials; RFC 3261 §22.2) and
// ACKs it. onEarly, if set, gets the SDP of each provisional answer that
// carries one (early media, RFC 3960), on sipgo's goroutine. identity,
// if set, is the caller ID (E.164, '+' optional) asked to be presented.
func (u *ua) invite(ctx context.Context, name, user, display, identity string, offer []byte, onEarly func(sdp []byte)) (*leg, error) {
	to := u.target
	to.User = user
	// The From is the dialer's own account, which the switch authenticates
	// and bills; the display name tells the agent who the call is for.
	from := &sip.FromHeader{DisplayName: display, Address: sip.Uri{Scheme: "sip", User: u.user, Host: u.realm},
		Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	hdrs := []sip.Header{from, sip.NewHeader("Content-Type", "application/sdp")}
	if identity != "" {
		// The caller ID to present (RFC 3325 §9.2): the switch asserts it
		// only when the account's identities list it.
		hdrs = append(hdrs, sip.NewHeader("P-Preferred-Identity", "<sip:+"+strings.TrimPrefix(identity, "+")+"@"+u.realm+">"))
	}
	sess, err := u.dlg.Invite(ctx, to, offer, hdrs...)
	if err != nil {
		return nil, &legFailure{err: err}
	}
	l := &leg{name: name, sess: sess, bye: make(chan struct{}), offer: offer}
	err = sess.WaitAnswer(ctx, sipgo.AnswerOptions{Username: u.user, Password: u.pass,
		OnResponse: func(res *sip.Response) error {
			if res.StatusCode > 100 && res.StatusCode < 200 && onEarly != nil && len(res.Body()) > 0 {
				onEarly(res.Body())
			}
			return nil
		}})
	callID := sess.InviteRequest.CallID().Value()
	if err != nil {
		sess.Close()
		var de *sipgo.ErrDialogResponse
		if errors.As(err, &de) && de.Res != nil {
			return nil, &legFailure{code: de.Res.StatusCode, reason: de.Res.Reason, err: err, callID: callID}
		}
		return nil, &legFailure{err: err, callID: callID}
	}
	if err := sess.Ack(ctx); err != nil {
		_ = sess.Bye(context.WithoutCancel(ctx))
		sess.Close()
		return nil, &legFailure{err: fmt.Errorf("ack: %w", err), callID: callID}
	}
	l.answer = sess.InviteResponse.Body()
	l.callID = callID
	u.mu.Lock()
	u.legs[sess.ID] = l
	u.mu.Unlock()
	return l, nil
}

// hangup sends BYE on l unless its far end already did, and forgets it.
func (u *ua) hangup(ctx context.Context, l *leg) {
	if l == nil {
		return
	}
	u.mu.Lock()
	delete(u.legs, l.sess.ID)
	u.mu.Unlock()
	select {
	case <-l.bye:
	default:
		if err := l.sess.Bye(ctx); err != nil {
			u.log.Info("dialer: BYE failed", "leg", l.name, "error", err)
		}
	}
	l.sess.Close()
}

// find returns the leg an in-dialog request belongs to. The dialer is
// the UAC of its dialogs, so the id is made as sipgo made the session's
// from the 2xx (Call-ID, the peer's tag, the dialer's).
func (u *ua) find(req *sip.Request) *leg {
	id, err := sip.DialogIDFromRequestUAC(req)
	if err != nil {
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.legs[id]
}

func (u *ua) onBye(req *sip.Request, tx sip.ServerTransaction) {
	l := u.find(req)
	if l == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	_ = l.sess.ReadBye(req, tx)
	l.byeOnce.Do(func() { close(l.bye) })
}

// onReinvite answers a session refresh (RFC 4028 §9) or any re-INVITE of
// a dialog with the SDP already agreed: the dialer changes nothing mid-call.
func (u *ua) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	l := u.find(req)
	if l == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		return
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", l.offer)
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	res.AppendHeader(&u.dlg.ContactHDR)
	_ = tx.Respond(res)
}

func (u *ua) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	code, reason := 200, "OK"
	if u.find(req) == nil {
		code, reason = 481, "Call/Transaction Does Not Exist"
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
}
