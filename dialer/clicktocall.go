package dialer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"softswitch/domain"
	"softswitch/media"
)

// attempt is one click-to-call on its goroutine; mu guards agg and end
// for Get.
type attempt struct {
	mu  sync.Mutex
	agg *domain.ClickToCall
	end domain.ClickToCallEnded
	// hangup ends the attempt from outside (Dialer.Hangup); closed once.
	hangup     chan struct{}
	hangupOnce sync.Once
}

func (a *attempt) status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	return Status{ID: a.agg.ID(), Agent: a.agg.Agent(), Number: a.agg.Number(), Steps: a.agg.Steps(),
		Outcome: a.agg.Outcome(), Code: a.end.Code, Reason: a.end.Reason, By: a.end.By}
}

// validNumber accepts what a carrier can be dialled with: digits, an
// optional leading +, 3 to 20 of them. The switch normalizes and routes it
// (and refuses what its policy refuses) like any other call's callee.
func validNumber(n string) bool {
	if len(n) > 0 && n[0] == '+' {
		n = n[1:]
	}
	if len(n) < 3 || len(n) > 20 {
		return false
	}
	for _, r := range n {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ClickToCall rings agent (a subscriber), then dials number, then bridges
// them (RFC 3725 §4.1, with the dialer's relay as the media point of both
// legs). It returns the attempt's id once its request is durable; the
// attempt goes on without the caller.
func (d *Dialer) ClickToCall(ctx context.Context, agent, number, by string) (string, error) {
	switch {
	case agent == "" || !d.cfg.IsSubscriber(agent):
		return "", fmt.Errorf("%w: agent: %q is not a subscriber", ErrInvalid, agent)
	case !validNumber(number):
		return "", fmt.Errorf("%w: number: %q is not a number (digits, an optional +, 3 to 20)", ErrInvalid, number)
	}
	select {
	case <-d.stop:
		return "", ErrStopped
	default:
	}
	agg, err := domain.NewClickToCall(domain.ClickToCallRequested{ID: d.cfg.NewID(), Agent: agent, Number: number, By: by}, d.rec.Now())
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := d.rec.Record(ctx, agg.Pending()...); err != nil {
		return "", err
	}
	a := &attempt{agg: agg, hangup: make(chan struct{})}
	d.track(a)
	d.wg.Add(1)
	go d.run(a)
	return agg.ID(), nil
}

// step records one step of a; a failure to record is logged: the legs
// are ordinary calls of the switch's, with their own durable events.
func (d *Dialer) step(a *attempt, step, sipCallID string) {
	a.mu.Lock()
	err := a.agg.Step(step, sipCallID, d.rec.Now())
	recs := a.agg.Pending()
	a.mu.Unlock()
	if err == nil {
		err = d.rec.Record(context.Background(), recs...)
	}
	if err != nil {
		d.log.Error("dialer: step not recorded", "attempt", a.agg.ID(), "step", step, "error", err)
	}
}

func (d *Dialer) finish(a *attempt, e domain.ClickToCallEnded) {
	a.mu.Lock()
	a.agg.End(e, d.rec.Now())
	a.end = e
	recs := a.agg.Pending()
	a.mu.Unlock()
	if err := d.rec.Record(context.Background(), recs...); err != nil {
		d.log.Error("dialer: end not recorded", "attempt", a.agg.ID(), "error", err)
	}
}

// failed turns a leg's failure into the attempt's end.
func failed(outcome string, err error) domain.ClickToCallEnded {
	e := domain.ClickToCallEnded{Outcome: outcome, Reason: err.Error()}
	var lf *legFailure
	if errors.As(err, &lf) && lf.code != 0 {
		e.Code, e.Reason = lf.code, lf.reason
	}
	return e
}

func (d *Dialer) run(a *attempt) {
	defer d.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-d.stop:
		case <-a.hangup:
		case <-ctx.Done():
			return
		}
		cancel()
	}()
	sess, err := media.NewSession(ctx, d.pool, media.SessionConfig{Logger: d.log})
	if err != nil {
		d.finish(a, domain.ClickToCallEnded{Outcome: domain.OutcomeMediaFailed, Reason: err.Error()})
		return
	}
	defer sess.Close()

	// The agent first: the agent hears the number ring, as a caller would.
	rtp, rtcp := sess.Local(media.A)
	d.step(a, domain.StepAgentDialing, "")
	ringCtx, stopRing := context.WithTimeout(ctx, d.cfg.RingTimeout)
	agent, err := d.ua.invite(ringCtx, "agent", a.agg.Agent(), a.agg.Number(), "", offer(rtp, rtcp, offerCodecs, 1), nil)
	stopRing()
	if err != nil {
		d.finish(a, d.stopped(ctx, failed(domain.OutcomeAgentFailed, err)))
		return
	}
	defer d.ua.hangup(context.WithoutCancel(ctx), agent)
	d.step(a, domain.StepAgentAnswered, agent.callID)
	codecs, err := d.apply(sess, media.A, agent.answer)
	if err != nil {
		d.finish(a, domain.ClickToCallEnded{Outcome: domain.OutcomeMediaFailed, Reason: "agent's answer: " + err.Error()})
		return
	}

	// Then the number, offered the agent's codec: the relay joins legs
	// that speak the same one, never transcoding. The agent hanging up
	// while it rings cancels it (RFC 3261 §9).
	rtp, rtcp = sess.Local(media.B)
	d.step(a, domain.StepNumberDialing, "")
	ringCtx, stopRing = context.WithTimeout(ctx, d.cfg.RingTimeout)
	go func() {
		select {
		case <-agent.bye:
			stopRing()
		case <-ringCtx.Done():
		}
	}()
	number, err := d.ua.invite(ringCtx, "number", a.agg.Number(), "", "", offer(rtp, rtcp, codecs, 2), nil)
	stopRing()
	if err != nil {
		e := failed(domain.OutcomeNumberFailed, err)
		select {
		case <-agent.bye:
			e.By = "agent"
		default:
		}
		d.finish(a, d.stopped(ctx, e))
		return
	}
	defer d.ua.hangup(context.WithoutCancel(ctx), number)
	d.step(a, domain.StepNumberAnswered, number.callID)
	if _, err := d.apply(sess, media.B, number.answer); err != nil {
		d.finish(a, domain.ClickToCallEnded{Outcome: domain.OutcomeMediaFailed, Reason: "number's answer: " + err.Error()})
		return
	}
	d.step(a, domain.StepBridged, "")

	limit := time.NewTimer(d.cfg.MaxDuration)
	defer limit.Stop()
	e := domain.ClickToCallEnded{Outcome: domain.OutcomeCompleted}
	select {
	case <-agent.bye:
		e.By = "agent"
	case <-number.bye:
		e.By = "number"
	case <-limit.C:
		e.By, e.Reason = "switch", "max duration"
	case <-ctx.Done():
		e.By, e.Reason = "switch", "dialer stopped"
		select {
		case <-a.hangup:
			e.By, e.Reason = "api", "hung up through the API"
		default:
		}
	}
	// The deferred hangups send BYE to whichever leg is still up.
	d.finish(a, e)
}

