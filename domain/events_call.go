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
// B-leg is one fork towards a registered contact.
type LegStarted struct {
	CallID    string `json:"call_id"`
	Leg       string `json:"leg"`
	Side      string `json:"side"`
	SIPCallID string `json:"sip_call_id"`
	Peer      string `json:"peer"`
	Target    string `json:"target,omitempty"`
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
}

func (SIPTransaction) EventType() string      { return TypeSIPTransaction }
func (SIPTransaction) SchemaVersion() int     { return 1 }
func (e SIPTransaction) AggregateKey() string { return e.Key }
