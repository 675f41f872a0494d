package compliance

import (
	"fmt"
	"slices"
	"time"
)

// Call outcomes the dialer classifies a finished attempt into (from the
// SIP final response and, for answered calls, answering-machine
// detection).
const (
	OutcomeAnswered   = "answered"
	OutcomeBusy       = "busy"             // 486, 600
	OutcomeNoAnswer   = "no_answer"        // 408/480, or ring timeout
	OutcomeInvalid    = "invalid_number"   // 404, 484, 604: vacant number
	OutcomePoweredOff = "powered_off"      // carrier announcement / 480 with cause
	OutcomeCongestion = "congestion"       // 503, 500: the network, not the callee
	OutcomeMachine    = "answered_machine" // answered by voicemail or IVR
	OutcomeRejected   = "rejected"         // 603: the callee declined
)

// Outcomes lists every outcome a RetryConfig may name.
func Outcomes() []string {
	return []string{OutcomeAnswered, OutcomeBusy, OutcomeNoAnswer, OutcomeInvalid,
		OutcomePoweredOff, OutcomeCongestion, OutcomeMachine, OutcomeRejected}
}

// RetryRule: retry while fewer than MaxAttempts attempts have been made
// (counting the first), Interval after the last one.
type RetryRule struct {
	MaxAttempts int           `yaml:"max_attempts"`
	Interval    time.Duration `yaml:"interval"`
}

// DefaultRetryRules: a busy callee is on the phone, so try again soon; no
// answer and powered off wait longer, as the callee is away; congestion
// is the network's fault and retried most; an answered or machine-answered
// call, a rejection and an invalid number are not retried (an invalid
// number never can be: RetryConfig refuses to allow it).
func DefaultRetryRules() map[string]RetryRule {
	return map[string]RetryRule{
		OutcomeAnswered:   {MaxAttempts: 1},
		OutcomeBusy:       {MaxAttempts: 3, Interval: 10 * time.Minute},
		OutcomeNoAnswer:   {MaxAttempts: 3, Interval: time.Hour},
		OutcomeInvalid:    {MaxAttempts: 1},
		OutcomePoweredOff: {MaxAttempts: 2, Interval: 2 * time.Hour},
		OutcomeCongestion: {MaxAttempts: 5, Interval: 2 * time.Minute},
		OutcomeMachine:    {MaxAttempts: 2, Interval: 4 * time.Hour},
		OutcomeRejected:   {MaxAttempts: 1},
	}
}

// RetryConfig is a campaign's `retry:` section: rules by outcome; outcomes
// it leaves out take DefaultRetryRules.
type RetryConfig struct {
	Rules map[string]RetryRule `yaml:"rules"`
}

func (c *RetryConfig) setDefaults() {
	def := DefaultRetryRules()
	rules := make(map[string]RetryRule, len(def))
	for o, r := range def {
		rules[o] = r
	}
	for o, r := range c.Rules {
		rules[o] = r
	}
	c.Rules = rules
}

// Validate reports every invalid field, named under "retry.rules[…]".
func (c RetryConfig) Validate() error {
	var errs fieldErrs
	for _, o := range sortedKeys(c.Rules) {
		r, f := c.Rules[o], "retry.rules["+o+"]"
		switch {
		case !slices.Contains(Outcomes(), o):
			errs.add(f, fmt.Errorf("%w: unknown outcome %q", ErrInvalidValue, o))
		case r.MaxAttempts < 1:
			errs.add(f+".max_attempts", fmt.Errorf("%w: %d < 1 (1 means no retry)", ErrInvalidValue, r.MaxAttempts))
		case o == OutcomeInvalid && r.MaxAttempts != 1:
			errs.add(f+".max_attempts", fmt.Errorf("%w: an invalid number is never retried", ErrInvalidValue))
		case r.MaxAttempts > 1 && r.Interval <= 0:
			errs.add(f+".interval", fmt.Errorf("%w: a retry needs an interval > 0", ErrInvalidValue))
		case r.Interval < 0:
			errs.add(f+".interval", fmt.Errorf("%w: negative", ErrInvalidValue))
		}
	}
	return errs.join()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Retry is a compiled RetryConfig; immutable.
type Retry struct{ rules map[string]RetryRule }

// NewRetry validates c and fills in defaults.
func NewRetry(c RetryConfig) (*Retry, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c.setDefaults()
	return &Retry{rules: c.Rules}, nil
}

// Next says whether a lead whose last attempt (attempts made so far,
// counting it) ended with outcome at lastAt is retried, and when. Unknown
// outcomes and invalid numbers are never retried. The retry time is the
// earliest allowed; the dialer still runs Decide then, which may move it
// (calling hours, caps).
func (r *Retry) Next(outcome string, attempts int, lastAt time.Time) (retryAt time.Time, retry bool) {
	rule, ok := r.rules[outcome]
	if !ok || outcome == OutcomeInvalid || attempts >= rule.MaxAttempts {
		return time.Time{}, false
	}
	return lastAt.Add(rule.Interval), true
}
