package dialer

import "math"

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
}

// minObservations before the answer rate is trusted at all: until then
// the dialer calls one number per idle agent, as progressive dialing does.
const minObservations = 20

// predictiveCalls is how many new calls to place now.
func predictiveCalls(in paceInputs) int {
	if in.idle <= 0 {
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
	limit := int(math.Ceil(float64(in.idle)*in.maxRatio)) - in.ringing
	best := max(0, in.idle-in.ringing)
	for n := best + 1; n <= limit; n++ {
		if abandonShare(in.ringing+n, p, in.idle) > target {
			break
		}
		best = n
	}
	return min(best, max(0, limit))
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
