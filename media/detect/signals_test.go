package detect

import (
	"math"
	"math/rand/v2"
	"sort"

	"softswitch/media"
)

// Test audio is synthesised here, seeded, so every run hears the same.

func ms(n int) int { return n * SampleRate / 1000 }

// sine appends n samples of the sum of freqs, each at amplitude amp.
func sine(dst []int16, n int, amp float64, freqs ...float64) []int16 {
	start := len(dst)
	for i := range n {
		t := float64(start+i) / SampleRate
		var v float64
		for _, f := range freqs {
			v += amp * math.Sin(2*math.Pi*f*t)
		}
		dst = append(dst, clip(v))
	}
	return dst
}

func silence(dst []int16, n int) []int16 { return append(dst, make([]int16, n)...) }

// cadenced is tone on/off for total samples, starting phase samples into
// the first cycle (so the stream may begin mid-tone or mid-gap).
func cadenced(onMS, offMS, totalMS, phaseMS int, amp float64, freqs ...float64) []int16 {
	var cyc []int16
	cyc = sine(cyc, ms(onMS), amp, freqs...)
	cyc = silence(cyc, ms(offMS))
	out := make([]int16, 0, ms(totalMS))
	for i := ms(phaseMS); len(out) < ms(totalMS); i++ {
		out = append(out, cyc[i%len(cyc)])
	}
	return out
}

func clip(v float64) int16 {
	return int16(max(-32768, min(32767, math.Round(v))))
}

func gainDB(x []int16, db float64) []int16 {
	g := math.Pow(10, db/20)
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = clip(float64(v) * g)
	}
	return out
}

func rms(x []int16) float64 {
	if len(x) == 0 {
		return 0
	}
	return math.Sqrt(energy(x) / float64(len(x)))
}

// addNoise adds white Gaussian noise snrDB below the signal's RMS over its
// non-silent part (the level an operator would quote).
func addNoise(x []int16, snrDB float64, seed uint64) []int16 {
	var act []int16
	for _, v := range x {
		if v > 50 || v < -50 {
			act = append(act, v)
		}
	}
	sigma := rms(act) / math.Pow(10, snrDB/20)
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = clip(float64(v) + sigma*r.NormFloat64())
	}
	return out
}

// law is a G.711 round trip (encode, then media's decoder). The encoder
// picks the nearest decoded level, which is what G.711's decision levels
// amount to; it reuses media's tables rather than a second G.711.
type law struct {
	name   string
	levels []int16 // sorted decoded values
}

func newLaw(name string, decode func([]int16, []byte) int) law {
	codes := make([]byte, 256)
	for i := range codes {
		codes[i] = byte(i)
	}
	dec := make([]int16, 256)
	decode(dec, codes)
	sort.Slice(dec, func(i, j int) bool { return dec[i] < dec[j] })
	return law{name: name, levels: dec}
}

var (
	ulaw = newLaw("µ-law", media.DecodeULaw)
	alaw = newLaw("A-law", media.DecodeALaw)
)

func (l law) roundTrip(x []int16) []int16 {
	out := make([]int16, len(x))
	for i, v := range x {
		j := sort.Search(len(l.levels), func(k int) bool { return l.levels[k] >= v })
		switch {
		case j == len(l.levels):
			j--
		case j > 0 && int(v)-int(l.levels[j-1]) < int(l.levels[j])-int(v):
			j--
		}
		out[i] = l.levels[j]
	}
	return out
}

// frames feeds x to feed in 20 ms frames and calls after each.
func frames(x []int16, feed func([]int16), after func(at int)) {
	for i := 0; i+FrameSamples <= len(x); i += FrameSamples {
		feed(x[i : i+FrameSamples])
		if after != nil {
			after(i + FrameSamples)
		}
	}
}
