package domain

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidCall is returned by NewCall and the call's commands for input
// that would make an impossible call.
var ErrInvalidCall = errors.New("domain: invalid call")

// Recorded is an event a command produced, with when it happened and its
// per-aggregate sequence number; the switch seals it into an Envelope.
type Recorded struct {
	Event Event
	Seq   uint64
	At    time.Time
}

// Leg is the state of one leg of a call.
type Leg struct {
	ID        string
	Side      string
	SIPCallID string
	Peer      string
	Target    string
	Start     time.Time
	Progress  time.Time
	Answer    time.Time
	End       time.Time
	Code      int
	Reason    string
	By        string
	// Trunk and Carrier are set on an attempt through a carrier's trunk.
	// A leg's dialog (LegAnswered.Dialog) is not kept here: only crash
	// recovery needs it, and it reads it from the events, so the aggregate
	// of every call in progress (the switch's and the CDR builder's) does
	// not carry it.
	Trunk   string
	Carrier string
}

// Call is the aggregate of one B2BUA call: the A-leg, its B-legs (one per
// fork) and how it ended. The switch drives it through commands; the CDR
// builder rebuilds it from the log through Apply. Both use the same apply.
type Call struct {
	id          string
	sipCallID   string
	caller      string
	callee      string
	source      string
	version     uint64
	start       time.Time
	answer      time.Time
	end         time.Time
	answeredLeg string
	code        int
	disposition string
	reason      string
	endedBy     string
	legs        []Leg
	routes      []RouteDecision
	// media is the newest MediaStats' legs, recording the call's
	// Recording: what the CDR reports of the call's media.
	media     []MediaLeg
	recording *Recording
	pending   []Recorded
}

// NewCall starts a call and records s. The id is the switch's own
// (NewCallID); the caller's SIP Call-ID is only an attribute.
func NewCall(s CallStarted, at time.Time) (*Call, error) {
	if s.CallID == "" || s.Caller == "" || s.Callee == "" {
		return nil, fmt.Errorf("%w: call id, caller and callee are required", ErrInvalidCall)
	}
	c := &Call{}
	c.record(s, at)
	return c, nil
}

// ReplayCall rebuilds a call from its first event, for consumers.
func ReplayCall() *Call { return &Call{} }

// ID returns the call's id, the switch's own.
func (c *Call) ID() string { return c.id }

// SIPCallID returns the Call-ID the caller sent on the A-leg.
func (c *Call) SIPCallID() string { return c.sipCallID }

// Source is the transport address the caller's INVITE came from.
func (c *Call) Source() string { return c.source }

// Caller and Callee return the user parts of the two parties.
func (c *Call) Caller() string { return c.caller }
func (c *Call) Callee() string { return c.callee }

// Version is the sequence number of the last applied event.
func (c *Call) Version() uint64 { return c.version }

// Ended tells whether CallEnded was applied.
func (c *Call) Ended() bool { return !c.end.IsZero() }

// Answered tells whether a B-leg answered.
func (c *Call) Answered() bool { return !c.answer.IsZero() }

// StartedAt is when the call began.
func (c *Call) StartedAt() time.Time { return c.start }

// AnsweredAt is when the call was answered, zero if never.
func (c *Call) AnsweredAt() time.Time { return c.answer }

// Legs returns a copy of the legs.
func (c *Call) Legs() []Leg { return append([]Leg(nil), c.legs...) }

// Routes returns a copy of the routing decisions, one per attempt.
func (c *Call) Routes() []RouteDecision { return append([]RouteDecision(nil), c.routes...) }

// Pending returns and clears the events recorded since the last call.
func (c *Call) Pending() []Recorded {
	p := c.pending
	c.pending = nil
	return p
}

// StartLeg records a new leg.
func (c *Call) StartLeg(leg, side, sipCallID, peer, target string, at time.Time) error {
	if err := c.canStartLeg(leg, side); err != nil {
		return err
	}
	c.record(LegStarted{CallID: c.id, Leg: leg, Side: side, SIPCallID: sipCallID, Peer: peer, Target: target}, at)
	return nil
}

func (c *Call) canStartLeg(leg, side string) error {
	if c.Ended() {
		return fmt.Errorf("%w: call %s has ended", ErrInvalidCall, c.id)
	}
	if side != SideA && side != SideB {
		return fmt.Errorf("%w: side %q", ErrInvalidCall, side)
	}
	if c.leg(leg) != nil {
		return fmt.Errorf("%w: leg %s exists", ErrInvalidCall, leg)
	}
	return nil
}

