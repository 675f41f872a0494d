package dialer

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"time"

	"softswitch/dialer/compliance"
	"softswitch/domain"
	"softswitch/interconnect/number"
	"softswitch/media"
	"softswitch/media/detect"
)

// paceEvery is how often the pacing loop looks for idle agents; with
// progressive dialing (one call per idle agent) it bounds how long an
// agent waits after wrap-up.
const paceEvery = 200 * time.Millisecond

// agentAnswerWithin is how long an answered callee waits for the reserved
// agent's phone to answer before the call counts as abandoned (the issue's
// 2 s: an agent's phone in a campaign auto-answers).
const agentAnswerWithin = 2 * time.Second

// reasonKnownInvalid refuses a lead whose number an earlier attempt, of
// any campaign, found vacant.
const reasonKnownInvalid = "known_invalid"

// decisionsPerTick bounds the refusals one campaign's tick records (a list
// of leads all outside hours must not flood the journal in one tick).
const decisionsPerTick = 200

// agentState is what the dialer knows of an agent beyond registration.
type agentState struct {
	busy       bool      // reserved for, or in, an attempt
	since      time.Time // when it was reserved: its handle time's start
	wrapUntil  time.Time // after an attempt, the agent's pause
	leadInHand string
}

// Run paces the running campaigns until ctx ends, then waits for the
// attempts it placed. It first ends the attempts a previous run left
// under way (recoverOrphans).
func (d *Dialer) Run(ctx context.Context) {
	d.recoverOrphans(ctx)
	t := time.NewTicker(paceEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.stop:
			return
		case <-t.C:
			d.pace(ctx)
		}
	}
}

// recoverOrphans ends, as cancelled and due again now, every attempt the
// journal shows decided and not ended: the previous run stopped or
// crashed under it. Its legs were the switch's calls, which the switch's
// own recovery closes with BYE and a CDR; the lead is neither lost (it
// would stay "dialing" for ever) nor dialled twice at once.
func (d *Dialer) recoverOrphans(ctx context.Context) {
	for _, o := range d.campaigns.orphans() {
		e := domain.AttemptEnded{Campaign: o.campaign, Lead: o.lead, Attempt: o.attempt, Outcome: domain.AttemptCancelled,
			Reason: "the dialer stopped under this attempt", RetryAt: d.rec.Now()}
		if err := d.emit(ctx, e); err != nil {
			d.log.Error("dialer: orphaned attempt not closed", "campaign", o.campaign, "lead", o.lead, "error", err)
			continue
		}
		d.log.Warn("dialer: closed an attempt the previous run left under way", "campaign", o.campaign, "lead", o.lead)
	}
}

// pace gives every idle agent of every running campaign its next lead.
func (d *Dialer) pace(ctx context.Context) {
	now := d.rec.Now()
	for _, run := range d.campaigns.running() {
		comp, err := d.compiledFor(run.spec)
		if err != nil {
			d.log.Error("dialer: campaign rules do not compile", "campaign", run.spec.Name, "error", err)
			continue
		}
		switch run.spec.Mode {
		case modePreview:
			continue // an agent asks for each lead (PreviewNext)
		case modePredictive:
			d.pacePredictive(ctx, run, comp, now)
			continue
		case modeNotification:
			d.paceNotification(ctx, run, comp, now)
			continue
		}
		decisions := 0
		for _, agent := range run.agents {
			for decisions < decisionsPerTick && d.agentFree(agent, now) {
				lead, attempt, ok := d.campaigns.next(run.spec.Name, now, func(id string) bool { return false })
				if !ok {
					break
				}
				decisions++
				if d.decide(ctx, run.spec, comp, lead, attempt, agent, now) {
					break // this agent is taken
				}
			}
		}
	}
}

// decide takes the dialing decision for lead at now, records it, and
// places the attempt when allowed; it reports whether agent was taken.
func (d *Dialer) decide(ctx context.Context, spec domain.CampaignSpec, comp *compiled, lead domain.Lead, attempt int, agent string, now time.Time) bool {
	_, placed := d.decideAndPlace(ctx, spec, comp, lead, attempt, agent, now)
	return placed
}

