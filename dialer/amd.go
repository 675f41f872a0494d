package dialer

import (
	"sync/atomic"

	"softswitch/media/detect"
)

// AMD modes of a campaign (issue 15 §5).
const (
	amdOff  = "off"  // no detection: every answer goes to an agent
	amdDrop = "drop" // a machine is hung up: outcome answered_machine
	amdPass = "pass" // detected and recorded, the call still goes to an agent
)

// amdRun is answering-machine detection on one answered callee, fed the
// callee's audio on the media goroutine (Asterisk app_amd's rules and
// defaults: media/detect.AMD); the decision is sent once.
type amdRun struct {
	a    *detect.AMD
	sent atomic.Bool
	done chan detect.AMDResult
}

func newAMDRun() *amdRun {
	return &amdRun{a: detect.NewAMD(detect.AMDConfig{}), done: make(chan detect.AMDResult, 1)}
}

func (r *amdRun) feed(pcm []int16) {
	if r.sent.Load() {
		return
	}
	r.a.Feed(pcm)
	if res := r.a.Result(); res.Status != detect.Pending && r.sent.CompareAndSwap(false, true) {
		r.done <- res
	}
}