// stopped tells a leg that failed because the dialer is stopping, or the
// attempt was hung up, from one that failed on its own.
func (d *Dialer) stopped(ctx context.Context, e domain.ClickToCallEnded) domain.ClickToCallEnded {
	if ctx.Err() == nil {
		return e
	}
	select {
	case <-d.stop:
		return domain.ClickToCallEnded{Outcome: domain.OutcomeDialerStopped, Reason: "dialer stopped"}
	default:
		e.By = "api"
		return e
	}
}

// Hangup ends an attempt: a leg ringing is cancelled, a leg up gets BYE.
func (d *Dialer) Hangup(id string) error {
	d.mu.Lock()
	a, ok := d.attempts[id]
	d.mu.Unlock()
	if !ok {
		return ErrNotFound
	}
	a.hangupOnce.Do(func() { close(a.hangup) })
	return nil
}

// apply points leg's relay at the SDP answer and returns the codecs it
// chose.
func (d *Dialer) apply(sess *media.Session, leg media.Leg, answer []byte) ([]media.PayloadType, error) {
	desc, err := media.ParseSDP(answer)
	if err != nil {
		return nil, err
	}
	if err := sess.SetRemote(leg, desc.Audio().Remote()); err != nil {
		return nil, err
	}
	return chosen(desc)
}