// decideAndPlace is decide, returning the decision recorded too.
func (d *Dialer) decideAndPlace(ctx context.Context, spec domain.CampaignSpec, comp *compiled, lead domain.Lead, attempt int, agent string, now time.Time) (domain.AttemptDecided, bool) {
	n, err := number.Normalize(lead.Number)
	dec := compliance.Decision{Reason: compliance.ReasonInvalidNumber}
	switch {
	case err == nil && d.campaigns.knownInvalid(lead.Number):
		// Some campaign already learnt it is vacant (a 404, or the
		// carrier's announcement): dialling it again costs and says
		// nothing new.
		dec.Reason, dec.DNCVersion = reasonKnownInvalid, d.campaigns.DNCVersion()
	case err == nil:
		dec = comp.engine.Decide(now, compliance.Lead{ID: lead.ID, Number: n, Zone: lead.Zone, Carrier: comp.pool}, comp.campaign)
	}
	ev := domain.AttemptDecided{Campaign: spec.Name, Lead: lead.ID, Number: lead.Number, Attempt: attempt, Allowed: dec.Allowed,
		Reason: dec.Reason, RetryAt: dec.RetryAt, DNCVersion: dec.DNCVersion, HoursRule: dec.HoursRule, Zone: dec.Zone, CallerID: dec.CallerID}
	if dec.CapRule >= 0 && dec.CapRule < dec.NumCaps {
		b, _ := json.Marshal(dec.Caps[dec.CapRule])
		ev.CapRule = string(b)
	}
	if dec.Allowed && agent != "" {
		ev.Agent = agent
		d.reserve(agent, lead.ID)
	}
	if err := d.emit(ctx, ev); err != nil {
		// Not recorded, not placed: the lead stays pending.
		d.log.Error("dialer: decision not recorded", "campaign", spec.Name, "lead", lead.ID, "error", err)
		if dec.Allowed && agent != "" {
			d.release(agent, 0)
		}
		return ev, false
	}
	if !dec.Allowed {
		return ev, false
	}
	d.wg.Add(1)
	go d.placeAttempt(spec, comp, lead, ev, now)
	return ev, true
}

// compiledFor returns a running campaign's compliance rules, compiled once
// per definition.
func (d *Dialer) compiledFor(spec domain.CampaignSpec) (*compiled, error) {
	key, _ := json.Marshal(spec)
	d.mu.Lock()
	c, ok := d.compiledSpecs[spec.Name]
	d.mu.Unlock()
	if ok && c.key == string(key) {
		return c.comp, nil
	}
	comp, err := d.compile(spec)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.compiledSpecs[spec.Name] = compiledSpec{key: string(key), comp: comp}
	d.mu.Unlock()
	return comp, nil
}

type compiledSpec struct {
	key  string
	comp *compiled
}

// agentFree: registered, not in one of the dialer's attempts, out of
// wrap-up, and not on a call of its own.
func (d *Dialer) agentFree(agent string, now time.Time) bool {
	d.mu.Lock()
	st := d.agents[agent]
	d.mu.Unlock()
	if st.busy || now.Before(st.wrapUntil) {
		return false
	}
	if d.cfg.IsRegistered != nil && !d.cfg.IsRegistered(agent) {
		return false
	}
	return d.cfg.OnCall == nil || !d.cfg.OnCall(agent)
}

func (d *Dialer) reserve(agent, lead string) {
	d.mu.Lock()
	d.agents[agent] = agentState{busy: true, since: d.rec.Now(), leadInHand: lead}
	d.mu.Unlock()
}

// release frees agent after its wrap-up, and returns how long it was
// taken: from its reservation to the end of the wrap-up.
func (d *Dialer) release(agent string, wrapUp time.Duration) time.Duration {
	now := d.rec.Now()
	d.mu.Lock()
	since := d.agents[agent].since
	d.agents[agent] = agentState{wrapUntil: now.Add(wrapUp)}
	d.mu.Unlock()
	if since.IsZero() {
		return 0
	}
	return now.Sub(since) + wrapUp
}

