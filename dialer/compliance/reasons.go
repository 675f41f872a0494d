package compliance

// Reasons of a Decision: one constant string each, as events record them.
const (
	ReasonAllowed       = "allowed"
	ReasonInvalidNumber = "invalid_number" // the lead has no usable number
	ReasonDNC           = "dnc"
	ReasonUnknownZone   = "unknown_zone" // no zone for the callee: refused, not guessed
	ReasonOutsideHours  = "outside_hours"
	ReasonFrequencyCap  = "frequency_cap"
	ReasonNoCallerID    = "no_caller_id"
)
