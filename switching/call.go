package switching

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
	"softswitch/interconnect/number"
	"softswitch/media"
)

// call is one B2BUA call: the caller's dialog, the forks, and the aggregate
// that records what happened. Only the call's goroutine touches agg and the
// dialogs after setup; SIP handlers reach it through events.
type call struct {
	b *B2BUA
	// id is the switch's own call id (the aggregate's); aCallID the SIP
	// Call-ID the caller sent, an attribute.
	id      string
	aCallID string
	// callerKey is the caller's Call-ID and From tag: two INVITEs without
	// a To tag that share both are one request merged on the way
	// (RFC 3261 §8.2.2.2), while another From tag is another call.
	callerKey callerKey
	// aSource is where the caller's INVITE came from; calling is the
	// caller's number as presented onwards (the From user): the account
	// itself for a subscriber, the carrier's caller for a trunk's call.
	aSource string
	calling string
	agg     *domain.Call
	// a holds the caller's dialog and its copy of the INVITE; the call
	// keeps no other reference to the request, to bound memory per call.
	a   *sipgo.DialogServerSession
	aTx sip.ServerTransaction
	// aDialogID indexes the A-leg's dialog; acker is the caller's dialog
	// for the SIP handler that takes its ACK, until the call is answered.
	aDialogID string
	acker     atomic.Pointer[sipgo.DialogServerSession]
	aTimer    legTimer // the A-leg's session timer, negotiated at the INVITE
	aProv     []domain.Provisional
	legs      []*bLeg
	winner    *bLeg
	events    chan callEvent
	started   time.Time
	// cancelled is closed when the caller CANCELs the INVITE.
	cancelled chan struct{}
	// ackAt (Unix ns) is when the caller's ACK of the 2xx came, set by the
	// SIP handler; ackFrom where from, only when not aSource.
	ackAt   atomic.Int64
	ackFrom atomic.Pointer[string]
	// number and tried are set for a call to a number through trunks;
	// inbound names the trunk a call came in from.
	number  number.Number
	tried   map[string]bool
	inbound string
	transit bool // inbound from a transit trunk: may go out through routes
	// acct is set for a call under spend control (account.go).
	acct *callAccount
	// sides are the two confirmed dialogs once answered (talk.go).
	sides [2]*side
	// media is the call's anchored media (media.go), nil when its media
	// goes end to end; offer is the caller's SDP, parsed once at the INVITE
	// (nil without a body, or with anchoring off).
	media *callMedia
	offer *media.Description
}

// callerKey is a caller's Call-ID and From tag.
type callerKey struct{ callID, fromTag string }

// String is the key as the challenge table keeps it.
func (k callerKey) String() string { return k.callID + "\x00" + k.fromTag }

// bLeg is one fork towards a registered contact, or one attempt on a trunk.
type bLeg struct {
	id        string
	sipCallID string
	fromTag   string
	target    string
	// dest is where a registered binding is reached (its REGISTER's
	// source, RegistrationEdge), "" for a trunk attempt.
	dest    string
	sess    *sipgo.DialogClientSession
	cancel  context.CancelFunc
	done    bool
	res     *sip.Response
	started time.Time
	prov    []domain.Provisional
	// timer is the session timer the switch asked for on this leg.
	timer time.Duration
	// trunk is set for an attempt through a carrier's trunk; transport is
	// the trunk's or the binding's.
	trunk     *trunkLeg
	transport string
	// direct: this leg keeps media end to end (media.direct), whatever
	// the call's other legs do.
	direct bool
	// responded is set on the first response of any kind; timedOut when
	// the attempt was given up for lack of one (failover on timeout).
	responded atomic.Bool
	timedOut  atomic.Bool
}

type eventKind int

const (
	evProvisional eventKind = iota // a B-leg's 1xx
	evLegDone                      // a B-leg's INVITE ended (2xx or failure)
	evBye                          // BYE from either side
	evReinvite                     // in-dialog INVITE from either side
	evUpdate                       // in-dialog UPDATE from either side
	evRefreshDone                  // a session refresh the switch sent got its answer
	evGranted                      // a credit renewal was decided
)

type callEvent struct {
	kind eventKind
	leg  *bLeg
	// sess is the leg's dialog (evLegDone), for a late answer's ACK/BYE.
	sess  *sipgo.DialogClientSession
	res   *sip.Response
	err   error
	req   *sip.Request
	tx    sip.ServerTransaction
	fromA bool
	// side is the dialog a refresh was sent on (evRefreshDone); sent when.
	side *side
	sent time.Time
	// grant is a renewal's decision (evGranted).
	grant grantResult
}

// send hands an event to the call's goroutine without blocking a SIP
// handler forever if the call is gone.
func (c *call) send(ev callEvent) bool {
	select {
	case c.events <- ev:
		return true
	case <-time.After(time.Second):
		return false
	}
}

// record appends the aggregate's pending events: a call's events are
// durable before the switch acts on them. Once the call has ended, its
// account is settled.
func (c *call) record(ctx context.Context) error {
	if recs := c.agg.Pending(); len(recs) > 0 {
		if err := c.b.rec.Record(ctx, recs...); err != nil {
			c.b.log.Error("call: record failed", "call", c.id, "sip_call_id", c.aCallID, "error", err)
			return err
		}
	}
	c.settle(ctx)
	return nil
}

// tx records one completed transaction of a leg.
func (c *call) tx(leg, dir string, req *sip.Request, code int, reason string, started time.Time, res ...*sip.Response) {
	c.agg.Transaction(c.txEvent(leg, dir, req, code, reason, started, res...), c.b.rec.Now())
}

func (c *call) txEvent(leg, dir string, req *sip.Request, code int, reason string, started time.Time, res ...*sip.Response) domain.SIPTransaction {
	t := transaction("", leg, dir, req, code, reason, started, c.b.rec.Now())
	if c.b.cfg.CaptureFull {
		// What an auditor sees in replay, byte for byte as sipgo holds
		// the message (RFC 3261 §7 text form).
		t.Request = req.String()
		if len(res) > 0 && res[0] != nil {
			t.Response = res[0].String()
		}
	}
	return redactCredentials(t) // no digest response enters the log (redact.go)
}

func newLegID(i int) string { return "b" + strconv.Itoa(i+1) }
