package detect

import (
	"math"
	"math/cmplx"
	"testing"
)

// The packed real FFT agrees with a direct DFT.
func TestFFTMatchesDFT(t *testing.T) {
	var x [fftN]float64
	for i := range x {
		x[i] = 1000*math.Sin(float64(i)*0.37) + 300*math.Cos(float64(i*i)*0.01)
	}
	var z [fftM]complex128
	out := make([]float64, fftM+1)
	plan.power(&x, &z, out, 0, fftM+1)
	for k := 0; k <= fftM; k++ {
		var s complex128
		for n := range fftN {
			s += complex(x[n]*plan.win[n], 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(k*n)/fftN))
		}
		want := real(s)*real(s) + imag(s)*imag(s)
		if math.Abs(out[k]-want) > 1e-6*(want+1) {
			t.Fatalf("bin %d: %v, want %v", k, out[k], want)
		}
	}
}
