package domain

import "time"

// Call events. The aggregate is "call:<id>", where id is the switch's own
// call id (NewCallID: the node id and a ULID), never a value an endpoint
// sent: one B2BUA call and all its legs are ordered together, and two
// calls that reuse a SIP Call-ID stay two calls. The SIP Call-IDs of the
// legs are attributes (CallStarted.SIPCallID, LegStarted.SIPCallID).
//
// Journals written before the switch made its own ids used the A-leg's
// SIP Call-ID as the id. Their events replay unchanged: an old
// CallStarted has no sip_call_id, and its call id is taken as the SIP
// Call-ID too (the deterministic mapping: the old id is kept).

const (
	TypeCallStarted    = "call.started"
	TypeLegStarted     = "call.leg_started"
	TypeLegProgress    = "call.leg_progress"
	TypeLegAnswered    = "call.leg_answered"
	TypeLegEnded       = "call.leg_ended"
	TypeCallAnswered   = "call.answered"
	TypeCallEnded      = "call.ended"
	TypeSIPTransaction = "sip.transaction"
	TypeRouteDecided   = "call.route_decided"
)

// CallKey is the aggregate key of a call.
func CallKey(callID string) string { return "call:" + callID }

// Leg sides.
const (
	SideA = "a" // the caller's leg, where the switch is the UAS
	SideB = "b" // a callee leg, where the switch is the UAC
)

// CallStarted is appended once an INVITE has been authenticated and the
// switch takes responsibility for the call.
type CallStarted struct {
	CallID string `json:"call_id"`
	// SIPCallID is the Call-ID the caller sent on the A-leg; empty in
	// events written before the switch made its own call ids.
	SIPCallID string `json:"sip_call_id,omitempty"`
	// Caller is who the call is billed to: the authenticated subscriber,
	// or a transit trunk's account. CallingNumber, when it differs, is the
	// number the caller presented (a carrier's From user), an attribute.
	Caller        string `json:"caller"`
	CallingNumber string `json:"calling_number,omitempty"`
	Callee        string `json:"callee"`
	Source        string `json:"source"`
}

func (CallStarted) EventType() string      { return TypeCallStarted }
func (CallStarted) SchemaVersion() int     { return 1 }
func (e CallStarted) AggregateKey() string { return CallKey(e.CallID) }

// LegStarted opens one leg. The A-leg mirrors the caller's dialog; each
// B-leg is one fork towards a registered contact, or one attempt on a
// carrier's trunk (Trunk and Carrier set).
//
// Trunk and Carrier were added to version 1 without a bump: they are
// optional, their absence means what it always meant (not a trunk leg),
// and encoding/json ignores fields it does not know, so old and new
// builds read each other's events. A bump would instead make every node
// still on the old build reject every LegStarted (ErrUnsupportedVersion)
// during a rolling upgrade. Only a change of meaning bumps a version.
type LegStarted struct {
	CallID    string `json:"call_id"`
	Leg       string `json:"leg"`
	Side      string `json:"side"`
	SIPCallID string `json:"sip_call_id"`
	Peer      string `json:"peer"`
	Target    string `json:"target,omitempty"`
	Trunk     string `json:"trunk,omitempty"`
	Carrier   string `json:"carrier,omitempty"`
}

func (LegStarted) EventType() string      { return TypeLegStarted }
func (LegStarted) SchemaVersion() int     { return 1 }
func (e LegStarted) AggregateKey() string { return CallKey(e.CallID) }

// LegProgress records a provisional answer (180, 183) on a leg.
type LegProgress struct {
	CallID string `json:"call_id"`
	Leg    string `json:"leg"`
	Code   int    `json:"code"`
}

func (LegProgress) EventType() string      { return TypeLegProgress }
func (LegProgress) SchemaVersion() int     { return 1 }
func (e LegProgress) AggregateKey() string { return CallKey(e.CallID) }

// LegAnswered records the 2xx that confirmed a leg's dialog. Dialog,
// when set, is what the switch needs to send a request in that dialog
// (BYE after a restart, a session refresh); it was added to version 1 as
// an optional field (see LegStarted on why that is no version bump).
type LegAnswered struct {
	CallID string  `json:"call_id"`
	Leg    string  `json:"leg"`
	Dialog *Dialog `json:"dialog,omitempty"`
}

