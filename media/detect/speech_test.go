package detect

import (
	"math"
	"math/rand/v2"
)

// utterance synthesises durMS of speech-like audio from seed: syllables
// of voiced sound (a glottal pulse train through three formant
// resonators, the classic source-filter model) whose pitch glides as a
// Mandarin tone would and whose formants move from one vowel to another,
// some led by a fricative (filtered noise), separated by pauses. Two
// seeds give genuinely different audio; the same seed the same audio.
func utterance(seed uint64, durMS int) []int16 {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	n := ms(durMS)
	out := make([]float64, 0, n)
	vowels := [][3]float64{{730, 1090, 2440}, {270, 2290, 3010}, {300, 870, 2240},
		{530, 1840, 2480}, {570, 840, 2410}, {440, 1020, 2240}, {660, 1720, 2410}}
	out = append(out, make([]float64, ms(20+r.IntN(60)))...)
	var hist [3][2]float64
	for len(out) < n {
		if r.IntN(3) == 0 { // fricative
			fc := 2200 + 1200*r.Float64()
			var h [2]float64
			for range ms(50 + r.IntN(80)) {
				out = append(out, 0.25*resonate(&h, r.NormFloat64(), fc, 400))
			}
		}
		syl := ms(140 + r.IntN(220))
		a, b := vowels[r.IntN(len(vowels))], vowels[r.IntN(len(vowels))]
		f0a, f0b := 100+150*r.Float64(), 100+150*r.Float64()
		amp := 0.5 + 0.5*r.Float64()
		phase := 0.0
		for i := range syl {
			t := float64(i) / float64(syl)
			f0 := f0a + (f0b-f0a)*t
			phase += f0 / SampleRate
			src := 0.0
			if phase >= 1 {
				phase--
				src = 1
			}
			env := amp * math.Sin(math.Pi*t) * math.Sqrt(math.Sin(math.Pi*t))
			var v float64
			for k := range 3 {
				f := a[k] + (b[k]-a[k])*t
				v += resonate(&hist[k], src, f, 60+40*float64(k)) / float64(k+1)
			}
			out = append(out, env*v)
		}
		gap := 30 + r.IntN(150)
		if r.IntN(4) == 0 {
			gap += 250
		}
		out = append(out, make([]float64, ms(gap))...)
	}
	out = out[:n]
	var peak float64
	for _, v := range out {
		peak = max(peak, math.Abs(v))
	}
	pcm := make([]int16, n)
	for i, v := range out {
		pcm[i] = clip(v / peak * 12000) // peaks at −8.7 dBFS, like a studio prompt
	}
	return pcm
}

// resonate is a two-pole resonator at fc Hz with bandwidth bw Hz.
func resonate(h *[2]float64, x, fc, bw float64) float64 {
	rr := math.Exp(-math.Pi * bw / SampleRate)
	y := x + 2*rr*math.Cos(2*math.Pi*fc/SampleRate)*h[0] - rr*rr*h[1]
	h[1], h[0] = h[0], y
	return y * (1 - rr)
}
