package detect

import (
	"fmt"
	"math"
)

// maxFreqs bounds the filter bank so the detector is one fixed-size value.
const maxFreqs = 4

// ToneDetector classifies call-progress tones by cadence. One per stream;
// not safe for concurrent use. Feed does not allocate.
type ToneDetector struct {
	filt     [maxFreqs]goertzel
	nf       int
	minRatio float64
	minE     float64 // MinLevel² · FrameSamples
	cad      []cadenceState
	silenceN int // blocks
	fr       framer

	blocks   int64 // blocks analysed
	on       bool  // current segment is tone
	segLen   int   // blocks in the current segment
	segFirst bool  // current segment began at the first block: partial
	silent   int   // consecutive silent blocks
	res      Result
}

// cadenceState follows one Cadence: bounds in blocks and the run of
// consecutive segments that fit.
type cadenceState struct {
	Cadence
	onLo, onHi, offLo, offHi int
	run                      int
	close                    float64 // Σ closeness over the run
}

// NewToneDetector returns a detector for cfg (zero fields take defaults).
func NewToneDetector(cfg ToneConfig) (*ToneDetector, error) {
	if len(cfg.Freqs) == 0 {
		cfg.Freqs = []float64{450}
	}
	if cfg.MinRatio == 0 {
		cfg.MinRatio = 0.5
	}
	if cfg.MinLevel == 0 {
		cfg.MinLevel = 50
	}
	if cfg.Cadences == nil {
		cfg.Cadences = ChinaCadences
	}
	if cfg.Tolerance == 0 {
		cfg.Tolerance = 0.2
	}
	if cfg.SilenceMS == 0 {
		cfg.SilenceMS = 6000
	}
	if len(cfg.Freqs) > maxFreqs || cfg.MinRatio < 0 || cfg.MinLevel < 0 ||
		cfg.Tolerance < 0 || cfg.Tolerance >= 1 || cfg.SilenceMS < 0 {
		return nil, fmt.Errorf("%w: %d freqs (max %d), ratio %v, level %v, tolerance %v",
			errToneConfig, len(cfg.Freqs), maxFreqs, cfg.MinRatio, cfg.MinLevel, cfg.Tolerance)
	}
	d := &ToneDetector{nf: len(cfg.Freqs), minRatio: cfg.MinRatio,
		minE: cfg.MinLevel * cfg.MinLevel * FrameSamples, silenceN: cfg.SilenceMS / frameMS}
	for i, f := range cfg.Freqs {
		if f <= 0 || f >= SampleRate/2 {
			return nil, fmt.Errorf("%w: frequency %v Hz", errToneConfig, f)
		}
		d.filt[i] = newGoertzel(f)
	}
	for _, c := range cfg.Cadences {
		if c.OnMS <= 0 || c.OffMS <= 0 || c.MinSegments <= 0 {
			return nil, fmt.Errorf("%w: cadence %+v", errToneConfig, c)
		}
		lo := func(ms int) int { return int(math.Floor(float64(ms)*(1-cfg.Tolerance)/frameMS)) - 1 }
		hi := func(ms int) int { return int(math.Ceil(float64(ms)*(1+cfg.Tolerance)/frameMS)) + 1 }
		d.cad = append(d.cad, cadenceState{Cadence: c,
			onLo: lo(c.OnMS), onHi: hi(c.OnMS), offLo: lo(c.OffMS), offHi: hi(c.OffMS)})
	}
	return d, nil
}

// Feed analyses the next samples (normally one 20 ms frame).
func (d *ToneDetector) Feed(frame []int16) { d.fr.feed(frame, d.block) }

// Result is the current decision.
func (d *ToneDetector) Result() Result { return d.res }

// InTone reports whether the last block was tone. A caller running a
// Matcher too can skip it on such blocks: a prompt is not a pure tone,
// and the matcher is the expensive stage.
func (d *ToneDetector) InTone() bool { return d.blocks > 0 && d.on }

func (d *ToneDetector) block(x []int16) {
	e := energy(x)
	tone := false
	if e >= d.minE {
		var p float64
		for _, g := range d.filt[:d.nf] {
			p += g.power(x)
		}
		// 2P/(N·E) is 1 for a pure sinusoid on the filter's frequency.
		tone = 2*p/(FrameSamples*e) >= d.minRatio
		d.silent = 0
	} else {
		d.silent++
	}
	if d.blocks == 0 {
		d.on, d.segFirst = tone, true
	} else if tone != d.on {
		d.closeSegment()
		d.on, d.segLen, d.segFirst = tone, 0, false
	}
	d.segLen++
	d.blocks++
	d.decide()
}

// closeSegment scores the segment that just ended against every cadence.
// A segment that began with the stream is partial and proves nothing.
func (d *ToneDetector) closeSegment() {
	if d.segFirst {
		return
	}
	for i := range d.cad {
		c := &d.cad[i]
		if ok, cl := c.fits(d.on, d.segLen); ok {
			c.run++
			c.close += cl
		} else {
			c.run, c.close = 0, 0
		}
	}
}

// fits reports whether a segment of n blocks fits the cadence, and how
// closely: 1 on nominal, 0.5 at the tolerance bound.
func (c *cadenceState) fits(on bool, n int) (bool, float64) {
	lo, hi, nom := c.offLo, c.offHi, c.OffMS
	if on {
		lo, hi, nom = c.onLo, c.onHi, c.OnMS
	}
	if n < lo || n > hi {
		return false, 0
	}
	dev := math.Abs(float64(n*frameMS-nom)) / float64(nom)
	span := float64(hi*frameMS-nom) / float64(nom)
	return true, 1 - 0.5*math.Min(1, dev/span)
}

// decide picks the best cadence whose run, counting the segment in
// progress once it is long enough, has reached MinSegments.
func (d *ToneDetector) decide() {
	kind, conf := Unknown, 0.0
	for i := range d.cad {
		c := &d.cad[i]
		run, cl := c.run, c.close
		lo, hi := c.offLo, c.offHi
		if d.on {
			lo, hi = c.onLo, c.onHi
		}
		if d.segLen > hi && !d.segFirst {
			c.run, c.close = 0, 0 // the segment in progress already broke it
			continue
		}
		if !d.segFirst && d.segLen >= lo {
			_, x := c.fits(d.on, d.segLen)
			run, cl = run+1, cl+x
		}
		if run >= c.MinSegments {
			if x := cl / float64(run) * float64(run) / float64(run+1); x > conf {
				kind, conf = c.Kind, x
			}
		}
	}
	if kind == Unknown && d.silenceN > 0 && d.silent >= d.silenceN {
		kind, conf = Silence, 1
	}
	if kind != d.res.Kind {
		d.res.At = d.blocks * FrameSamples
	}
	d.res.Kind, d.res.Confidence = kind, conf
}
