package detect

import (
	"strings"
	"testing"
)

// voice is a steady voiced sound well above app_amd's threshold (mean
// |x| ≈ 1900 against 256), so the expected causes are exact.
func voice(dst []int16, msec int) []int16 { return sine(dst, ms(msec), 3000, 180, 360) }

func seq(parts ...func([]int16) []int16) []int16 {
	var x []int16
	for _, p := range parts {
		x = p(x)
	}
	return x
}

func sil(msec int) func([]int16) []int16 {
	return func(x []int16) []int16 { return silence(x, ms(msec)) }
}
func vox(msec int) func([]int16) []int16 { return func(x []int16) []int16 { return voice(x, msec) } }

func TestAMD(t *testing.T) {
	words := func(n int) func([]int16) []int16 {
		return func(x []int16) []int16 {
			for range n {
				x = silence(voice(x, 300), ms(100))
			}
			return x
		}
	}
	tests := []struct {
		name   string
		cfg    AMDConfig
		x      []int16
		status AMDStatus
		cause  string // exact, or a prefix ending in "-"
		atMS   int    // 0: not checked
	}{
		{"hello then silence", AMDConfig{}, seq(sil(300), vox(500), sil(1500)), Human, "HUMAN-800-800", 1600},
		{"hello at once", AMDConfig{}, seq(vox(400), sil(1500)), Human, "HUMAN-800-800", 1200},
		{"hello µ-law", AMDConfig{}, ulaw.roundTrip(seq(sil(300), vox(500), sil(1500))), Human, "HUMAN-800-800", 1600},
		{"hello with line noise", AMDConfig{}, addNoise(seq(sil(300), vox(500), sil(1500)), 25, 3), Human, "HUMAN-800-800", 1600},
		{"greeting of words", AMDConfig{}, seq(sil(300), words(6), sil(1000)), Machine, "MAXWORDS-3-3", 1200},
		{"long greeting", AMDConfig{}, seq(sil(200), vox(2000), sil(1000)), Machine, "LONGGREETING-1500-1500", 1700},
		{"silence", AMDConfig{}, seq(sil(4000)), Machine, "INITIALSILENCE-2500-2500", 2500},
		{"quiet hiss is silence", AMDConfig{}, addNoise(sine(nil, ms(4000), 100, 1000), -6, 4), Machine, "INITIALSILENCE-2500-2500", 2500},
		{"loud noise", AMDConfig{}, addNoise(sine(nil, ms(4000), 1000, 1000), -10, 5), Machine, "LONGGREETING-1500-1500", 1500},
		{"max word length", AMDConfig{MaxWordLengthMS: 1000, GreetingMS: 3000}, seq(sil(200), vox(2000)), Machine, "MAXWORDLENGTH-1000", 1200},
		{"stutter never decides", AMDConfig{}, func() []int16 {
			var x []int16
			for range 50 {
				x = silence(voice(x, 60), ms(60))
			}
			return x
		}(), NotSure, "TOOLONG-5000", 5000},
		{"synthetic speech greeting", AMDConfig{}, seq(sil(400), func(x []int16) []int16 { return append(x, utterance(7, 5000)...) }), Machine, "", 0},
		{"custom initial silence", AMDConfig{InitialSilenceMS: 1000}, seq(sil(2000)), Machine, "INITIALSILENCE-1000-1000", 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAMD(tt.cfg)
			if a.Result().Status != Pending {
				t.Fatalf("fresh detector: %+v", a.Result())
			}
			frames(tt.x, a.Feed, nil)
			r := a.Result()
			if r.Status != tt.status {
				t.Fatalf("status %v (%s), want %v", r.Status, r.Cause, tt.status)
			}
			if tt.cause != "" && r.Cause != tt.cause {
				t.Errorf("cause %q, want %q", r.Cause, tt.cause)
			}
			if tt.atMS != 0 && int(r.At)*1000/SampleRate != tt.atMS {
				t.Errorf("decided at %d ms, want %d", r.At*1000/SampleRate, tt.atMS)
			}
			t.Logf("%v %s at %d ms", r.Status, r.Cause, r.At*1000/SampleRate)
		})
	}
}

// After a decision, more audio changes nothing; Reset starts over.
func TestAMDDecisionSticksAndReset(t *testing.T) {
	a := NewAMD(AMDConfig{})
	frames(seq(sil(3000)), a.Feed, nil)
	r := a.Result()
	frames(seq(vox(2000)), a.Feed, nil)
	if a.Result() != r {
		t.Fatalf("decision changed: %+v → %+v", r, a.Result())
	}
	a.Reset()
	if a.Result().Status != Pending {
		t.Fatal("Reset kept the decision")
	}
	frames(seq(sil(300), vox(500), sil(1000)), a.Feed, nil)
	if got := a.Result(); got.Status != Human || !strings.HasPrefix(got.Cause, "HUMAN-") {
		t.Fatalf("after Reset: %+v", got)
	}
	// A single Feed holding several frames stops at the deciding one.
	b := NewAMD(AMDConfig{})
	b.Feed(seq(sil(4000)))
	if got := b.Result(); got.Cause != "INITIALSILENCE-2500-2500" || got.At != int64(ms(2500)) {
		t.Fatalf("one big Feed: %+v", got)
	}
}
