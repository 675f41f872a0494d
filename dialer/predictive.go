package dialer

import (
	"math"
	"slices"
	"time"
)

// Predictive pacing (issue 15 §2): dial more numbers than there are idle
// agents, because most do not answer, but never so many that the answers
// outnumber the agents more often than the abandon cap allows.
//
// VICIdial recomputes a dial ratio every few seconds from the measured
// answer rate and drops it when the day's abandon rate nears the FCC's
// 3 %. This model decides the number of calls itself, from the same
// inputs: with k idle agents, r calls already ringing, and an answer
// probability p, placing n more calls makes X ~ Binomial(r+n, p) answers;
// the answers no agent takes are max(0, X−k). It places the largest n whose
// expected abandons per expected answer, E[max(0, X−k)] / E[X], stay under
// the target, which the day's measured abandon rate lowers as it nears the
// cap. p is not the measured rate but the upper end of its Wilson interval
// (95 %): few observations make the dialer cautious, not bold.
//
// The agents that take those answers are the idle ones and, as in
// VICIdial, those about to be free: the average handle time says when a
// call on now should end. Rather than a mean, the model keeps the
// measured handle times (talk and wrap-up) and, for an agent e into its
// call, takes P(H ≤ e+T | H > e) from them — the share of past calls that
// lasted past e and ended within T more, T being how soon a call placed
// now may answer (the 20th percentile of measured times from dialing to an
// answer: the early answers, not the average one) plus half the 2 s an
// answer waits for an agent (the other half is margin for the agent's
// release to reach the dialer). Those probabilities are not rounded into a count of
// agents: how many of them are free in time is itself random (a Poisson
// binomial), and the expected abandons are taken over it, so an estimate
// of two agents "probably" free weighs as it should.

// paceInputs is what one pacing decision sees.
type paceInputs struct {
	idle     int // agents free now
	ringing  int // calls placed and not yet answered or failed
	attempts int // attempts with a known outcome, recent
	answered int // of which answered
	// answeredToday and abandonedToday measure the cap.
	answeredToday, abandonedToday int
	cap                           float64 // abandon cap, e.g. 0.03
	maxRatio                      float64 // most calls per idle agent, e.g. 3
	// soonFree are, per busy agent, the probabilities that it is free by
	// the time a call placed now is answered (soonFree below); none
	// without measures.
	soonFree []float64
}

// minHandleSamples before handle times are trusted to predict anything.
const minHandleSamples = 10

// minPredictableHandle is the shortest median handle time the prediction
// is made for. A handle time is measured from an agent's reservation to
// its release by the dialer, but the agent can take the next call only a
// little later (its BYE through the switch, the call closed in the
// switch's projection, the registration checked): about a second, more on
// a loaded machine. Against calls of minutes that is noise; against calls
// of a few seconds it is the whole prediction (an e2e run with 1 s talks
// abandoned 2 of 20 answers), so short-call campaigns count idle agents
// only.
const minPredictableHandle = 10 * time.Second

// soonFree is P(H ≤ e+within | H > e) for each busy agent's elapsed time
// e, from the measured handle times H (empirical, no model of their
// distribution); agents with no chance are left out. An agent past every
// measured call counts as not soon free: nothing says when it ends.
func soonFree(handles, elapsed []time.Duration, within time.Duration) []float64 {
	if len(handles) < minHandleSamples || median(handles) < minPredictableHandle {
		return nil
	}
	var out []float64
	for _, e := range elapsed {
		longer, endSoon := 0, 0
		for _, h := range handles {
			if h > e {
				longer++
				if h <= e+within {
					endSoon++
				}
			}
		}
		if endSoon > 0 {
			out = append(out, float64(endSoon)/float64(longer))
		}
	}
	return out
}

// median is the middle of ds (the upper one of an even count).
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// freeDist is the distribution of how many agents with free-in-time
// probabilities q are free in time: P(Y = y), a Poisson binomial.
func freeDist(q []float64) []float64 {
	d := []float64{1}
	for _, p := range q {
		nd := make([]float64, len(d)+1)
		for y, v := range d {
			nd[y] += v * (1 - p)
			nd[y+1] += v * p
		}
		d = nd
	}
	return d
}

// minObservations before the answer rate is trusted at all: until then
// the dialer calls one number per idle agent, as progressive dialing does.
const minObservations = 20

// predictiveCalls is how many new calls to place now.
func predictiveCalls(in paceInputs) int {
	var expected float64 // agents expected free in time, idle ones included
	for _, q := range in.soonFree {
		expected += q
	}
	expected += float64(in.idle)
	if in.idle <= 0 && expected < 1 {
		return 0
	}
	if in.attempts < minObservations {
		return max(0, in.idle-in.ringing)
	}
	p := wilsonUpper(in.answered, in.attempts)
	if p >= 1 {
		return max(0, in.idle-in.ringing)
	}
	target := in.cap
	if in.answeredToday > 0 {
		// Spend what is left of the day's allowance, and only half of the
		// cap per decision: a day already at the cap dials as
		// progressive does.
		rate := float64(in.abandonedToday) / float64(in.answeredToday)
		target = min(in.cap/2, max(0, in.cap-rate))
	} else {
		target = in.cap / 2
	}
	limit := int(math.Ceil(expected*in.maxRatio)) - in.ringing
	best := max(0, in.idle-in.ringing)
	dist := freeDist(in.soonFree)
	// The expected abandons grow with n: the largest n under the target
	// is found by bisection.
	lo, hi := best, limit
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if abandonShareFree(in.ringing+mid, p, in.idle, dist) > target {
			hi = mid - 1
		} else {
			lo = mid
		}
	}
	return min(max(best, lo), max(0, limit))
}

// abandonShareFree is abandonShare with k idle agents and a random number
// more free in time, distributed as dist.
func abandonShareFree(n int, p float64, k int, dist []float64) float64 {
	var s float64
	for y, py := range dist {
		if py > 1e-9 {
			s += py * abandonShare(n, p, k+y)
		}
	}
	return s
}

// abandonShare is E[max(0, X−k)] / E[X] for X ~ Binomial(n, p).
func abandonShare(n int, p float64, k int) float64 {
	if n <= k || p <= 0 {
		return 0
	}
	// Walk the binomial pmf from x = 0 (log space: n may be in the
	// hundreds and p small).
	lp, lq := math.Log(p), math.Log1p(-p)
	var excess float64
	lgN, _ := math.Lgamma(float64(n + 1))
	for x := k + 1; x <= n; x++ {
		lgx, _ := math.Lgamma(float64(x + 1))
		lgnx, _ := math.Lgamma(float64(n - x + 1))
		excess += float64(x-k) * math.Exp(lgN-lgx-lgnx+float64(x)*lp+float64(n-x)*lq)
	}
	return excess / (float64(n) * p)
}

// wilsonUpper is the upper bound of the 95 % Wilson score interval of a
// proportion.
func wilsonUpper(successes, n int) float64 {
	if n == 0 {
		return 1
	}
	const z = 1.96
	ph := float64(successes) / float64(n)
	nf := float64(n)
	centre := ph + z*z/(2*nf)
	margin := z * math.Sqrt(ph*(1-ph)/nf+z*z/(4*nf*nf))
	return min(1, (centre+margin)/(1+z*z/nf))
}
