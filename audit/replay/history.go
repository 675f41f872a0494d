// Package replay rebuilds the full history of one call from its events
// (the aggregate "call:<id>") and draws it for a human: a SIP ladder
// diagram, the route decisions and the outcome. It is pure: it reads
// envelopes handed to it and writes to an io.Writer; where the envelopes
// come from (a running switch, a stopped journal) is the caller's business.
package replay

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"softswitch/domain"
)

// Leg is one leg of the call as its events describe it.
type Leg struct {
	ID        string
	Side      string // domain.SideA or domain.SideB
	SIPCallID string
	Peer      string // host:port of the far end
	Target    string // contact or request URI, B-legs
	Trunk     string // set for a trunk attempt
	Carrier   string
	Started   time.Time
	Progress  []Progress
	Answered  time.Time // zero if never
	Ended     time.Time // zero if still open
	Code      int
	Reason    string
	By        string
}

// Progress is one provisional answer (180, 183) on a leg.
type Progress struct {
	At   time.Time
	Code int
}

// Route is one routing decision, with when it was taken.
type Route struct {
	At time.Time
	domain.RouteDecision
}

// History is everything the log knows about one call, in log order.
type History struct {
	CallID string
	// SIPCallID is the Call-ID the caller sent (the call id itself for
	// calls recorded before the switch made its own ids).
	SIPCallID string
	Caller    string
	Callee    string
	Source    string
	// Start is when the call started (the CallStarted event); zero if the
	// log did not hold it.
	Start time.Time
	Legs  []Leg
	// Routes holds one decision per attempt, in order.
	Routes []Route
	// Transactions are the completed SIP transactions of every leg, in
	// log order.
	Transactions []domain.SIPTransaction
	// Media are the events of the call's media plane, in log order.
	Media []MediaEvent
	// AnsweredLeg and Answered say which B-leg won, and when; empty and
	// zero for an unanswered call.
	AnsweredLeg string
	Answered    time.Time
	// End is the CallEnded event, nil while the call is open; Ended is its
	// time.
	End   *domain.CallEnded
	Ended time.Time
	// Noticed is when the switch recorded the end: later than Ended for a
	// call found dead (billed to its last proof of life).
	Noticed time.Time
	// Events is how many envelopes built the history; Skipped how many of
	// them were of a type or version this build does not know.
	Events  int
	Skipped int
	// Rating is the CDR's rating: it lives in the CDR store, not in the
	// call's events, so the caller adds it when it has it.
	Rating *domain.Rating
}

// ErrNoEvents is returned by Build when no envelope belongs to the call.
var ErrNoEvents = errors.New("replay: no events for the call")

// Build makes the history of call callID from envelopes. Envelopes of other
// aggregates are ignored, so a caller may hand it a whole log page; the
// call's envelopes are ordered by Seq, and a Seq seen twice (a re-read
// page) counts once. Events of a type or version this build does not know
// are counted in Skipped, not an error: an old replay tool must still show
// what it understands.
func Build(callID string, envs []domain.Envelope) (History, error) {
	key := domain.CallKey(callID)
	mine := make([]domain.Envelope, 0, len(envs))
	for _, e := range envs {
		if e.Aggregate == key {
			mine = append(mine, e)
		}
	}
	if len(mine) == 0 {
		return History{CallID: callID}, fmt.Errorf("%w: %s", ErrNoEvents, callID)
	}
	sort.SliceStable(mine, func(i, j int) bool { return mine[i].Seq < mine[j].Seq })
	h := History{CallID: callID}
	var last uint64
	for i, env := range mine {
		if i > 0 && env.Seq == last {
			continue
		}
		last = env.Seq
		h.Events++
		ev, err := domain.Decode(env)
		if errors.Is(err, domain.ErrUnknownEventType) || errors.Is(err, domain.ErrUnsupportedVersion) {
			h.Skipped++
			continue
		}
		if err != nil {
			return h, fmt.Errorf("replay: %s seq %d (%s): %w", key, env.Seq, env.Type, err)
		}
		h.apply(ev, env.Time)
	}
	return h, nil
}

func (h *History) leg(id string) *Leg {
	for i := range h.Legs {
		if h.Legs[i].ID == id {
			return &h.Legs[i]
		}
	}
	return nil
}

func (h *History) apply(ev domain.Event, at time.Time) {
	if h.addMedia(ev, at) {
		return
	}
	switch e := ev.(type) {
	case domain.CallStarted:
		h.Caller, h.Callee, h.Source, h.Start = e.Caller, e.Callee, e.Source, at
		h.SIPCallID = e.SIPCallID
		if h.SIPCallID == "" {
			h.SIPCallID = e.CallID
		}
	case domain.LegStarted:
		h.Legs = append(h.Legs, Leg{ID: e.Leg, Side: e.Side, SIPCallID: e.SIPCallID, Peer: e.Peer,
			Target: e.Target, Trunk: e.Trunk, Carrier: e.Carrier, Started: at})
	case domain.LegProgress:
		if l := h.leg(e.Leg); l != nil {
			l.Progress = append(l.Progress, Progress{At: at, Code: e.Code})
		}
	case domain.LegAnswered:
		if l := h.leg(e.Leg); l != nil {
			l.Answered = at
		}
	case domain.LegEnded:
		if l := h.leg(e.Leg); l != nil {
			l.Ended, l.Code, l.Reason, l.By = billedEnd(at, e.Until), e.Code, e.Reason, e.By
		}
	case domain.CallAnswered:
		h.AnsweredLeg, h.Answered = e.Leg, at
	case domain.CallEnded:
		end := e
		h.End, h.Ended, h.Noticed = &end, billedEnd(at, e.Until), at
	case domain.SIPTransaction:
		h.Transactions = append(h.Transactions, e)
	case domain.RouteDecided:
		h.Routes = append(h.Routes, Route{At: at, RouteDecision: e.RouteDecision})
	}
}

// billedEnd is when an ended leg or call is billed to: the last proof of
// life the event names (domain.CallEnded.Until), else the event's time.
func billedEnd(at, until time.Time) time.Time {
	if !until.IsZero() && until.Before(at) {
		return until
	}
	return at
}

// Origin is the instant offsets are measured from: the call's start, or
// the earliest transaction if one began before it (the A-leg INVITE is
// received, and authenticated, before the call starts).
func (h History) Origin() time.Time {
	t0 := h.Start
	for _, t := range h.Transactions {
		if t0.IsZero() || t.Started.Before(t0) {
			t0 = t.Started
		}
	}
	return t0
}

// BillableS is the answered call's talk time in whole seconds, rounded
// up, as the CDR computes it; 0 for an unanswered or open call.
func (h History) BillableS() int64 {
	if h.Answered.IsZero() || h.Ended.IsZero() {
		return 0
	}
	ms := h.Ended.Sub(h.Answered).Milliseconds()
	return (ms + 999) / 1000
}
