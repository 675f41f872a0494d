package compliance

import (
	"fmt"
	"time"
)

// Restore puts a removed number back in service with a clean history
// (after the operator had its spam mark cleared).
func (p *Pool) Restore(e164 string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	i, ok := p.byE164[e164]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownCallerID, e164)
	}
	p.nums[i] = callerID{e164: e164}
	return nil
}

// CallerIDStatus is one number's state, for the admin API.
type CallerIDStatus struct {
	E164       string  `json:"e164"`
	Removed    string  `json:"removed,omitempty"`
	UsedToday  int     `json:"used_today"`
	Outcomes   int     `json:"outcomes"`
	AnswerRate float64 `json:"answer_rate"`
}

// Status returns every number's state as of now.
func (p *Pool) Status(now time.Time) []CallerIDStatus {
	day := dateKey(now.In(p.loc))
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]CallerIDStatus, len(p.nums))
	for i, c := range p.nums {
		out[i] = CallerIDStatus{E164: c.e164, Removed: c.removed, Outcomes: int(c.n)}
		if c.day == day {
			out[i].UsedToday = c.used
		}
		if c.n > 0 {
			out[i].AnswerRate = c.rate(uint8(p.cfg.Spam.Window))
		}
	}
	return out
}