// Session timer refreshers (RFC 4028 §7.1, §9), seen from the switch.
const (
	RefresherSwitch = "switch" // the switch sends the refreshes
	RefresherPeer   = "peer"   // the endpoint does; the switch watches
)

// Dialog is the state of one confirmed dialog of a leg, as RFC 3261
// §12.1 defines it (Call-ID, local and remote tags, local sequence number,
// remote target and route set), seen from the switch's side: on the A-leg
// the switch is the UAS, on a B-leg the UAC. It is enough to build an
// in-dialog request (§12.2.1.1) without the process that made the dialog.
type Dialog struct {
	CallID    string `json:"call_id"`
	LocalTag  string `json:"local_tag"`
	RemoteTag string `json:"remote_tag"`
	// LocalURI and RemoteURI are the From and To of requests the switch
	// sends in the dialog (with display names, without tags).
	LocalURI  string `json:"local_uri"`
	RemoteURI string `json:"remote_uri"`
	// RemoteTarget is the peer's Contact URI; RouteSet its Record-Route
	// set in the order requests carry it as Route.
	RemoteTarget string   `json:"remote_target"`
	RouteSet     []string `json:"route_set,omitempty"`
	// Transport is UDP, TCP...; Destination the host:port requests go to
	// when that is not the target's (a NAT'd caller reached at its source).
	Transport   string `json:"transport,omitempty"`
	Destination string `json:"destination,omitempty"`
	// LocalCSeq is the switch's sequence number on the leg when the
	// dialog was confirmed; later requests are sip.transaction events.
	LocalCSeq uint32 `json:"local_cseq"`
	// SessionExpires (seconds) and Refresher are the leg's session timer
	// (RFC 4028), zero when none was negotiated.
	SessionExpires int    `json:"session_expires_s,omitempty"`
	Refresher      string `json:"refresher,omitempty"`
}

func (LegAnswered) EventType() string      { return TypeLegAnswered }
func (LegAnswered) SchemaVersion() int     { return 1 }
func (e LegAnswered) AggregateKey() string { return CallKey(e.CallID) }

