package dialer

import (
	"math"
	"testing"
)

// TestGreetingEnd: after the decision, the end of a machine's greeting is
// the first 800 ms of silence (app_amd's after-greeting silence); speech
// restarts the count, and a quiet line never loud enough is silence.
func TestGreetingEnd(t *testing.T) {
	frame := func(amp float64) []int16 { // 20 ms of 450 Hz at amp
		pcm := make([]int16, 160)
		for i := range pcm {
			pcm[i] = int16(amp * math.Sin(2*math.Pi*450*float64(i)/8000))
		}
		return pcm
	}
	loud, quiet := frame(5000), frame(200) // mean |x| ≈ 3180 and ≈ 127
	tests := []struct {
		name   string
		frames [][]int16
		ended  bool
	}{
		{"greeting then 800 ms of silence", append(repeat(loud, 50), repeat(quiet, 40)...), true},
		{"780 ms of silence is not yet", append(repeat(loud, 50), repeat(quiet, 39)...), false},
		{"speech restarts the count", append(append(repeat(quiet, 30), loud), repeat(quiet, 30)...), false},
		{"still talking", repeat(loud, 400), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newAMDRun()
			r.sent.Store(true) // decided: now listening for the greeting's end
			for _, f := range tt.frames {
				r.feed(f)
			}
			select {
			case <-r.greetingEnd:
				if !tt.ended {
					t.Fatalf("greeting ended after %v of silence", r.quiet)
				}
			default:
				if tt.ended {
					t.Fatalf("greeting not ended; %v of silence", r.quiet)
				}
			}
		})
	}
}

func repeat(f []int16, n int) [][]int16 {
	out := make([][]int16, n)
	for i := range out {
		out[i] = f
	}
	return out
}
