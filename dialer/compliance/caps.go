package compliance

import (
	"fmt"
	"time"
)

// Frequency-cap limits and defaults. The default rules are what China's
// large cloud contact-centre platforms apply to one callee across all of
// a tenant's campaigns: at most 1 call a minute, 5 an hour, 20 a day.
const (
	// MaxCapRules bounds a campaign's rules, so a Decision records the
	// counters it saw in a fixed array (no allocation per decision).
	MaxCapRules = 6
	// MaxRing bounds attempts kept per callee.
	MaxRing = 64
	// DefaultRing is the attempts kept per callee: the largest default
	// count (20), so every default rule can be answered exactly.
	DefaultRing = 20
	// DefaultHorizon is the largest window kept; a callee whose last
	// attempt is older is forgotten.
	DefaultHorizon = 24 * time.Hour
	// DefaultShards: more shards than CPUs keeps lock contention rare.
	DefaultShards = 64
	// DefaultExpectedCallees sizes the table up front.
	DefaultExpectedCallees = 1 << 20
)

// DefaultCapRules returns 1 per minute, 5 per hour, 20 per 24 hours.
func DefaultCapRules() []CapRule {
	return []CapRule{{Window: time.Minute, Max: 1}, {Window: time.Hour, Max: 5}, {Window: 24 * time.Hour, Max: 20}}
}

// CapRule allows at most Max attempts to one callee in any Window
// (a sliding window ending now, second resolution).
type CapRule struct {
	Window time.Duration `yaml:"window"`
	Max    int           `yaml:"max"`
}

// CapSeen is one rule and the attempts it counted, for the decision
// record.
type CapSeen struct {
	Window time.Duration `json:"window"`
	Max    int           `json:"max"`
	Count  int           `json:"count"`
}

// CapsConfig sizes the shared table (`caps_table:` in the dialer's config).
type CapsConfig struct {
	// Ring (count, ≤ 64) is how many recent attempts are kept per callee;
	// no campaign may set a Max above it. Default 20.
	Ring int `yaml:"ring"`
	// Horizon (duration) is the longest Window any campaign may use; older
	// attempts are forgotten. Default 24h.
	Horizon time.Duration `yaml:"horizon"`
	// Shards (count, power of two) of the table. Default 64.
	Shards int `yaml:"shards"`
	// ExpectedCallees (count) sizes the table and sets when a shard first
	// sweeps expired callees. Default 1048576.
	ExpectedCallees int `yaml:"expected_callees"`
}

func (c *CapsConfig) setDefaults() {
	if c.Ring == 0 {
		c.Ring = DefaultRing
	}
	if c.Horizon == 0 {
		c.Horizon = DefaultHorizon
	}
	if c.Shards == 0 {
		c.Shards = DefaultShards
	}
	if c.ExpectedCallees == 0 {
		c.ExpectedCallees = DefaultExpectedCallees
	}
}

// Validate reports every invalid field, named under "caps_table.".
func (c CapsConfig) Validate() error {
	c.setDefaults()
	var errs fieldErrs
	if c.Ring < 1 || c.Ring > MaxRing {
		errs.add("caps_table.ring", fmt.Errorf("%w: %d not in 1…%d", ErrInvalidValue, c.Ring, MaxRing))
	}
	if c.Horizon < time.Second || c.Horizon > 366*24*time.Hour {
		errs.add("caps_table.horizon", fmt.Errorf("%w: %s not in 1s…8784h", ErrInvalidValue, c.Horizon))
	}
	if c.Shards < 1 || c.Shards&(c.Shards-1) != 0 {
		errs.add("caps_table.shards", fmt.Errorf("%w: %d is not a power of two", ErrInvalidValue, c.Shards))
	}
	if c.ExpectedCallees < 0 {
		errs.add("caps_table.expected_callees", fmt.Errorf("%w: negative", ErrInvalidValue))
	}
	return errs.join()
}

// validateRules checks a campaign's rules against the table's limits:
// a Max above Ring or a Window beyond Horizon could not be counted, and
// would silently allow more calls than configured.
func validateRules(field string, rules []CapRule, ring int, horizon time.Duration) error {
	var errs fieldErrs
	if len(rules) > MaxCapRules {
		errs.add(field, fmt.Errorf("%w: %d rules, at most %d", ErrInvalidValue, len(rules), MaxCapRules))
	}
	for i, r := range rules {
		f := idx(field, i)
		if r.Window < time.Second || r.Window > horizon {
			errs.add(f+".window", fmt.Errorf("%w: %s not in 1s…%s (the table's horizon)", ErrInvalidValue, r.Window, horizon))
		}
		if r.Max < 1 || r.Max > ring {
			errs.add(f+".max", fmt.Errorf("%w: %d not in 1…%d (the table's ring)", ErrInvalidValue, r.Max, ring))
		}
	}
	return errs.join()
}
