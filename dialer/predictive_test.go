package dialer

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
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
		{"no idle agent, four nearly free", func(p *paceInputs) { p.idle, p.soonFree = 0, []float64{0.9, 0.9, 0.9, 0.9} }, 1, 11},
		{"agents about to be free add calls", func(p *paceInputs) { p.soonFree = []float64{1, 1, 1, 1, 1} }, 31, 45},
		{"under one agent expected free adds none", func(p *paceInputs) { p.idle, p.soonFree = 0, []float64{0.3, 0.5} }, 0, 0},
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
// ringing, talks of 20–60 s, an answer waiting up to 2 s for an agent as
// claimAgent does, a 3 % abandon cap. Over 500 answered calls (several
// seeds and answer rates) the abandon rate stays at or under the cap, the
// agents are busier than with one call per idle agent, and counting the
// agents about to be free (handle times) keeps them busier still, within
// the same cap.
func TestPredictiveAbandonCap(t *testing.T) {
	for _, p := range []float64{0.15, 0.3, 0.6} {
		for seed := uint64(1); seed <= 6; seed++ {
			prog := simulate(t, p, seed, simProgressive)
			pred := simulate(t, p, seed, simPredictive)
			aht := simulate(t, p, seed, simPredictiveAHT)
			for _, r := range []struct {
				name string
				res  simResult
			}{{"predictive", pred}, {"predictive with handle times", aht}} {
				if rate := float64(r.res.abandoned) / float64(r.res.answered); rate > 0.03 {
					t.Errorf("p=%v seed %d, %s: abandon rate %.4f over %d answered", p, seed, r.name, rate, r.res.answered)
				}
			}
			// With few answers predictive dialing keeps agents busier; when
			// most callees answer there is little to gain, but nothing to
			// lose either.
			if p <= 0.3 && pred.busy <= prog.busy+0.05 || pred.busy < prog.busy-0.02 {
				t.Errorf("p=%v seed %d: agents busy %.3f of the time, progressive %.3f", p, seed, pred.busy, prog.busy)
			}
			if aht.busy < pred.busy-0.01 {
				t.Errorf("p=%v seed %d: handle times made agents idler: %.3f vs %.3f", p, seed, aht.busy, pred.busy)
			}
			t.Logf("p=%v seed %d: occupancy %.3f progressive, %.3f predictive (abandon %d/%d), %.3f with handle times (abandon %d/%d)",
				p, seed, prog.busy, pred.busy, pred.abandoned, pred.answered, aht.busy, aht.abandoned, aht.answered)
		}
	}
}

type simMode int

const (
	simProgressive simMode = iota
	simPredictive
	simPredictiveAHT
)

type simResult struct {
	answered, abandoned int
	busy                float64 // share of agent-seconds on a call
}

func simulate(t *testing.T, p float64, seed uint64, mode simMode) simResult {
	rng := rand.New(rand.NewPCG(seed, 99))
	const agents, grace = 10, 2
	type call struct {
		placed, at int
		answer     bool
	}
	var ringing, waiting []call // waiting: answered, no agent yet
	busyFrom, busyUntil := make([]int, agents), make([]int, agents)
	var handles, answerDelays durations
	var res simResult
	attempts, answered := 0, 0
	busySeconds, total := 0, 0
	freeAgent := func(now int) int {
		for a := range busyUntil {
			if busyUntil[a] <= now {
				return a
			}
		}
		return -1
	}
	for now := 0; res.answered < 500 && now < 200000; now++ {
		// Calls that answer or fail now join those waiting for an agent.
		kept := ringing[:0]
		for _, c := range ringing {
			if c.at > now {
				kept = append(kept, c)
				continue
			}
			attempts++
			if c.answer {
				answered++
				res.answered++
				answerDelays.add(time.Duration(c.at-c.placed) * time.Second)
				waiting = append(waiting, c)
			}
		}
		ringing = kept
		stillWaiting := waiting[:0]
		for _, c := range waiting {
			a := freeAgent(now)
			switch {
			case a >= 0:
				talk := 20 + rng.IntN(41)
				busyFrom[a], busyUntil[a] = now, now+talk
				handles.add(time.Duration(talk) * time.Second)
			case now-c.at >= grace:
				res.abandoned++
			default:
				stillWaiting = append(stillWaiting, c)
			}
		}
		waiting = stillWaiting
		idle := 0
		var elapsed []time.Duration
		for a, u := range busyUntil {
			if u <= now {
				idle++
			} else {
				busySeconds++
				elapsed = append(elapsed, time.Duration(now-busyFrom[a])*time.Second)
			}
		}
		total += agents
		in := paceInputs{idle: idle, ringing: len(ringing) + len(waiting), attempts: attempts, answered: answered,
			answeredToday: res.answered, abandonedToday: res.abandoned, cap: 0.03, maxRatio: 3}
		n := max(0, idle-len(ringing)-len(waiting))
		switch mode {
		case simPredictive:
			n = predictiveCalls(in)
		case simPredictiveAHT:
			in.soonFree = soonFree(handles.v, elapsed, answerDelays.quantile(earlyAnswerQuantile)+grace*time.Second/2)
			n = predictiveCalls(in)
		}
		for range n {
			ringing = append(ringing, call{placed: now, at: now + 3 + rng.IntN(13), answer: rng.Float64() < p})
		}
	}
	res.busy = float64(busySeconds) / float64(total)
	return res
}

func TestFreeDist(t *testing.T) {
	got := freeDist([]float64{0.5, 0.5, 1})
	want := []float64{0, 0.25, 0.5, 0.25} // one sure, two coin flips
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("freeDist = %v, want %v", got, want)
		}
	}
	// With sure agents the share is abandonShare's with them idle.
	if a, b := abandonShareFree(12, 0.4, 2, freeDist([]float64{1, 1})), abandonShare(12, 0.4, 4); math.Abs(a-b) > 1e-12 {
		t.Fatalf("sure agents: %v, want %v", a, b)
	}
}

func TestSoonFree(t *testing.T) {
	flat := make([]time.Duration, 20) // every call took 30 s
	for i := range flat {
		flat[i] = 30 * time.Second
	}
	spread := make([]time.Duration, 20) // 10 s, 20 s, … 200 s
	for i := range spread {
		spread[i] = time.Duration(10*(i+1)) * time.Second
	}
	short := make([]time.Duration, 20) // 3 s calls
	for i := range short {
		short[i] = 3 * time.Second
	}
	s := time.Second
	tests := []struct {
		name             string
		handles, elapsed []time.Duration
		within           time.Duration
		want             float64
	}{
		{"too few samples: nothing predicted", flat[:minHandleSamples-1], []time.Duration{29 * s}, 5 * s, 0},
		{"near the end of a fixed-length call", flat, []time.Duration{26 * s}, 5 * s, 1},
		{"early in it", flat, []time.Duration{10 * s}, 5 * s, 0},
		{"past every call measured: unknown, not free", flat, []time.Duration{31 * s}, 5 * s, 0},
		{"two agents near the end", flat, []time.Duration{27 * s, 28 * s, 2 * s}, 5 * s, 2},
		{"spread: 2 of the 18 calls longer than 25 s end within 15 s more", spread, []time.Duration{25 * s}, 15 * s, 2.0 / 18},
		{"calls of seconds: release latency outweighs the prediction", short, []time.Duration{2 * s}, 5 * s, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got float64
			for _, q := range soonFree(tt.handles, tt.elapsed, tt.within) {
				got += q
			}
			if math.Abs(got-tt.want) > 1e-9 {
				t.Fatalf("Σ soonFree = %v, want %v", got, tt.want)
			}
		})
	}
}
