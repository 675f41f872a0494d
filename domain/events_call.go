package domain

import "time"

// Call events. The aggregate is "call:<id>", where id is the SIP Call-ID of
// the A-leg: one B2BUA call and all its legs are ordered together.

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
	Caller string `json:"caller"`
	Callee string `json:"callee"`
	Source string `json:"source"`
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

// LegAnswered records the 2xx that confirmed a leg's dialog.
type LegAnswered struct {
	CallID string `json:"call_id"`
	Leg    string `json:"leg"`
}

func (LegAnswered) EventType() string      { return TypeLegAnswered }
func (LegAnswered) SchemaVersion() int     { return 1 }
func (e LegAnswered) AggregateKey() string { return CallKey(e.CallID) }

// LegEnded closes a leg, with the SIP code that ended it (the final
// failure response, or 200 for a BYE-terminated dialog) and who ended it.
type LegEnded struct {
	CallID string `json:"call_id"`
	Leg    string `json:"leg"`
	Code   int    `json:"code"`
	Reason string `json:"reason"`
	By     string `json:"by"`
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
// the call's Failure classification (see failure.go).
type CallEnded struct {
	CallID      string `json:"call_id"`
	Code        int    `json:"code"`
	Disposition string `json:"disposition"`
	Reason      string `json:"reason"`
	By          string `json:"by"`
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
