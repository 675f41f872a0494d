package detect

import (
	"math"
	"math/bits"
)

// A 256-point real FFT, computed as one 128-point complex FFT of the even
// and odd samples packed as re/im, then split (the standard "two for one"
// real-input trick). 256 points at 8 kHz give 31.25 Hz bins; the window
// is the 20 ms block plus the 12 ms before it, Hann-weighted, so adjacent
// blocks overlap and a band's energy moves smoothly from block to block.
const (
	fftN = 256
	fftM = fftN / 2
)

type fftPlan struct {
	rev   [fftM]uint8
	tw    [fftM / 2]complex128 // e^{-2πik/128}
	split [fftM + 1]complex128 // e^{-2πik/256}
	win   [fftN]float64        // Hann
}

var plan = newFFTPlan()

func newFFTPlan() *fftPlan {
	p := new(fftPlan)
	for i := range fftM {
		p.rev[i] = uint8(bits.Reverse8(uint8(i)) >> 1)
	}
	for k := range p.tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / fftM)
		p.tw[k] = complex(c, s)
	}
	for k := range p.split {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / fftN)
		p.split[k] = complex(c, s)
	}
	for i := range p.win {
		p.win[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/fftN)
	}
	return p
}

// power writes |X[k]|² for k in [lo, hi) into out[k-lo], X the DFT of the
// Hann-windowed x. z is scratch.
func (p *fftPlan) power(x *[fftN]float64, z *[fftM]complex128, out []float64, lo, hi int) {
	for i := range fftM {
		z[p.rev[i]] = complex(x[2*i]*p.win[2*i], x[2*i+1]*p.win[2*i+1])
	}
	for size := 2; size <= fftM; size <<= 1 {
		half, step := size>>1, fftM/size
		for start := 0; start < fftM; start += size {
			for k := range half {
				a, b := z[start+k], z[start+k+half]*p.tw[k*step]
				z[start+k], z[start+k+half] = a+b, a-b
			}
		}
	}
	for k := lo; k < hi; k++ {
		zk, zc := z[k&(fftM-1)], z[(fftM-k)&(fftM-1)]
		zc = complex(real(zc), -imag(zc))
		e := (zk + zc) * 0.5
		o := (zk - zc) * complex(0, -0.5)
		v := e + p.split[k]*o
		out[k-lo] = real(v)*real(v) + imag(v)*imag(v)
	}
}
