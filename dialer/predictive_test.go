package dialer

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestAbandonShare(t *testing.T) {
	tests := []struct {
		n    int
		p    float64
		k    int
		want float64
	}{
		{5, 0.5, 5, 0},    // never more answers than agents
		{1, 1, 0, 1},      // one sure answer, no agent
		{2, 0.5, 1, 0.25}, // X=2 w.p. 1/4: 1 abandon of E[X]=1
		{10, 0.3, 100, 0}, // plenty of agents
		{100, 0.3, 0, 1},  // no agent: every answer abandoned
	}
	for _, tt := range tests {
		if got := abandonShare(tt.n, tt.p, tt.k); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("abandonShare(%d, %v, %d) = %v, want %v", tt.n, tt.p, tt.k, got, tt.want)
		}
	}
}

func TestPredictiveCallsTable(t *testing.T) {
	base := paceInputs{idle: 10, attempts: 200, answered: 60, cap: 0.03, maxRatio: 3}
	tests := []struct {
		name     string
		change   func(*paceInputs)
		min, max int
	}{
		{"no idle agent", func(p *paceInputs) { p.idle = 0 }, 0, 0},
		{"too few observations: progressive", func(p *paceInputs) { p.attempts, p.answered = 5, 1 }, 10, 10},
		{"a 30 % answer rate dials more than the agents", func(p *paceInputs) {}, 11, 30},
		{"at most maxRatio per idle agent", func(p *paceInputs) { p.answered = 2 }, 30, 30},
		{"calls ringing count", func(p *paceInputs) { p.ringing = 40 }, 0, 0},
		{"the day at the cap: progressive", func(p *paceInputs) { p.answeredToday, p.abandonedToday = 100, 3 }, 10, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base
			tt.change(&in)
			if got := predictiveCalls(in); got < tt.min || got > tt.max {
				t.Fatalf("predictiveCalls = %d, want %d..%d", got, tt.min, tt.max)
			}
		})
	}
}

// TestPredictiveAbandonCap simulates a predictive campaign, one-second
// ticks: 10 agents, callees who answer with probability p after 3–15 s of
// ringing, talks of 20–60 s, a 3 % abandon cap. Over 500 answered calls
// (several seeds and answer rates) the abandon rate stays at or under the
// cap, and the agents are busier than with one call per idle agent.
func TestPredictiveAbandonCap(t *testing.T) {
	for _, p := range []float64{0.15, 0.3, 0.6} {
		for seed := uint64(1); seed <= 3; seed++ {
			pred := simulate(t, p, seed, true)
			prog := simulate(t, p, seed, false)
			rate := float64(pred.abandoned) / float64(pred.answered)
			if rate > 0.03 {
				t.Errorf("p=%v seed %d: abandon rate %.4f over %d answered", p, seed, rate, pred.answered)
			}
			// With few answers predictive dialing keeps agents busier; when
			// most callees answer there is little to gain, but nothing to
			// lose either.
			if p <= 0.3 && pred.busy <= prog.busy+0.05 || pred.busy < prog.busy-0.02 {
				t.Errorf("p=%v seed %d: agents busy %.3f of the time, progressive %.3f", p, seed, pred.busy, prog.busy)
			}
			t.Logf("p=%v seed %d: abandon %.4f (%d/%d), agent occupancy %.2f vs progressive %.2f", p, seed, rate, pred.abandoned, pred.answered, pred.busy, prog.busy)
		}
	}
}

type simResult struct {
	answered, abandoned int
	busy                float64 // share of agent-seconds on a call
}

func simulate(t *testing.T, p float64, seed uint64, predictive bool) simResult {
	rng := rand.New(rand.NewPCG(seed, 99))
	const agents = 10
	var ringing []struct {
		at     int
		answer bool
	}
	busyUntil := make([]int, agents)
	var res simResult
	attempts, answered := 0, 0
	busySeconds, total := 0, 0
	for now := 0; res.answered < 500 && now < 200000; now++ {
		// Calls that answer or fail now.
		kept := ringing[:0]
		for _, c := range ringing {
			if c.at > now {
				kept = append(kept, c)
				continue
			}
			attempts++
			if !c.answer {
				continue
			}
			answered++
			res.answered++
			agent := -1
			for a := range busyUntil {
				if busyUntil[a] <= now {
					agent = a
					break
				}
			}
			if agent < 0 {
				res.abandoned++
				continue
			}
			busyUntil[agent] = now + 20 + rng.IntN(41)
		}
		ringing = kept
		idle := 0
		for _, u := range busyUntil {
			if u <= now {
				idle++
			} else {
				busySeconds++
			}
		}
		total += agents
		n := max(0, idle-len(ringing))
		if predictive {
			n = predictiveCalls(paceInputs{idle: idle, ringing: len(ringing), attempts: attempts, answered: answered,
				answeredToday: res.answered, abandonedToday: res.abandoned, cap: 0.03, maxRatio: 3})
		}
		for range n {
			ringing = append(ringing, struct {
				at     int
				answer bool
			}{now + 3 + rng.IntN(13), rng.Float64() < p})
		}
	}
	res.busy = float64(busySeconds) / float64(total)
	return res
}
