package detect

import "math"

// Sub-fingerprints after Haitsma and Kalker, "A Highly Robust Audio
// Fingerprinting System" (ISMIR 2002): per block, the energies of 33
// bands give 32 bits, bit m set when the energy difference between
// bands m and m+1 grew since the previous block:
//
//	F(n,m) = 1  iff  (E(n,m) − E(n,m+1)) − (E(n−1,m) − E(n−1,m+1)) > 0
//
// Signs of differences: a gain change scales every E alike and flips no
// bit; G.711 quantisation and light noise flip the few bits whose
// differences were near zero. Their 300–2000 Hz over 370 ms windows is
// for music; here the bands are mel-spaced over 250–3500 Hz (telephone
// speech) and the windows 32 ms, every 20 ms.
const (
	nBands  = 33
	bandLo  = 250.0
	bandHi  = 3500.0
	binHz   = float64(SampleRate) / fftN
	histLen = fftN - FrameSamples // samples of the previous blocks in the window
)

var bandEdge = makeBandEdges() // FFT bin edges, nBands+1 of them

func makeBandEdges() [nBands + 1]int {
	mel := func(f float64) float64 { return 2595 * math.Log10(1+f/700) }
	inv := func(m float64) float64 { return 700 * (math.Pow(10, m/2595) - 1) }
	var e [nBands + 1]int
	lo, hi := mel(bandLo), mel(bandHi)
	for i := range e {
		e[i] = int(math.Round(inv(lo+(hi-lo)*float64(i)/nBands) / binHz))
		if i > 0 && e[i] <= e[i-1] {
			e[i] = e[i-1] + 1 // at least one bin per band
		}
	}
	return e
}

// fingerprinter turns consecutive blocks into sub-fingerprints. It keeps
// the window's history and the previous band energies.
type fingerprinter struct {
	win  [fftN]float64
	z    [fftM]complex128
	pow  [fftM]float64
	prev [nBands]float64
	have bool // prev is valid
}

// fingerprint is one block's sub-fingerprint and which of its bits are
// reliable: those whose difference is at least relMin of the four
// energies it is made of. A steady sound (a held vowel, a tone) gives
// differences near zero whose signs are noise; comparing them would only
// add chance agreement (two unrelated steady sounds then look alike) or
// chance errors. References keep only reliable bits; a stream's bits are
// compared where the reference's are reliable.
type fingerprint struct{ bits, rel uint32 }

// relMin: see fingerprint.
const relMin = 0.05

// next takes one 160-sample block and returns its sub-fingerprint, the
// block's energy (Σx²), and whether the bits mean anything (a previous
// block existed).
func (f *fingerprinter) next(x []int16) (fingerprint, float64, bool) {
	copy(f.win[:histLen], f.win[FrameSamples:])
	var e float64
	for i, v := range x {
		s := float64(v)
		f.win[histLen+i] = s
		e += s * s
	}
	lo, hi := bandEdge[0], bandEdge[nBands]
	plan.power(&f.win, &f.z, f.pow[:hi-lo], lo, hi)
	var band [nBands]float64
	for b := range nBands {
		var s float64
		for _, p := range f.pow[bandEdge[b]-lo : bandEdge[b+1]-lo] {
			s += p
		}
		band[b] = s
	}
	var fp, rel uint32
	for m := range nBands - 1 {
		d := band[m] - band[m+1] - (f.prev[m] - f.prev[m+1])
		if d > 0 {
			fp |= 1 << m
		}
		if d*d >= relMin*relMin*sq(band[m]+band[m+1]+f.prev[m]+f.prev[m+1]) {
			rel |= 1 << m
		}
	}
	ok := f.have
	f.prev, f.have = band, true
	return fingerprint{fp, rel}, e, ok
}

func sq(x float64) float64 { return x * x }
