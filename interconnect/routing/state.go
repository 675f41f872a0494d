package routing

// State is the projected trunk state a decision reads: health from OPTIONS
// pings and load from the calls in progress, both rebuilt from events (and
// shared across nodes when Kafka is on). Implementations must be safe for
// concurrent use; Decide calls each method at most once per candidate.
type State interface {
	// Up reports whether the trunk is in service.
	Up(trunk string) bool
	// Channels returns the trunk's active calls.
	Channels(trunk string) int
	// CPS returns the trunk's new calls per second over its sliding window.
	CPS(trunk string) float64
}

// idle is the State used when Decide is given nil: every trunk up and
// unloaded.
type idle struct{}

func (idle) Up(string) bool      { return true }
func (idle) Channels(string) int { return 0 }
func (idle) CPS(string) float64  { return 0 }
