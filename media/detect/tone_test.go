package detect

import (
	"fmt"
	"testing"
)

// toneAmp is about −10 dBm0, the level Chinese exchanges send tones at.
const toneAmp = 7000

// kinds feeds x and returns every distinct non-Unknown kind decided, in
// order, and the last result.
func kinds(t *testing.T, d *ToneDetector, x []int16) ([]Kind, Result) {
	t.Helper()
	var seen []Kind
	frames(x, d.Feed, func(int) {
		r := d.Result()
		if r.Confidence < 0 || r.Confidence > 1 || r.At < 0 {
			t.Fatalf("result out of range: %+v", r)
		}
		if r.Kind != Unknown && (len(seen) == 0 || seen[len(seen)-1] != r.Kind) {
			seen = append(seen, r.Kind)
		}
	})
	return seen, d.Result()
}

func TestToneCadences(t *testing.T) {
	euro := []Cadence{
		{Kind: Ringback, OnMS: 1000, OffMS: 4000, MinSegments: 2},
		{Kind: Busy, OnMS: 500, OffMS: 500, MinSegments: 4},
		{Kind: Congestion, OnMS: 250, OffMS: 250, MinSegments: 4},
	}
	nanp := []Cadence{{Kind: Ringback, OnMS: 2000, OffMS: 4000, MinSegments: 2}}
	tests := []struct {
		name   string
		cfg    ToneConfig
		signal []int16
		want   Kind // the only kind ever decided, and the final one
		byMS   int  // decided no later than this
	}{
		{"ringback", ToneConfig{}, cadenced(1000, 4000, 12000, 300, toneAmp, 450), Ringback, 10400},
		{"ringback from gap", ToneConfig{}, cadenced(1000, 4000, 12000, 2500, toneAmp, 450), Ringback, 7000},
		{"busy", ToneConfig{}, cadenced(350, 350, 4000, 100, toneAmp, 450), Busy, 2000},
		{"busy slow +15%", ToneConfig{}, cadenced(400, 400, 4000, 0, toneAmp, 450), Busy, 2500},
		{"busy fast −15%", ToneConfig{}, cadenced(300, 300, 4000, 0, toneAmp, 450), Busy, 2000},
		{"congestion", ToneConfig{}, cadenced(700, 700, 6000, 200, toneAmp, 450), Congestion, 4000},
		{"silence", ToneConfig{}, silence(nil, ms(8000)), Silence, 6100},
		{"continuous 450", ToneConfig{}, cadenced(10000, 1, 8000, 0, toneAmp, 450), Unknown, 0},
		{"busy 0.5/0.5 is not China's", ToneConfig{}, cadenced(500, 500, 6000, 0, toneAmp, 450), Unknown, 0},
		{"busy at 350 Hz", ToneConfig{}, cadenced(350, 350, 4000, 0, toneAmp, 350), Unknown, 0},
		{"Europe 425 busy", ToneConfig{Freqs: []float64{425}, Cadences: euro}, cadenced(500, 500, 4000, 0, toneAmp, 425), Busy, 2600},
		{"Europe 425 congestion", ToneConfig{Freqs: []float64{425}, Cadences: euro}, cadenced(250, 250, 3000, 0, toneAmp, 425), Congestion, 1600},
		{"NANP 440+480 ringback", ToneConfig{Freqs: []float64{440, 480}, Cadences: nanp}, cadenced(2000, 4000, 14000, 0, toneAmp/2, 440, 480), Ringback, 12000},
		{"China busy under NANP filters", ToneConfig{Freqs: []float64{440, 480}, Cadences: nanp}, cadenced(350, 350, 4000, 0, toneAmp, 450), Unknown, 0},
	}
	variants := []struct {
		name string
		f    func([]int16) []int16
	}{
		{"clean", func(x []int16) []int16 { return x }},
		{"−12 dB", func(x []int16) []int16 { return gainDB(x, -12) }},
		{"+6 dB", func(x []int16) []int16 { return gainDB(x, 6) }},
		{"SNR 20 dB", func(x []int16) []int16 { return addNoise(x, 20, 1) }},
		{"µ-law", ulaw.roundTrip},
		{"A-law", alaw.roundTrip},
		{"A-law −12 dB SNR 20 dB", func(x []int16) []int16 { return alaw.roundTrip(addNoise(gainDB(x, -12), 20, 2)) }},
	}
	for _, tt := range tests {
		for _, v := range variants {
			if tt.want == Silence && v.name != "clean" && v.name != "µ-law" && v.name != "A-law" {
				continue // noise is, by design, not silence
			}
			t.Run(fmt.Sprintf("%s/%s", tt.name, v.name), func(t *testing.T) {
				d, err := NewToneDetector(tt.cfg)
				if err != nil {
					t.Fatal(err)
				}
				seen, last := kinds(t, d, v.f(tt.signal))
				if tt.want == Unknown {
					if len(seen) != 0 {
						t.Fatalf("decided %v, want nothing", seen)
					}
					return
				}
				if len(seen) != 1 || seen[0] != tt.want || last.Kind != tt.want {
					t.Fatalf("decided %v (last %+v), want only %v", seen, last, tt.want)
				}
				if at := int(last.At) * 1000 / SampleRate; at > tt.byMS {
					t.Errorf("decided at %d ms, want by %d ms", at, tt.byMS)
				}
				if last.Confidence <= 0.5 || last.Confidence > 1 {
					t.Errorf("confidence %v", last.Confidence)
				}
				t.Logf("%v at %d ms, confidence %.2f", last.Kind, last.At*1000/SampleRate, last.Confidence)
			})
		}
	}
}