// StartTrunkLeg records a B-leg that is one attempt through a carrier's
// trunk. Each failover attempt is a leg of its own, so the CDR lists every
// attempt with its code.
func (c *Call) StartTrunkLeg(leg, sipCallID, peer, target, trunk, carrier string, at time.Time) error {
	if trunk == "" || carrier == "" {
		return fmt.Errorf("%w: a trunk leg needs its trunk and carrier", ErrInvalidCall)
	}
	if err := c.canStartLeg(leg, SideB); err != nil {
		return err
	}
	c.record(LegStarted{CallID: c.id, Leg: leg, Side: SideB, SIPCallID: sipCallID, Peer: peer, Target: target,
		Trunk: trunk, Carrier: carrier}, at)
	return nil
}

// DecideRoute records a routing decision before the attempt it chose. The
// chosen trunk, when there is one, must be an eligible candidate: a
// decision that contradicts its own candidates would replay as nonsense.
func (c *Call) DecideRoute(d RouteDecision, at time.Time) error {
	if c.Ended() {
		return fmt.Errorf("%w: call %s has ended", ErrInvalidCall, c.id)
	}
	if d.Number == "" || d.Reason == "" {
		return fmt.Errorf("%w: a route decision needs the number and a reason", ErrInvalidCall)
	}
	if d.Chosen != "" {
		ok := false
		for _, cand := range d.Candidates {
			if cand.Trunk == d.Chosen {
				if cand.Skip != "" {
					return fmt.Errorf("%w: chosen trunk %s was skipped (%s)", ErrInvalidCall, d.Chosen, cand.Skip)
				}
				ok = true
			}
		}
		if !ok {
			return fmt.Errorf("%w: chosen trunk %s is not a candidate", ErrInvalidCall, d.Chosen)
		}
	}
	d.Candidates = append([]RouteCandidate(nil), d.Candidates...)
	c.record(RouteDecided{CallID: c.id, RouteDecision: d}, at)
	return nil
}

// Progress records a provisional response on a leg.
func (c *Call) Progress(leg string, code int, at time.Time) error {
	if code < 101 || code > 199 {
		return fmt.Errorf("%w: provisional code %d", ErrInvalidCall, code)
	}
	if err := c.liveLeg(leg); err != nil {
		return err
	}
	c.record(LegProgress{CallID: c.id, Leg: leg, Code: code}, at)
	return nil
}

// AnswerLeg records a leg's 2xx, with the dialog it confirmed when the
// switch keeps the leg up (nil for a fork released at once). Answering a
// B-leg answers the call.
func (c *Call) AnswerLeg(leg string, d *Dialog, at time.Time) error {
	if err := c.liveLeg(leg); err != nil {
		return err
	}
	l := c.leg(leg)
	if !l.Answer.IsZero() {
		return nil
	}
	if d != nil && (d.CallID == "" || d.LocalTag == "" || d.RemoteTag == "" || d.RemoteTarget == "") {
		return fmt.Errorf("%w: leg %s dialog needs its Call-ID, both tags and the remote target", ErrInvalidCall, leg)
	}
	c.record(LegAnswered{CallID: c.id, Leg: leg, Dialog: d}, at)
	if l.Side == SideB && !c.Answered() {
		c.record(CallAnswered{CallID: c.id, Leg: leg}, at)
	}
	return nil
}

// EndLeg records the end of a leg; ending an ended leg does nothing.
func (c *Call) EndLeg(leg string, code int, reason, by string, at time.Time) error {
	l := c.leg(leg)
	if l == nil {
		return fmt.Errorf("%w: no leg %s", ErrInvalidCall, leg)
	}
	if !l.End.IsZero() {
		return nil
	}
	c.record(LegEnded{CallID: c.id, Leg: leg, Code: code, Reason: reason, By: by}, at)
	return nil
}

// End ends every open leg and the call. A nil failure means the answered
// call was hung up normally by `by`.
func (c *Call) End(f *CallFailure, by string, at time.Time) { c.EndUntil(f, by, at, time.Time{}) }

// EndUntil is End for a call the switch found dead at `at` whose last
// proof of life was `until`: the CDR bills to until. An until that is not
// before `at`, or before the answer, is not recorded (the answer is itself
// a proof of life).
func (c *Call) EndUntil(f *CallFailure, by string, at, until time.Time) {
	if c.Ended() {
		return
	}
	until = until.UTC().Round(0)
	if !until.Before(at) || until.Before(c.answer) || until.Before(c.start) {
		until = time.Time{}
	}
	code, disp, reason := 200, DispositionAnswered, "Normal Clearing"
	if f != nil {
		code, disp, reason = f.Code, f.Disposition, f.Reason
	}
	if c.Answered() {
		// Once answered, a call is billed as answered whatever ended it.
		disp = DispositionAnswered
	}
	for _, l := range c.legs {
		if l.End.IsZero() {
			c.record(LegEnded{CallID: c.id, Leg: l.ID, Code: code, Reason: reason, By: by, Until: until}, at)
		}
	}
	c.record(CallEnded{CallID: c.id, Code: code, Disposition: disp, Reason: reason, By: by, Until: until}, at)
}