// busyFor returns, for each of agents on an attempt now, how long it has
// been.
func (d *Dialer) busyFor(agents []string, now time.Time) []time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []time.Duration
	for _, a := range agents {
		if st := d.agents[a]; st.busy && !st.since.IsZero() {
			out = append(out, now.Sub(st.since))
		}
	}
	return out
}

// outcomeOf classifies a leg's failure (RFC 3261 §21 codes as carriers use
// them); ringing out (CANCEL, 487, or no answer at all) is no answer.
func outcomeOf(err error) (string, int, string) {
	var lf *legFailure
	if !errors.As(err, &lf) || lf.code == 0 {
		return domain.AttemptNoAnswer, 0, err.Error()
	}
	switch lf.code {
	case 486, 600:
		return domain.AttemptBusy, lf.code, lf.reason
	case 408, 480, 487:
		return domain.AttemptNoAnswer, lf.code, lf.reason
	case 404, 484, 604:
		return domain.AttemptInvalid, lf.code, lf.reason
	case 603:
		return domain.AttemptRejected, lf.code, lf.reason
	}
	return domain.AttemptCongestion, lf.code, lf.reason
}

// placeAttempt places one attempt: the number first (the callee's ring
// time is what pacing saves agents from), then, once it answers, the agent
// reserved for it (progressive) or the first agent free within 2 s
// (predictive: agent is ""), bridged through the dialer's relay.
func (d *Dialer) placeAttempt(spec domain.CampaignSpec, comp *compiled, lead domain.Lead, dec domain.AttemptDecided, dialedAt time.Time) {
	defer d.wg.Done()
	agent := dec.Agent
	d.inflightDelta(spec.Name, 1)
	defer d.inflightDelta(spec.Name, -1)
	ringing := agent == "" && spec.Mode == modePredictive
	if ringing {
		d.ringingDelta(spec.Name, 1)
	}
	resolved := func() { // the number answered or failed: no longer ringing
		if ringing {
			ringing = false
			d.ringingDelta(spec.Name, -1)
		}
	}
	defer resolved()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-d.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	end := domain.AttemptEnded{Campaign: spec.Name, Lead: lead.ID, Attempt: dec.Attempt, Agent: agent,
		Number: lead.Number, CallerID: dec.CallerID, DialedAt: dialedAt}
	defer func() {
		resolved()
		d.finishAttempt(spec, comp, &end)
		if agent != "" {
			took := d.release(agent, time.Duration(spec.WrapUpSeconds)*time.Second)
			if end.Outcome == domain.AttemptConnected && took > 0 {
				d.measures.addHandle(spec.Name, took)
			}
		}
	}()
	em := d.newEarlyMedia()
	var amd atomic.Pointer[amdRun]
	digits := make(chan string, 1) // a notification's answer
	sess, err := media.NewSession(ctx, d.pool, media.SessionConfig{Logger: d.log, OnDTMF: func(dt media.DTMF) {
		if dt.Leg == media.B {
			select {
			case digits <- dt.Digit:
			default: // the first digit is the answer
			}
		}
	}, OnAudio: func(l media.Leg, pcm []int16) {
		if l != media.B {
			return
		}
		em.feed(pcm) // the callee's side: its early media, before anyone hears it
		if r := amd.Load(); r != nil {
			r.feed(pcm) // and, once answered, who answered
		}
	}})
	if err != nil {
		end.Outcome, end.Reason = domain.AttemptCongestion, "dialer: "+err.Error()
		return
	}
	defer sess.Close()

	rtp, rtcp := sess.Local(media.B)
	ringCtx, stopRing := context.WithTimeout(ctx, time.Duration(spec.RingSeconds)*time.Second)
	var verdict *earlyVerdict
	heard := make(chan struct{})
	go func() {
		defer close(heard)
		select {
		case v := <-em.verdict:
			verdict = &v
			stopRing() // a verdict ends the ringing: CANCEL (RFC 3261 §9)
		case <-ringCtx.Done():
		}
	}()
	// A 183's SDP points the relay at the callee's early media, and tells
	// it which payload types are G.711, so the classifier hears them.
	early := func(sdp []byte) {
		if _, err := d.apply(sess, media.B, sdp); err != nil {
			d.log.Debug("dialer: early media SDP refused", "lead", lead.ID, "error", err)
		}
	}
	dialed := d.rec.Now()
	callee, err := d.ua.invite(ringCtx, "number", lead.Number, "", dec.CallerID, offer(rtp, rtcp, offerCodecs, 2), early)
	stopRing()
	<-heard
	resolved()
	em.sent.Store(true) // answered or not, classification is over
	if err != nil {
		end.Outcome, end.Code, end.Reason = outcomeOf(err)
		if lf, ok := errors.AsType[*legFailure](err); ok {
			end.CalleeCallID = lf.callID
		}
		switch {
		case verdict != nil:
			end.Outcome, end.Reason = verdict.outcome, "early media: "+verdict.what
			end.EarlyMedia, end.Confidence, end.DetectedMS = verdict.what, verdict.confidence, verdict.atMS
		case ctx.Err() != nil:
			end.Outcome = domain.AttemptCancelled
		}
		return
	}
	defer d.ua.hangup(context.WithoutCancel(ctx), callee)
	d.measures.addAnswer(spec.Name, d.rec.Now().Sub(dialed))
	end.SIPCallIDs = append(end.SIPCallIDs, callee.callID)
	end.CalleeCallID = callee.callID
	codecs, err := d.apply(sess, media.B, callee.answer)
	if err != nil {
		end.Outcome, end.Reason = domain.AttemptAbandoned, "callee's answer: "+err.Error()
		return
	}
	if spec.AMD == amdDrop || spec.AMD == amdPass || spec.AMD == amdMessage {
		r := newAMDRun()
		amd.Store(r)
		res, ok := d.awaitAMD(ctx, r, callee)
		if !ok {
			end.Outcome, end.Reason = domain.AttemptAbandoned, "callee hung up during answering-machine detection"
			return
		}
		end.AMD, end.AMDCause = res.Status.String(), res.Cause
		if res.Status == detect.Machine && spec.AMD == amdDrop {
			end.Outcome, end.Reason = domain.AttemptMachine, "answering machine: "+res.Cause
			return
		}
		if res.Status == detect.Machine && spec.AMD == amdMessage {
			d.leaveMessage(ctx, spec, sess, callee, r, &end)
			return
		}
	}

	if spec.Mode == modeNotification {
		d.notify(ctx, spec, sess, callee, digits, &end)
		return
	}
	if agent == "" {
		// Predictive: the call was placed for no one in particular; the
		// first agent free within 2 s takes it, else it is abandoned.
		if agent = d.claimAgent(ctx, spec, callee); agent == "" {
			end.Outcome, end.Reason = domain.AttemptAbandoned, "no agent free within 2 s"
			d.playAbandon(ctx, spec, sess, callee, &end)
			return
		}
		end.Agent = agent
	}
	rtp, rtcp = sess.Local(media.A)
	agentCtx, stopAgent := context.WithTimeout(ctx, agentAnswerWithin)
	go func() {
		select {
		case <-callee.bye:
			stopAgent()
		case <-agentCtx.Done():
		}
	}()
	ag, err := d.ua.invite(agentCtx, "agent", agent, lead.Number, "", offer(rtp, rtcp, codecs, 1), nil)
	stopAgent()
	if err != nil {
		// Answered, and no agent took it within 2 s: abandoned.
		end.Outcome, end.Reason = domain.AttemptAbandoned, "agent did not answer: "+err.Error()
		d.playAbandon(ctx, spec, sess, callee, &end)
		return
	}
	defer d.ua.hangup(context.WithoutCancel(ctx), ag)
	end.SIPCallIDs = append(end.SIPCallIDs, ag.callID)
	if _, err := d.apply(sess, media.A, ag.answer); err != nil {
		end.Outcome, end.Reason = domain.AttemptAbandoned, "agent's answer: "+err.Error()
		return
	}
	end.Outcome = domain.AttemptConnected
	select {
	case <-ag.bye:
		end.Reason = "agent hung up"
	case <-callee.bye:
		end.Reason = "callee hung up"
	case <-ctx.Done():
		end.Reason = "dialer stopped"
	}
}

