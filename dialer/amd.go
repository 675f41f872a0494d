package dialer

import (
	"context"
	"sync/atomic"
	"time"

	"softswitch/domain"
	"softswitch/media"
	"softswitch/media/detect"
)

// AMD modes of a campaign (issue 15 §5).
const (
	amdOff  = "off"  // no detection: every answer goes to an agent
	amdDrop = "drop" // a machine is hung up: outcome answered_machine
	amdPass = "pass" // detected and recorded, the call still goes to an agent
	// amdMessage leaves the campaign's machine_prompt on a machine once
	// its greeting ends (VICIdial's "AM message"), then hangs up.
	amdMessage = "message"
)

// greetingEndSilence is the silence after which a machine's greeting has
// ended and its recording begun: app_amd's after-greeting silence.
const greetingEndSilence = 800 * time.Millisecond

// amdRun is answering-machine detection on one answered callee, fed the
// callee's audio on the media goroutine (Asterisk app_amd's rules and
// defaults: media/detect.AMD); the decision is sent once.
//
// After the decision it keeps listening for the end of a machine's
// greeting: greetingEnd is closed at the first greetingEndSilence of
// silence (frames whose mean |sample| is under app_amd's silence
// threshold), when the machine starts recording.
type amdRun struct {
	a    *detect.AMD
	sent atomic.Bool
	done chan detect.AMDResult

	quiet       time.Duration // silence so far; the media goroutine's alone
	ended       atomic.Bool
	greetingEnd chan struct{}
}

func newAMDRun() *amdRun {
	return &amdRun{a: detect.NewAMD(detect.AMDConfig{}), done: make(chan detect.AMDResult, 1), greetingEnd: make(chan struct{})}
}

func (r *amdRun) feed(pcm []int16) {
	if !r.sent.Load() {
		r.a.Feed(pcm)
		if res := r.a.Result(); res.Status != detect.Pending && r.sent.CompareAndSwap(false, true) {
			r.done <- res
		}
		return
	}
	if r.ended.Load() || len(pcm) == 0 {
		return
	}
	var sum int
	for _, v := range pcm {
		sum += max(int(v), -int(v))
	}
	if sum/len(pcm) >= silenceThreshold {
		r.quiet = 0
		return
	}
	r.quiet += time.Duration(len(pcm)) * time.Second / 8000
	if r.quiet >= greetingEndSilence && r.ended.CompareAndSwap(false, true) {
		close(r.greetingEnd)
	}
}

// silenceThreshold is app_amd's: mean |sample| (16-bit) below it is silent.
const silenceThreshold = 256

// machineGreetingLimit bounds the wait for a machine's greeting to end;
// machinePromptLimit the message left on it.
const (
	machineGreetingLimit = 20 * time.Second
	machinePromptLimit   = 60 * time.Second
)

// leaveMessage waits for a machine's greeting to end (r.greetingEnd),
// plays the campaign's machine_prompt into its recording and records
// whether it was played to its end; the caller hangs up.
func (d *Dialer) leaveMessage(ctx context.Context, spec domain.CampaignSpec, sess *media.Session, callee *leg, r *amdRun, end *domain.AttemptEnded) {
	end.Outcome = domain.AttemptMachine
	wait := time.NewTimer(machineGreetingLimit)
	defer wait.Stop()
	select {
	case <-r.greetingEnd:
	case <-wait.C:
		end.Reason = "answering machine: its greeting did not end; no message left"
		return
	case <-callee.bye:
		end.Reason = "answering machine hung up before the message"
		return
	case <-ctx.Done():
		end.Reason = "dialer stopped"
		return
	}
	if _, err := playToCallee(ctx, sess, callee, d.cfg.Prompts[spec.MachinePrompt], machinePromptLimit); err != nil {
		end.Reason = "answering machine: message cut short: " + err.Error()
		return
	}
	end.MessageLeft, end.Reason = true, "answering machine: message left"
}
