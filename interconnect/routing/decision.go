package routing

import "softswitch/interconnect/number"

// Skip reasons of a Candidate.
const (
	// SkipNone marks a usable candidate.
	SkipNone = ""
	// SkipDown: the trunk is out of service (missed OPTIONS pings).
	SkipDown = "down"
	// SkipChannelsFull: Channels >= MaxChannels > 0.
	SkipChannelsFull = "channels_full"
	// SkipCPSFull: CPS >= MaxCPS > 0.
	SkipCPSFull = "cps_full"
)

// Where the carrier of a Decision came from.
const (
	// SourcePorted: the number portability table.
	SourcePorted = "ported"
	// SourceSegment: the segment table's default for the number's prefix.
	SourceSegment = "segment"
	// SourceRoute: a route with a fixed trunk list; no carrier was looked up.
	SourceRoute = "route"
)

// Reasons of a Decision.
const (
	// ReasonRouted: at least one candidate is usable.
	ReasonRouted = "routed"
	// ReasonNoRoute: no route prefix matches the number.
	ReasonNoRoute = "no_route"
	// ReasonNoCarrier: a by-carrier route matched, but the number is
	// neither ported nor in the segment table.
	ReasonNoCarrier = "no_carrier"
	// ReasonNoTrunk: the number's carrier (and, for an MVNO, its host) has
	// no trunk in the plan.
	ReasonNoTrunk = "no_trunk"
	// ReasonAllFull: every candidate is skipped for capacity.
	ReasonAllFull = "all_full"
	// ReasonUnavailable: no candidate is usable and at least one is down.
	ReasonUnavailable = "unavailable"
)

// Candidate is one trunk in try order.
type Candidate struct {
	Trunk   string
	Carrier string
	// Skip is SkipNone when the trunk can be tried, else why not.
	Skip string
}

// Decision is the outcome of Decide: what a RouteDecided event records.
type Decision struct {
	Number number.Number
	// Prefix is the matched route's prefix ("" for the default route or
	// when nothing matched; see Reason).
	Prefix string
	// Carrier is the number's carrier for a by-carrier route, "" for a
	// fixed route.
	Carrier string
	// CarrierSource is SourcePorted, SourceSegment, SourceRoute or "" when
	// no route matched.
	CarrierSource string
	// MVNOFallback is set when the number belongs to an MVNO without
	// trunks of its own and the host MNO's trunks were chosen.
	MVNOFallback bool
	// Candidates in try order, skipped ones included.
	Candidates []Candidate
	// Reason is one of the Reason constants.
	Reason string
}

// Usable returns the candidates that can be tried, in order.
func (d Decision) Usable() []Candidate {
	var out []Candidate
	for _, c := range d.Candidates {
		if c.Skip == SkipNone {
			out = append(out, c)
		}
	}
	return out
}

// AllFull reports whether there were candidates and every one was skipped
// for capacity: the caller answers 503 with Retry-After, since capacity
// frees up as calls end.
func (d Decision) AllFull() bool {
	if len(d.Candidates) == 0 {
		return false
	}
	for _, c := range d.Candidates {
		if c.Skip != SkipChannelsFull && c.Skip != SkipCPSFull {
			return false
		}
	}
	return true
}

// NoRoute reports whether there is no trunk at all for the number (no
// matching route, unknown carrier or a carrier without trunks).
func (d Decision) NoRoute() bool { return len(d.Candidates) == 0 }