// abandonPromptLimit bounds the message an abandoned callee hears.
const abandonPromptLimit = 15 * time.Second

// playAbandon plays the campaign's abandon_prompt, if it has one, to a
// callee no agent took (the FCC's abandoned-call message: who called and
// why), before the hang-up; end.Reason says it was played.
func (d *Dialer) playAbandon(ctx context.Context, spec domain.CampaignSpec, sess *media.Session, callee *leg, end *domain.AttemptEnded) {
	pcm, ok := d.cfg.Prompts[spec.AbandonPrompt]
	if spec.AbandonPrompt == "" || !ok {
		return
	}
	if n, err := playToCallee(ctx, sess, callee, pcm, abandonPromptLimit); n > 0 {
		end.Reason += "; message played"
		if err != nil {
			end.Reason += " in part"
		}
	}
}

// playToCallee plays pcm to the callee's side of sess for at most limit,
// stopping when the callee hangs up; Play's count and error.
func playToCallee(ctx context.Context, sess *media.Session, callee *leg, pcm []int16, limit time.Duration) (int, error) {
	playCtx, stop := context.WithTimeout(ctx, limit)
	defer stop()
	go func() {
		select {
		case <-callee.bye:
			stop()
		case <-playCtx.Done():
		}
	}()
	return sess.Play(playCtx, media.B, pcm)
}