// Transaction records a completed SIP transaction on one of the call's
// legs, so the call's log holds every message exchange in order.
func (c *Call) Transaction(t SIPTransaction, at time.Time) {
	t.Key = CallKey(c.id)
	c.record(t, at)
}

func (c *Call) liveLeg(leg string) error {
	l := c.leg(leg)
	if l == nil {
		return fmt.Errorf("%w: no leg %s", ErrInvalidCall, leg)
	}
	if !l.End.IsZero() {
		return fmt.Errorf("%w: leg %s has ended", ErrInvalidCall, leg)
	}
	return nil
}

func (c *Call) leg(id string) *Leg {
	for i := range c.legs {
		if c.legs[i].ID == id {
			return &c.legs[i]
		}
	}
	return nil
}

func (c *Call) record(ev Event, at time.Time) {
	// One normalised instant for the live fold and the recorded event, so a
	// replay rebuilds exactly the same state.
	at = at.UTC().Round(0)
	c.Apply(ev, at)
	c.pending = append(c.pending, Recorded{Event: ev, Seq: c.version, At: at})
}

// Apply folds one event into the call. It is the only place state changes,
// so a replay rebuilds exactly what the switch had. Events of other types
// (such as SIPTransaction) only advance the version. Events are values, as
// Decode returns them.
func (c *Call) Apply(ev Event, at time.Time) {
	c.version++
	switch e := ev.(type) {
	case CallStarted:
		c.id, c.caller, c.callee, c.source, c.start = e.CallID, e.Caller, e.Callee, e.Source, at
		c.sipCallID = e.SIPCallID
		if c.sipCallID == "" {
			c.sipCallID = e.CallID // written before the switch made its own ids
		}
	case LegStarted:
		c.legs = append(c.legs, Leg{ID: e.Leg, Side: e.Side, SIPCallID: e.SIPCallID, Peer: e.Peer, Target: e.Target,
			Trunk: e.Trunk, Carrier: e.Carrier, Start: at})
	case RouteDecided:
		c.routes = append(c.routes, e.RouteDecision)
	case LegProgress:
		if l := c.leg(e.Leg); l != nil && l.Progress.IsZero() {
			l.Progress = at
		}
	case LegAnswered:
		if l := c.leg(e.Leg); l != nil {
			l.Answer = at
		}
	case CallAnswered:
		c.answer, c.answeredLeg = at, e.Leg
	case LegEnded:
		if l := c.leg(e.Leg); l != nil {
			l.End, l.Code, l.Reason, l.By = endOf(at, e.Until), e.Code, e.Reason, e.By
		}
	case MediaStats:
		c.media = e.Legs
	case Recording:
		c.recording = &e
	case CallEnded:
		c.end, c.code, c.disposition, c.reason, c.endedBy = endOf(at, e.Until), e.Code, e.Disposition, e.Reason, e.By
	}
}

// CallFolds reports whether Call.Apply changes state for events of type
// typ; for any other type it only advances the version. A consumer that
// only builds calls (the CDR builder) need not decode the others' payloads
// (SIP transactions, the largest events of a call, among them).
func CallFolds(typ string) bool {
	switch typ {
	case TypeCallStarted, TypeLegStarted, TypeRouteDecided, TypeLegProgress, TypeLegAnswered, TypeCallAnswered,
		TypeLegEnded, TypeCallEnded, TypeMediaStats, TypeRecording:
		return true
	}
	return false
}

// endOf is when an ended leg or call is taken to have ended: its last
// proof of life when the event says one, else the event's time.
func endOf(at, until time.Time) time.Time {
	if !until.IsZero() && until.Before(at) {
		return until
	}
	return at
}

// MediaAnchored records where one leg's media goes after its SDP was
// applied. Media events are recorded only on a live call (recordLive).
func (c *Call) MediaAnchored(e MediaAnchored, at time.Time) { e.CallID = c.id; c.recordLive(e, at) }

// DTMF records one digit the relay passed on.
func (c *Call) DTMF(e DTMF, at time.Time) { e.CallID = c.id; c.recordLive(e, at) }

// RecordMediaStats records a media quality snapshot.
func (c *Call) RecordMediaStats(e MediaStats, at time.Time) { e.CallID = c.id; c.recordLive(e, at) }

// Recorded records the call's finished recording.
func (c *Call) Recorded(e Recording, at time.Time) { e.CallID = c.id; c.recordLive(e, at) }

// recordLive records ev unless the call has ended: what the relay reports
// after call.ended (a late digit) belongs to no CDR.
func (c *Call) recordLive(ev Event, at time.Time) {
	if !c.Ended() {
		c.record(ev, at)
	}
}
