// Package stats is the campaign statistics projection (issue 15 §6): one
// row per dialing attempt and per refused decision, folded from the
// campaign events of the journal into a Store with a checkpoint, for
// billing and campaign managers to query: attempts and outcomes per
// campaign, caller ID and hour, and, joined with the CDR of the attempt's
// callee leg by its SIP Call-ID, per carrier with ASR, ACD, abandon and
// connect rates (docs/billing-queries.md).
//
// The rows are a projection: like CDRs, they can be rebuilt from the log
// by replaying it into an empty store. A row's id is its event's id, so a
// replay or a retried write leaves one row per event.
package stats

import (
	"fmt"
	"time"

	"softswitch/domain"
)

// OutcomeSkipped is a refused decision's outcome: the lead was not dialled
// (DNC, calling hours, a cap, no caller ID, a known-invalid number);
// Reason says which rule.
const OutcomeSkipped = "skipped"

// Row is one attempt, or one refused decision.
type Row struct {
	// ID is the event's id (domain.Envelope.ID).
	ID       string
	Campaign string
	Lead     string
	Attempt  int
	Number   string
	CallerID string
	Agent    string
	// Placed says the number was dialled (an attempt_ended event); false
	// for a refused decision.
	Placed bool
	// Outcome is domain.Attempt* or OutcomeSkipped; Reason the why
	// (the decision's rule, or the attempt's SIP reason).
	Outcome string
	Reason  string
	SIPCode int
	// CalleeCallID is the SIP Call-ID of the dialer's leg to the number:
	// the sip_call_id of the switch's CDR of that call, which carries the
	// carrier, trunk, answer time, duration and cost.
	CalleeCallID string
	EarlyMedia   string
	AMD          string
	Digit        string
	Confidence   float64
	// Dialed is when the attempt was decided and placed; Ended when it
	// ended (a refused decision: both the decision's time).
	Dialed time.Time
	Ended  time.Time
}

// FromEnvelope returns env's row: an attempt's end, or a refused
// decision. Other events (calls, allowed decisions, whose row their end
// writes) have none.
func FromEnvelope(env domain.Envelope) (Row, bool, error) {
	if env.Type != domain.TypeAttemptEnded && env.Type != domain.TypeAttemptDecided {
		return Row{}, false, nil
	}
	ev, err := domain.Decode(env)
	if err != nil {
		return Row{}, false, fmt.Errorf("stats: %s at %d: %w", env.Type, env.Position, err)
	}
	switch e := ev.(type) {
	case domain.AttemptDecided:
		if e.Allowed {
			return Row{}, false, nil
		}
		return Row{ID: env.ID, Campaign: e.Campaign, Lead: e.Lead, Attempt: e.Attempt, Number: e.Number,
			Outcome: OutcomeSkipped, Reason: e.Reason, Dialed: env.Time, Ended: env.Time}, true, nil
	case domain.AttemptEnded:
		dialed := e.DialedAt
		if dialed.IsZero() {
			dialed = env.Time // an end recorded before the field existed, or an orphan closed at start
		}
		return Row{ID: env.ID, Campaign: e.Campaign, Lead: e.Lead, Attempt: e.Attempt, Number: e.Number,
			CallerID: e.CallerID, Agent: e.Agent, Placed: true, Outcome: e.Outcome, Reason: e.Reason,
			SIPCode: e.Code, CalleeCallID: e.CalleeCallID, EarlyMedia: e.EarlyMedia, AMD: e.AMD,
			Digit: e.Digit, Confidence: e.Confidence, Dialed: dialed.UTC(), Ended: env.Time.UTC()}, true, nil
	}
	return Row{}, false, fmt.Errorf("stats: %s decoded as %T", env.Type, ev)
}