// A busy tone interrupted by speech-like audio breaks the run; the
// detector recovers when the tone resumes.
func TestToneRunBreaks(t *testing.T) {
	d, _ := NewToneDetector(ToneConfig{})
	x := cadenced(350, 350, 3000, 0, toneAmp, 450)
	x = append(x, cadenced(2500, 1, 2500, 0, toneAmp, 450)...) // too long an "on"
	frames(x, d.Feed, nil)
	if k := d.Result().Kind; k != Unknown {
		t.Fatalf("after a 2.5 s tone: %v, want unknown", k)
	}
	frames(cadenced(350, 350, 3000, 0, toneAmp, 450), d.Feed, nil)
	if k := d.Result().Kind; k != Busy {
		t.Fatalf("after busy resumes: %v, want busy", k)
	}
}

func TestToneConfigErrors(t *testing.T) {
	bad := []ToneConfig{
		{Freqs: []float64{1, 2, 3, 4, 5}},
		{Freqs: []float64{4000}},
		{Freqs: []float64{-5}},
		{Tolerance: 1},
		{Cadences: []Cadence{{Kind: Busy, OnMS: 0, OffMS: 100, MinSegments: 1}}},
		{MinRatio: -1},
	}
	for i, c := range bad {
		if _, err := NewToneDetector(c); err == nil {
			t.Errorf("%d: %+v accepted", i, c)
		}
	}
}

func TestInTone(t *testing.T) {
	d, _ := NewToneDetector(ToneConfig{})
	if d.InTone() {
		t.Fatal("in tone before any audio")
	}
	d.Feed(sine(nil, FrameSamples, toneAmp, 450))
	if !d.InTone() {
		t.Fatal("not in tone on a 450 Hz frame")
	}
	d.Feed(silence(nil, FrameSamples))
	if d.InTone() {
		t.Fatal("in tone on silence")
	}
}

// Frames of odd sizes land on the same 20 ms grid as aligned ones.
func TestToneOddFrames(t *testing.T) {
	x := cadenced(350, 350, 3000, 0, toneAmp, 450)
	a, _ := NewToneDetector(ToneConfig{})
	b, _ := NewToneDetector(ToneConfig{})
	frames(x, a.Feed, nil)
	for i := 0; i < len(x); i += 77 {
		b.Feed(x[i:min(len(x), i+77)])
	}
	if a.Result() != b.Result() {
		t.Fatalf("aligned %+v, odd %+v", a.Result(), b.Result())
	}
}
