package dialer

import (
	"context"
	"time"

	"softswitch/domain"
)

// modePredictive is the predictive mode's name in a campaign spec.
const modePredictive = "predictive"

// Predictive defaults: the FCC's 3 % abandon cap, and at most three calls
// per idle agent.
const (
	defaultAbandonCapPercent = 3
	defaultMaxRatio          = 3
)

// pacePredictive places as many calls as predictiveCalls allows for the
// campaign's idle agents; agents are claimed when a callee answers.
func (d *Dialer) pacePredictive(ctx context.Context, run campaignRun, comp *compiled, now time.Time) {
	idle := 0
	for _, a := range run.agents {
		if d.agentFree(a, now) {
			idle++
		}
	}
	st := d.campaigns.paceStats(run.spec.Name, now)
	// Agents about to be free count too (predictive.go): an answer waits
	// up to agentAnswerWithin for one, of which half is counted on — the
	// other half is the margin for an agent's release to reach the dialer
	// (its BYE, the attempt's end recorded, the switch's call closed) and
	// for a loaded machine.
	within := d.measures.earlyAnswer(run.spec.Name) + agentAnswerWithin/2
	soon := soonFree(d.measures.handles(run.spec.Name), d.busyFor(run.agents, now), within)
	n := predictiveCalls(paceInputs{idle: idle, ringing: d.ringingOf(run.spec.Name), attempts: st.attempts, answered: st.answered,
		answeredToday: st.answeredToday, abandonedToday: st.abandonedToday,
		cap: run.spec.AbandonCapPercent / 100, maxRatio: run.spec.MaxRatio, soonFree: soon})
	for placed, decisions := 0, 0; placed < n && decisions < decisionsPerTick; decisions++ {
		lead, attempt, ok := d.campaigns.next(run.spec.Name, now, func(string) bool { return false })
		if !ok {
			return
		}
		if d.decide(ctx, run.spec, comp, lead, attempt, "", now) {
			placed++
		}
	}
}

// claimAgent reserves the first of the campaign's logged-in agents to be
// free within agentAnswerWithin; "" if none is, or the callee hangs up or
// the dialer stops first.
func (d *Dialer) claimAgent(ctx context.Context, spec domain.CampaignSpec, callee *leg) string {
	deadline := time.NewTimer(agentAnswerWithin)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, a := range d.campaigns.loggedIn(spec.Name) {
			if d.tryReserve(a) {
				return a
			}
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			return ""
		case <-callee.bye:
			return ""
		case <-ctx.Done():
			return ""
		}
	}
}

// tryReserve reserves agent if it is free now (agentFree and reserve in
// one step, so two answered calls never get one agent).
func (d *Dialer) tryReserve(agent string) bool {
	now := d.rec.Now()
	if d.cfg.IsRegistered != nil && !d.cfg.IsRegistered(agent) || d.cfg.OnCall != nil && d.cfg.OnCall(agent) {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.agents[agent]
	if st.busy || now.Before(st.wrapUntil) {
		return false
	}
	d.agents[agent] = agentState{busy: true, since: now}
	return true
}

func (d *Dialer) ringingDelta(campaign string, n int) {
	d.mu.Lock()
	d.ringing[campaign] += n
	d.mu.Unlock()
}

func (d *Dialer) ringingOf(campaign string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ringing[campaign]
}