// LegEnded closes a leg, with the SIP code that ended it (the final
// failure response, or 200 for a BYE-terminated dialog) and who ended it.
//
// Until, when set, is the instant the leg is taken to have ended, earlier
// than the event: the last proof of life of a call the switch found dead
// (a session refresh that failed, a node that restarted). A CDR bills to
// it, not to when the switch noticed (an optional field, no version bump).
type LegEnded struct {
	CallID string    `json:"call_id"`
	Leg    string    `json:"leg"`
	Code   int       `json:"code"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	Until  time.Time `json:"until,omitzero"`
}

func (LegEnded) EventType() string      { return TypeLegEnded }
func (LegEnded) SchemaVersion() int     { return 1 }
func (e LegEnded) AggregateKey() string { return CallKey(e.CallID) }

// CallAnswered records which B-leg won the fork.
type CallAnswered struct {
	CallID string `json:"call_id"`
	Leg    string `json:"leg"`
}

func (CallAnswered) EventType() string      { return TypeCallAnswered }
func (CallAnswered) SchemaVersion() int     { return 1 }
func (e CallAnswered) AggregateKey() string { return CallKey(e.CallID) }

// Who ended a call or leg.
const (
	ByCaller = "caller"
	ByCallee = "callee"
	BySwitch = "switch"
)

// CallEnded is the last event of a call. Code and Disposition come from
// the call's Failure classification (see failure.go). Until is as in
// LegEnded: the end the CDR bills to, when earlier than the event.
type CallEnded struct {
	CallID      string    `json:"call_id"`
	Code        int       `json:"code"`
	Disposition string    `json:"disposition"`
	Reason      string    `json:"reason"`
	By          string    `json:"by"`
	Until       time.Time `json:"until,omitzero"`
}

func (CallEnded) EventType() string      { return TypeCallEnded }
func (CallEnded) SchemaVersion() int     { return 1 }
func (e CallEnded) AggregateKey() string { return CallKey(e.CallID) }

// Transaction directions.
const (
	DirIn  = "in"  // the switch was the server transaction
	DirOut = "out" // the switch was the client transaction
)

// SIPTransaction records one completed SIP transaction (RFC 3261 §17):
// the request, its final answer and how long it took. Aggregate is the call
// ("call:<id>") or the AOR ("aor:<user>") it belongs to.
type SIPTransaction struct {
	Key       string        `json:"key"`
	Leg       string        `json:"leg,omitempty"`
	Direction string        `json:"dir"`
	Method    string        `json:"method"`
	CSeq      uint32        `json:"cseq"`
	Code      int           `json:"code"`
	Reason    string        `json:"reason,omitempty"`
	Peer      string        `json:"peer"`
	Started   time.Time     `json:"started"`
	Duration  time.Duration `json:"duration_ns"`
	// Request and Response are the whole SIP messages, kept only when the
	// switch runs with audit.capture: full (an optional field: the schema
	// version does not change). Response is the final answer when the
	// switch received it; the ones it sent are summarized by Code.
	Request  string `json:"request,omitempty"`
	Response string `json:"response,omitempty"`
	// Provisional lists the 1xx answers of an INVITE transaction: sent to
	// the caller (in) or received from the callee (out).
	Provisional []Provisional `json:"provisional,omitempty"`
	// Ack is when the ACK for the final answer was received (in) or sent
	// (out): for a 2xx the ACK is a transaction of its own (RFC 3261
	// §13.2.2.4), for a failure it ends this one (§17.1.1.3). Zero when
	// none came, which is what a dispute about "the ACK never came" reads.
	Ack time.Time `json:"ack,omitzero"`
	// AckPeer is where the ACK came from or went to, when not Peer.
	AckPeer string `json:"ack_peer,omitempty"`
}

// Provisional is one 1xx answer of a transaction.
type Provisional struct {
	Code   int       `json:"code"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

func (SIPTransaction) EventType() string      { return TypeSIPTransaction }
func (SIPTransaction) SchemaVersion() int     { return 1 }
func (e SIPTransaction) AggregateKey() string { return e.Key }

// Why a route candidate was not eligible; empty means it was. The first
// three are interconnect/routing's Skip values, recorded as it returns
// them.
const (
	SkipDown         = "down"          // trunk.health_changed said down
	SkipChannelsFull = "channels_full" // at its concurrent-call limit
	SkipCPSFull      = "cps_full"      // at its calls-per-second limit
	SkipFailed       = "failed"        // tried earlier in this call, failed over
)

// Where a decision's carrier came from (interconnect/routing's Source
// values).
const (
	CarrierFromRoute   = "route"   // the route lists its trunks itself
	CarrierFromSegment = "segment" // the number segment's default carrier
	CarrierFromPorted  = "ported"  // the number portability table
)

// RouteCandidate is one trunk the route offered, in the order considered.
type RouteCandidate struct {
	Trunk   string `json:"trunk"`
	Carrier string `json:"carrier"`
	Skip    string `json:"skip,omitempty"`
}

// RouteDecision is what routing decided for one attempt of a call: the
// number, the prefix that matched, the carrier, the candidates with why
// each was skipped, and the trunk chosen ("" when none could take it:
// Reason then says why, and the call fails with ErrNoRoute or
// ErrTrunksFull).
type RouteDecision struct {
	// Number is the called number in E.164 (digits, no '+'); Dialled is
	// what the caller sent.
	Number        string `json:"number"`
	Dialled       string `json:"dialled"`
	Prefix        string `json:"prefix,omitempty"`
	Carrier       string `json:"carrier,omitempty"`
	CarrierSource string `json:"carrier_source,omitempty"`
	// MVNOFallback: the number's MVNO has no trunks, its host MNO's were
	// offered.
	MVNOFallback bool             `json:"mvno_fallback,omitempty"`
	Candidates   []RouteCandidate `json:"candidates,omitempty"`
	Chosen       string           `json:"chosen,omitempty"`
	Reason       string           `json:"reason"`
}

// RouteDecided records a routing decision on the call, before the attempt
// it chose starts, so that replaying the log reproduces every decision.
// A call that fails over records one per attempt.
type RouteDecided struct {
	CallID string `json:"call_id"`
	RouteDecision
}

func (RouteDecided) EventType() string      { return TypeRouteDecided }
func (RouteDecided) SchemaVersion() int     { return 1 }
func (e RouteDecided) AggregateKey() string { return CallKey(e.CallID) }
