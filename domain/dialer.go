package domain

import (
	"errors"
	"fmt"
	"time"
)

// Dialer events: calls the switch places itself (issue 15). The dialer is
// a user agent of the switch's, as VICIdial's is of Asterisk: each leg it
// places is an ordinary call of the switch's (authenticated, routed,
// billed, with its own CDR); these events say why the legs were placed and
// how the attempt went, under the attempt's own aggregate.
const (
	TypeClickToCallRequested = "dialer.click_to_call_requested"
	TypeClickToCallStep      = "dialer.click_to_call_step"
	TypeClickToCallEnded     = "dialer.click_to_call_ended"
)

// Click-to-call steps, in the order they happen (RFC 3725 §4: the
// controller calls the first party, then the second, then joins them). A
// dialing step is recorded before its INVITE leaves; an answered one
// carries the leg's SIP Call-ID.
const (
	StepAgentDialing   = "agent_dialing"
	StepAgentAnswered  = "agent_answered"
	StepNumberDialing  = "number_dialing"
	StepNumberAnswered = "number_answered"
	StepBridged        = "bridged"
)

// Click-to-call outcomes.
const (
	OutcomeCompleted     = "completed"      // bridged, then one party hung up
	OutcomeAgentFailed   = "agent_failed"   // the agent's leg never answered
	OutcomeNumberFailed  = "number_failed"  // the number's leg never answered
	OutcomeDialerStopped = "dialer_stopped" // the switch shut down mid-attempt
	OutcomeMediaFailed   = "media_failed"   // no ports, or an answer with no usable SDP
)

// ErrInvalidClickToCall is returned for a request missing its parties.
var ErrInvalidClickToCall = errors.New("domain: invalid click-to-call")

// ClickToCallKey is the aggregate key of an attempt.
func ClickToCallKey(id string) string { return "clicktocall:" + id }

// ClickToCallRequested starts an attempt: ring Agent (a subscriber), then
// dial Number, then bridge them.
type ClickToCallRequested struct {
	ID     string `json:"id"`
	Agent  string `json:"agent"`
	Number string `json:"number"`
	// By is who asked (the admin API's token name, or "api").
	By string `json:"by,omitempty"`
}

func (ClickToCallRequested) EventType() string      { return TypeClickToCallRequested }
func (ClickToCallRequested) SchemaVersion() int     { return 1 }
func (e ClickToCallRequested) AggregateKey() string { return ClickToCallKey(e.ID) }

// ClickToCallStep records one step. SIPCallID is the Call-ID of the leg
// the step is about, which the switch's own call events carry too: the
// link from this attempt to that leg's CDR.
type ClickToCallStep struct {
	ID        string `json:"id"`
	Step      string `json:"step"`
	SIPCallID string `json:"sip_call_id,omitempty"`
}

func (ClickToCallStep) EventType() string      { return TypeClickToCallStep }
func (ClickToCallStep) SchemaVersion() int     { return 1 }
func (e ClickToCallStep) AggregateKey() string { return ClickToCallKey(e.ID) }

// ClickToCallEnded ends an attempt. Code and Reason are the SIP answer
// that ended a failed leg (0 when none), By who hung up a completed one
// ("agent", "number", "switch").
type ClickToCallEnded struct {
	ID      string `json:"id"`
	Outcome string `json:"outcome"`
	Code    int    `json:"code,omitempty"`
	Reason  string `json:"reason,omitempty"`
	By      string `json:"by,omitempty"`
}

func (ClickToCallEnded) EventType() string      { return TypeClickToCallEnded }
func (ClickToCallEnded) SchemaVersion() int     { return 1 }
func (e ClickToCallEnded) AggregateKey() string { return ClickToCallKey(e.ID) }

// ClickToCall is one attempt's aggregate: it validates each step against
// the state so far and keeps the events to record.
type ClickToCall struct {
	id, agent, number string
	steps             []string
	outcome           string
	requested, ended  time.Time
	version           uint64
	pending           []Recorded
}

// NewClickToCall starts an attempt.
func NewClickToCall(r ClickToCallRequested, at time.Time) (*ClickToCall, error) {
	if r.ID == "" || r.Agent == "" || r.Number == "" {
		return nil, fmt.Errorf("%w: id, agent and number are required", ErrInvalidClickToCall)
	}
	c := &ClickToCall{}
	c.record(r, at)
	return c, nil
}

// Step records a step; a step out of order, or after the end, is refused.
func (c *ClickToCall) Step(step, sipCallID string, at time.Time) error {
	want := map[string]string{StepAgentDialing: "", StepAgentAnswered: StepAgentDialing, StepNumberDialing: StepAgentAnswered,
		StepNumberAnswered: StepNumberDialing, StepBridged: StepNumberAnswered}
	prev, known := want[step]
	switch {
	case !known:
		return fmt.Errorf("%w: unknown step %q", ErrInvalidClickToCall, step)
	case c.outcome != "":
		return fmt.Errorf("%w: step %s after the end", ErrInvalidClickToCall, step)
	case c.last() != prev:
		return fmt.Errorf("%w: step %s after %q", ErrInvalidClickToCall, step, c.last())
	}
	c.record(ClickToCallStep{ID: c.id, Step: step, SIPCallID: sipCallID}, at)
	return nil
}

// End records the outcome once; a second end is ignored.
func (c *ClickToCall) End(e ClickToCallEnded, at time.Time) {
	if c.outcome != "" {
		return
	}
	e.ID = c.id
	c.record(e, at)
}

// Apply folds one event; it is the one place state changes.
func (c *ClickToCall) Apply(ev Event, at time.Time) {
	switch e := ev.(type) {
	case ClickToCallRequested:
		c.id, c.agent, c.number, c.requested = e.ID, e.Agent, e.Number, at
	case ClickToCallStep:
		c.steps = append(c.steps, e.Step)
	case ClickToCallEnded:
		c.outcome, c.ended = e.Outcome, at
	}
	c.version++
}

func (c *ClickToCall) record(ev Event, at time.Time) {
	c.Apply(ev, at)
	c.pending = append(c.pending, Recorded{Event: ev, Seq: c.version, At: at})
}

// Pending returns and clears the events not yet recorded.
func (c *ClickToCall) Pending() []Recorded {
	p := c.pending
	c.pending = nil
	return p
}

func (c *ClickToCall) last() string {
	if len(c.steps) == 0 {
		return ""
	}
	return c.steps[len(c.steps)-1]
}

// ID, Agent, Number, Steps and Outcome read the attempt's state.
func (c *ClickToCall) ID() string      { return c.id }
func (c *ClickToCall) Agent() string   { return c.agent }
func (c *ClickToCall) Number() string  { return c.number }
func (c *ClickToCall) Steps() []string { return append([]string(nil), c.steps...) }
func (c *ClickToCall) Outcome() string { return c.outcome }
