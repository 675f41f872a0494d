package dialer

import (
	"context"
	"time"

	"softswitch/domain"
	"softswitch/media"
)

// modeNotification is the notification mode's name (语音通知).
const modeNotification = "notification"

// paceNotification keeps up to the campaign's channels calls under way.
func (d *Dialer) paceNotification(ctx context.Context, run campaignRun, comp *compiled, now time.Time) {
	free := run.spec.Channels - d.inflightOf(run.spec.Name)
	for placed, decisions := 0, 0; placed < free && decisions < decisionsPerTick; decisions++ {
		lead, attempt, ok := d.campaigns.next(run.spec.Name, now, func(string) bool { return false })
		if !ok {
			return
		}
		if d.decide(ctx, run.spec, comp, lead, attempt, "", now) {
			placed++
		}
	}
}

// notify plays the campaign's prompt to an answered callee and, when the
// campaign asks for one, takes the first DTMF digit (RFC 4733) pressed
// while it plays or within digit_timeout_seconds after: the callee's
// answer. A digit stops the prompt (barge-in). The call is then hung up.
func (d *Dialer) notify(ctx context.Context, spec domain.CampaignSpec, sess *media.Session, callee *leg, digits <-chan string, end *domain.AttemptEnded) {
	end.Outcome = domain.AttemptNotified
	playCtx, stop := context.WithCancel(ctx)
	defer stop()
	played := make(chan struct{})
	go func() {
		defer close(played)
		if _, err := sess.Play(playCtx, media.B, d.cfg.Prompts[spec.Prompt]); err != nil && playCtx.Err() == nil {
			d.log.Info("dialer: prompt not played", "campaign", spec.Name, "lead", end.Lead, "error", err)
		}
	}()
	var timeout <-chan time.Time
	waitPlay := (<-chan struct{})(played)
	for {
		select {
		case dg := <-digits:
			if spec.CollectDigit {
				end.Digit, end.Reason = dg, "digit pressed"
				return
			}
		case <-waitPlay:
			if !spec.CollectDigit {
				end.Reason = "prompt played"
				return
			}
			waitPlay = nil
			timeout = time.After(time.Duration(spec.DigitTimeoutSeconds) * time.Second)
		case <-timeout:
			end.Reason = "no digit"
			return
		case <-callee.bye:
			end.Reason = "callee hung up"
			return
		case <-ctx.Done():
			end.Reason = "dialer stopped"
			return
		}
	}
}

func (d *Dialer) inflightDelta(campaign string, n int) {
	d.mu.Lock()
	d.inflight[campaign] += n
	d.mu.Unlock()
}

func (d *Dialer) inflightOf(campaign string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.inflight[campaign]
}
