package dialer

import (
	"sync/atomic"

	"softswitch/domain"
	"softswitch/media/detect"
)

// Announcement is a carrier's recorded announcement the operator loads
// (dialer.announcements): hearing it in a callee's early media ends the
// attempt with Outcome. Labels name the recording (e.g. "cmcc/空号").
type Announcement struct {
	Label   string
	Outcome string
	PCM     []int16 // 8 kHz mono linear
}

// Outcomes an announcement may mean.
var announcementOutcomes = map[string]bool{domain.AttemptInvalid: true, domain.AttemptPoweredOff: true,
	domain.AttemptBusy: true, domain.AttemptNoAnswer: true, domain.AttemptCongestion: true}

// earlyVerdict is what a callee's early media said.
type earlyVerdict struct {
	outcome    string
	what       string // "busy_tone", "congestion_tone", or the announcement's label
	confidence float64
	atMS       int64 // audio heard before the verdict
}

// earlyMedia classifies one attempt's early media (issue 15 §4): busy and
// congestion tones by cadence (450 Hz), announcements against the loaded
// references. Chinese carriers often answer an unreachable number this
// way, with no useful SIP code; a verdict ends the attempt early instead
// of ringing out. feed runs on the media goroutine; the verdict is sent
// once.
type earlyMedia struct {
	tone     *detect.ToneDetector
	match    *detect.Matcher
	outcomes map[string]string // label → outcome
	sent     atomic.Bool
	verdict  chan earlyVerdict
}

func (d *Dialer) newEarlyMedia() *earlyMedia {
	tone, err := detect.NewToneDetector(detect.ToneConfig{})
	if err != nil {
		panic(err) // the zero config is China's defaults: a programming error
	}
	e := &earlyMedia{tone: tone, outcomes: d.annOutcomes, verdict: make(chan earlyVerdict, 1)}
	if d.announcements != nil {
		e.match = d.announcements.NewMatcher()
	}
	return e
}

// feed takes one packet's worth of the callee's audio.
func (e *earlyMedia) feed(pcm []int16) {
	if e.sent.Load() {
		return // decided: nothing more to classify
	}
	e.tone.Feed(pcm)
	switch r := e.tone.Result(); r.Kind {
	case detect.Busy:
		e.decide(earlyVerdict{outcome: domain.AttemptBusy, what: "busy_tone", confidence: r.Confidence, atMS: r.At / 8})
		return
	case detect.Congestion:
		e.decide(earlyVerdict{outcome: domain.AttemptCongestion, what: "congestion_tone", confidence: r.Confidence, atMS: r.At / 8})
		return
	}
	if e.match == nil {
		return
	}
	e.match.Feed(pcm)
	if m, ok := e.match.Result(); ok {
		e.decide(earlyVerdict{outcome: e.outcomes[m.Label], what: m.Label, confidence: m.Confidence, atMS: m.At / 8})
	}
}

func (e *earlyMedia) decide(v earlyVerdict) {
	if e.sent.CompareAndSwap(false, true) {
		e.verdict <- v // buffered: never blocks the media goroutine
	}
}
