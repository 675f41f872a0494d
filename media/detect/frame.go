package detect

import "math"

// Input model shared by the detectors: 8 kHz mono linear PCM, analysed in
// blocks of 20 ms. Time is the number of samples fed so far; there is no
// clock.
const (
	// SampleRate is the only rate the detectors accept.
	SampleRate = 8000
	// FrameSamples is one analysis block: 20 ms, one RTP packet of G.711
	// at the usual ptime.
	FrameSamples = 160
	frameMS      = 1000 * FrameSamples / SampleRate
)

// framer cuts whatever the caller feeds into FrameSamples blocks, so a
// packet of another ptime (10, 30 ms) or a torn one still lands on the
// same 20 ms grid. The common case, one aligned 160-sample frame, is
// handed through without a copy.
type framer struct {
	buf [FrameSamples]int16
	n   int
}

func (f *framer) feed(frame []int16, block func([]int16)) {
	if f.n == 0 && len(frame) == FrameSamples {
		block(frame)
		return
	}
	for len(frame) > 0 {
		c := copy(f.buf[f.n:], frame)
		f.n += c
		frame = frame[c:]
		if f.n == FrameSamples {
			block(f.buf[:])
			f.n = 0
		}
	}
}

// goertzel is one single-bin DFT filter (Goertzel 1958; the form every
// DTMF and call-progress detector uses, e.g. ITU-T Q.24 receivers). The
// coefficient is 2cos(2πf/fs) for any f, so the frequency need not sit on
// an integer bin of the 160-sample block (450 Hz does: bin 9; 425 and
// 440 Hz do not).
type goertzel struct{ coeff float64 }

func newGoertzel(hz float64) goertzel {
	return goertzel{coeff: 2 * math.Cos(2*math.Pi*hz/SampleRate)}
}

// power returns |X(f)|² over the block. A sinusoid of amplitude A filling
// the block gives ≈ (A·N/2)².
func (g goertzel) power(x []int16) float64 {
	var s1, s2 float64
	c := g.coeff
	for _, v := range x {
		s0 := float64(v) + c*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

// energy is Σx² over the block.
func energy(x []int16) float64 {
	var e float64
	for _, v := range x {
		f := float64(v)
		e += f * f
	}
	return e
}