// amdLimit bounds detection in wall-clock time: app_amd's 5 s of audio,
// plus a margin for a callee that sends no packets while silent (AMD's
// time is the audio fed).
const amdLimit = 6 * time.Second

// awaitAMD waits for r's decision; NOTSURE when the limit passes, ok
// false when the callee hangs up or the dialer stops first.
func (d *Dialer) awaitAMD(ctx context.Context, r *amdRun, callee *leg) (detect.AMDResult, bool) {
	t := time.NewTimer(amdLimit)
	defer t.Stop()
	select {
	case res := <-r.done:
		return res, true
	case <-t.C:
		r.sent.Store(true)
		return detect.AMDResult{Status: detect.NotSure, Cause: "TIMEOUT"}, true
	case <-callee.bye:
		return detect.AMDResult{}, false
	case <-ctx.Done():
		return detect.AMDResult{}, false
	}
}

// finishAttempt decides the lead's fate by the campaign's retry rules and
// records the attempt's end.
func (d *Dialer) finishAttempt(spec domain.CampaignSpec, comp *compiled, end *domain.AttemptEnded) {
	now := d.rec.Now()
	switch end.Outcome {
	case domain.AttemptConnected, domain.AttemptAbandoned, domain.AttemptNotified:
		end.Final = true
	case domain.AttemptMachine:
		// A machine's lead is retried by the campaign's answered_machine
		// rule, if it has one (compliance.OutcomeMachine), unless a
		// message was left on it.
		at, retry := comp.retry.Next(compliance.OutcomeMachine, end.Attempt, now)
		end.Final, end.RetryAt = !retry || end.MessageLeft, at
		if end.Final {
			end.RetryAt = time.Time{}
		}
	case domain.AttemptCancelled:
		// The dialer stopped under it: not the callee's doing, dialled
		// again (the same attempt number) once the dialer runs.
		end.RetryAt = now
	default:
		at, retry := comp.retry.Next(end.Outcome, end.Attempt, now)
		end.Final, end.RetryAt = !retry, at
	}
	if err := d.emit(context.Background(), *end); err != nil {
		d.log.Error("dialer: attempt end not recorded", "campaign", spec.Name, "lead", end.Lead, "error", err)
	}
}
