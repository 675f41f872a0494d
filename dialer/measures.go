package dialer

import (
	"slices"
	"sync"
	"time"
)

// measureWindow is how many recent samples each measure keeps: enough for
// a stable estimate, recent enough to follow a campaign's day.
const measureWindow = 200

// durations is a ring of the last measureWindow samples.
type durations struct {
	v    []time.Duration
	next int
}

func (r *durations) add(d time.Duration) {
	if len(r.v) < measureWindow {
		r.v = append(r.v, d)
		return
	}
	r.v[r.next] = d
	r.next = (r.next + 1) % measureWindow
}

// quantile is the q-quantile (0–1) of the samples, 0 when none.
func (r *durations) quantile(q float64) time.Duration {
	if len(r.v) == 0 {
		return 0
	}
	s := slices.Clone(r.v)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// measures are what predictive pacing learns per campaign while it runs:
// how long an agent is taken by a connected call (talk and wrap-up), and
// how long a number takes to answer. They live in memory and start again
// empty after a restart, when pacing waits for minHandleSamples anew.
type measures struct {
	mu     sync.Mutex
	handle map[string]*durations
	answer map[string]*durations
}

func (m *measures) add(to *map[string]*durations, campaign string, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if *to == nil {
		*to = map[string]*durations{}
	}
	r := (*to)[campaign]
	if r == nil {
		r = &durations{}
		(*to)[campaign] = r
	}
	r.add(d)
}

func (m *measures) addHandle(campaign string, d time.Duration) { m.add(&m.handle, campaign, d) }
func (m *measures) addAnswer(campaign string, d time.Duration) { m.add(&m.answer, campaign, d) }

// handles returns a copy of the campaign's handle times.
func (m *measures) handles(campaign string) []time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.handle[campaign]; r != nil {
		return append([]time.Duration(nil), r.v...)
	}
	return nil
}

// earlyAnswer is how soon a number placed now may answer: the 20th
// percentile of the campaign's times from dialing to an answer. An agent
// counted as about to be free must be free by the early answers, not only
// the average one, or those are abandoned.
func (m *measures) earlyAnswer(campaign string) time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.answer[campaign]; r != nil {
		return r.quantile(earlyAnswerQuantile)
	}
	return 0
}

const earlyAnswerQuantile = 0.2
