package media

import (
	"math"
	"testing"
)

// TestMOS pins the formula to rtpengine's integer implementation below
// the fit's vertex: want is what its mos_calc_nb returns (MOS×10,
// truncated) for the same inputs, computed from its code.
func TestMOS(t *testing.T) {
	tests := []struct {
		loss, jitter, rtt float64
		want              int
	}{
		{0, 0, 0, 43},
		{1, 0, 0, 41},
		{2, 0, 0, 39},
		{5, 0, 0, 34},
		{10, 0, 0, 26},
		{15, 0, 0, 23},
		{0, 20, 100, 42},
		{0, 0, 500, 38},
	}
	for _, tt := range tests {
		got := MOS(tt.loss, tt.jitter, tt.rtt)
		if int(math.Floor(got*10+1e-9)) != tt.want {
			t.Errorf("MOS(loss %v%%, jitter %v ms, rtt %v ms) = %.3f, rtpengine gives %.1f", tt.loss, tt.jitter, tt.rtt, got, float64(tt.want)/10)
		}
	}
}

// TestMOSMonotonic: past the fit's vertex the score keeps falling (where
// rtpengine's rises again) and bottoms out at 1.
func TestMOSMonotonic(t *testing.T) {
	prev := MOS(0, 0, 0)
	for loss := 0.5; loss <= 100; loss += 0.5 {
		m := MOS(loss, 0, 0)
		if m > prev+1e-9 {
			t.Fatalf("MOS rises from %.3f to %.3f at %.1f%% loss", prev, m, loss)
		}
		prev = m
	}
	if m := MOS(40, 0, 0); m != 1 {
		t.Fatalf("40%% loss scores %.2f, want 1", m)
	}
	if !(MOS(2, 0, 0) > MOS(2, 30, 0) && MOS(2, 30, 0) > MOS(2, 30, 400)) {
		t.Fatal("MOS does not fall as jitter and delay grow")
	}
}
