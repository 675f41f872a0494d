package switching

import (
	"errors"
	"fmt"
	"time"

	"softswitch/domain"
	"softswitch/interconnect/routing"
)

// ErrNotANumber is Simulate's answer for a dialled string the switch
// would not route through a trunk at all: no digits to normalize.
var ErrNotANumber = errors.New("not a phone number")

// Simulation is what the switch would do with a call from Caller to
// Dialled right now, worked out as outbound and nextAttempt do but
// without a call: no event is recorded, no leg started, no channel or
// CPS slot taken (the web console's route simulation, docs/console.md).
type Simulation struct {
	Caller  string `json:"caller"`
	Dialled string `json:"dialled"`
	// Number is the dialled number in E.164, empty when it did not
	// normalize.
	Number string `json:"number,omitempty"`
	// Decision is routing's answer with every candidate and why it was
	// skipped, as call.route_decided would record it; nil when the call
	// would be refused before routing (Code and Reason say why).
	Decision *domain.RouteDecision `json:"decision,omitempty"`
	// Code and Reason are the SIP answer the caller would get when the
	// call cannot be sent anywhere; 0 when a trunk would take it.
	Code   int    `json:"code,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Notes say what the simulation cannot know in advance.
	Notes []string `json:"notes,omitempty"`
}

// Simulate decides the route of a call from caller to dialled against the
// trunks' state at now. It returns ErrNotANumber for a dialled string
// with no number in it; every other outcome, a refusal included, is a
// Simulation. The weighted choice among equal trunks is seeded by the
// call's id in a real call: here by caller and number, so it may differ.
func (x *Interconnect) Simulate(caller, dialled string, now time.Time) (Simulation, error) {
	s := Simulation{Caller: caller, Dialled: dialled}
	refuse := func(err error) (Simulation, error) {
		f := domain.Classify(err)
		s.Code, s.Reason = f.Code, f.Reason
		if f.Cause != nil {
			s.Reason += ": " + f.Cause.Error()
		}
		return s, nil
	}
	table, err := x.Table()
	if err != nil {
		return refuse(fmt.Errorf("%w: %v", domain.ErrNoRoute, err))
	}
	if table.Routes() == 0 {
		s.Notes = append(s.Notes, "no routes are defined: the switch calls registered users only")
		return refuse(domain.ErrUnknownCallee)
	}
	n, err := x.Normalizer.Normalize(dialled)
	if err != nil {
		if !looksLikeNumber(dialled) {
			return s, ErrNotANumber
		}
		return refuse(fmt.Errorf("%w: %v", domain.ErrInvalidNumber, err))
	}
	s.Number = n.E164()
	if err := x.Policy(caller).Check(n.E164(), x.CountryCode); err != nil {
		return refuse(err)
	}
	if x.Spend != nil {
		s.Notes = append(s.Notes, "spend control (balance, credit limit) is checked when the call is placed, not here")
	}
	d := table.Decide(n, x.Load.At(now), seedOf(caller+"\x00"+n.E164()))
	rd := domain.RouteDecision{Number: n.E164(), Dialled: dialled, Prefix: d.Prefix, Carrier: d.Carrier,
		CarrierSource: d.CarrierSource, MVNOFallback: d.MVNOFallback, Reason: d.Reason}
	full := true
	for _, c := range d.Candidates {
		rd.Candidates = append(rd.Candidates, domain.RouteCandidate{Trunk: c.Trunk, Carrier: c.Carrier, Skip: c.Skip})
		if c.Skip != domain.SkipChannelsFull && c.Skip != domain.SkipCPSFull {
			full = false
		}
		if c.Skip == routing.SkipNone && rd.Chosen == "" {
			rd.Chosen = c.Trunk
		}
	}
	s.Decision = &rd
	if len(d.Candidates) > 1 {
		s.Notes = append(s.Notes, "if the chosen trunk fails (408, 5xx, timeout) the next usable candidate is tried")
	}
	switch {
	case rd.Chosen != "":
		return s, nil
	case d.NoRoute():
		return refuse(domain.ErrNoRoute)
	case full:
		return refuse(domain.ErrTrunksFull)
	default:
		return refuse(domain.ErrTrunkUnreachable)
	}
}
