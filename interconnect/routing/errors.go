package routing

import "errors"

// Sentinels a *PlanError wraps, for errors.Is.
var (
	// ErrInvalidPlan is wrapped by every *PlanError.
	ErrInvalidPlan = errors.New("invalid routing plan")
	// ErrUnknownTrunk: a route names a trunk the plan does not define.
	ErrUnknownTrunk = errors.New("unknown trunk")
	// ErrUnknownCarrier: a trunk, MVNO host or ported number names a
	// carrier the plan does not define.
	ErrUnknownCarrier = errors.New("unknown carrier")
	// ErrDuplicate: a name or prefix appears twice.
	ErrDuplicate = errors.New("duplicate")
	// ErrDuplicatePrefix: two prefix-table entries have the same prefix.
	ErrDuplicatePrefix = errors.New("duplicate prefix")
	// ErrInvalidPrefix: a prefix or number has characters other than digits.
	ErrInvalidPrefix = errors.New("prefix is not digits")
	// ErrTableTooLarge: a prefix table outgrows its 27-bit indexes (134M
	// trie nodes).
	ErrTableTooLarge = errors.New("prefix table too large")
	// ErrInvalidValue: a field has a value outside what it allows.
	ErrInvalidValue = errors.New("invalid value")
)

// PlanError names the plan field Compile rejected, in the configuration's
// spelling ("routes[3].trunks[1]"), and why. It unwraps to both
// ErrInvalidPlan and the specific cause.
type PlanError struct {
	Field string
	Err   error
}

func (e *PlanError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns ErrInvalidPlan and the cause.
func (e *PlanError) Unwrap() []error { return []error{ErrInvalidPlan, e.Err} }
