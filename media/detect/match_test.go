package detect

import (
	"fmt"
	"testing"
)

// The five announcements a Chinese carrier plays instead of ringing, as
// synthetic utterances (speech_test.go), 4 s each.
var announcementLabels = []string{"空号", "关机", "停机", "无法接通", "正在通话中"}

func testLibrary(t testing.TB) (*Library, []Reference) {
	var refs []Reference
	for i, l := range announcementLabels {
		refs = append(refs, Reference{Label: "carrier/" + l, PCM: utterance(uint64(i+1), 4000)})
	}
	lib, err := NewLibrary(refs, MatchConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return lib, refs
}

// probe is one way an announcement may reach the switch.
type probe struct {
	name   string
	leadMS int // stream audio before the announcement (negative: joins mid-way)
	extra  int // samples added to the lead, off the 20 ms grid
	gainDB float64
	snrDB  float64 // 0: no noise
	law    *law
}

func (p probe) make(ref []int16, seed uint64) (x []int16, offset int64) {
	if p.leadMS >= 0 {
		x = silence(nil, ms(p.leadMS)+p.extra)
		x = append(x, ref...)
		offset = int64(ms(p.leadMS) + p.extra)
	} else {
		cut := ms(-p.leadMS) + p.extra
		x = append(x, ref[cut:]...)
		offset = -int64(cut)
	}
	x = gainDB(x, p.gainDB)
	if p.snrDB > 0 {
		x = addNoise(x, p.snrDB, seed)
	}
	if p.law != nil {
		x = p.law.roundTrip(x)
	}
	return x, offset
}

// probes: every combination of start, gain, noise and law.
func probes() []probe {
	var ps []probe
	for _, st := range []struct {
		ms, extra int
	}{{0, 0}, {700, 37}, {1500, 111}, {-1000, 0}, {-1300, 53}, {-2000, 90}} {
		for _, g := range []float64{-6, 0, 6} {
			for _, snr := range []float64{0, 30, 20} {
				for _, l := range []*law{nil, &ulaw, &alaw} {
					name := fmt.Sprintf("start%+dms%+d/%+gdB/snr%g", st.ms, st.extra, g, snr)
					if l != nil {
						name += "/" + l.name
					}
					ps = append(ps, probe{name, st.ms, st.extra, g, snr, l})
				}
			}
		}
	}
	return ps
}

// TestMatchAccuracy measures the true positive rate over every variant
// of every reference; the figures are in docs/early-media-detection.md.
func TestMatchAccuracy(t *testing.T) {
	lib, refs := testLibrary(t)
	var total, hits int
	byNoise := map[float64][2]int{}
	var latency []int
	worst := 0.0
	for ri, ref := range refs {
		for pi, p := range probes() {
			x, off := p.make(ref.PCM, uint64(ri*1000+pi))
			m := lib.NewMatcher()
			first := -1
			frames(x, m.Feed, func(at int) {
				if r, ok := m.Result(); ok && first < 0 {
					first = at
					if r.Label != ref.Label {
						t.Errorf("%s %s: matched %q", ref.Label, p.name, r.Label)
					}
				}
			})
			r, ok := m.Result()
			good := ok && r.Label == ref.Label && abs(int(r.Offset-off)) <= FrameSamples/refPhases // one reference grid step, 5 ms
			total++
			s := byNoise[p.snrDB]
			s[1]++
			if good {
				hits++
				s[0]++
				latency = append(latency, (first-int(max(off, 0)))*1000/SampleRate)
				worst = max(worst, (1-r.Confidence)/2)
			} else {
				t.Logf("miss %s %s: %+v %v (want offset %d)", ref.Label, p.name, r, ok, off)
			}
			byNoise[p.snrDB] = s
			if r.Confidence < 0 || r.Confidence > 1 {
				t.Errorf("confidence %v", r.Confidence)
			}
		}
	}
	tpr := float64(hits) / float64(total)
	t.Logf("true positives %d/%d = %.1f%%; highest final BER %.3f", hits, total, 100*tpr, worst)
	for snr, s := range byNoise {
		t.Logf("  snr %g dB (0 = none): %d/%d", snr, s[0], s[1])
	}
	if len(latency) > 0 {
		sortInts(latency)
		t.Logf("  decided after %d ms (median), %d ms (90th pct) of announcement heard",
			latency[len(latency)/2], latency[len(latency)*9/10])
	}
	if tpr < 0.95 {
		t.Fatalf("true positive rate %.3f below 0.95", tpr)
	}
}

// TestMatchRejects: nothing that is not a reference may match: other
// utterances (in every variant), tones, noise, silence.
func TestMatchRejects(t *testing.T) {
	lib, _ := testLibrary(t)
	type neg struct {
		name string
		x    []int16
	}
	var negs []neg
	for i := range 30 {
		u := utterance(uint64(100+i), 6000)
		negs = append(negs, neg{fmt.Sprint("speech", i), u})
		negs = append(negs, neg{fmt.Sprint("speech", i, "/µ-law+6dB snr20"), ulaw.roundTrip(addNoise(gainDB(u, 6), 20, uint64(i)))})
		negs = append(negs, neg{fmt.Sprint("speech", i, "/A-law−6dB snr30"), alaw.roundTrip(addNoise(gainDB(u, -6), 30, uint64(i)))})
	}
	negs = append(negs,
		neg{"ringback", cadenced(1000, 4000, 15000, 0, toneAmp, 450)},
		neg{"ringback µ-law snr20", ulaw.roundTrip(addNoise(cadenced(1000, 4000, 15000, 0, toneAmp, 450), 20, 1))},
		neg{"busy", cadenced(350, 350, 8000, 0, toneAmp, 450)},
		neg{"congestion A-law", alaw.roundTrip(cadenced(700, 700, 8000, 0, toneAmp, 450))},
		neg{"white noise", addNoise(sine(nil, ms(8000), 1000, 1000), -30, 9)},
		neg{"silence", silence(nil, ms(5000))},
	)
	// A permissive library shows the margin: the lowest bit error rate
	// any alignment of any negative reached.
	var refs []Reference
	for i, l := range announcementLabels {
		refs = append(refs, Reference{Label: l, PCM: utterance(uint64(i+1), 4000)})
	}
	// One reference per loose library, so no rival label hides a low BER.
	var loose []*Library
	for _, r := range refs {
		l, _ := NewLibrary([]Reference{r}, MatchConfig{MaxBER: 0.49})
		loose = append(loose, l)
	}
	fp, minBER, minName := 0, 1.0, ""
	for _, n := range negs {
		m := lib.NewMatcher()
		frames(n.x, m.Feed, nil)
		if r, ok := m.Result(); ok {
			fp++
			t.Errorf("%s matched %+v", n.name, r)
		}
		for _, lib := range loose {
			l := lib.NewMatcher()
			frames(n.x, l.Feed, nil)
			if r, ok := l.Result(); ok && (1-r.Confidence)/2 < minBER {
				minBER, minName = (1-r.Confidence)/2, n.name
			}
		}
	}
	t.Logf("false positives %d/%d; lowest BER of any alignment %.3f (%s), threshold %.2f",
		fp, len(negs), minBER, minName, 0.25)
}

// Prompts that share an opening are told apart by the rest: while the
// stream is in the common part nothing is decided, then the right label.
func TestMatchSharedOpening(t *testing.T) {
	opening := utterance(50, 1500)
	a := append(append([]int16{}, opening...), utterance(51, 2500)...)
	b := append(append([]int16{}, opening...), utterance(52, 2500)...)
	lib, err := NewLibrary([]Reference{{Label: "A", PCM: a}, {Label: "B", PCM: b}}, MatchConfig{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		x    []int16
		want string // "" for no match
	}{
		{"A", a, "A"},
		{"B", b, "B"},
		{"B µ-law snr 25", ulaw.roundTrip(addNoise(silence(b, 0), 25, 1)), "B"},
		{"opening only", append(silence(nil, ms(300)), opening...), ""},
	}
	for _, tt := range tests {
		m := lib.NewMatcher()
		frames(tt.x, m.Feed, func(at int) {
			if r, ok := m.Result(); ok && r.Label != tt.want {
				t.Fatalf("%s: matched %q at %d ms, want %q", tt.name, r.Label, at*1000/SampleRate, tt.want)
			}
		})
		if r, ok := m.Result(); ok != (tt.want != "") {
			t.Errorf("%s: %+v %v, want %q", tt.name, r, ok, tt.want)
		}
	}
}

func TestLibraryErrors(t *testing.T) {
	if _, err := NewLibrary(nil, MatchConfig{}); err == nil {
		t.Error("empty library accepted")
	}
	if _, err := NewLibrary([]Reference{{Label: "short", PCM: make([]int16, 100)}}, MatchConfig{}); err == nil {
		t.Error("short reference accepted")
	}
	if _, err := NewLibrary([]Reference{{Label: "x", PCM: utterance(1, 1000)}}, MatchConfig{MaxBER: 0.6}); err == nil {
		t.Error("MaxBER 0.6 accepted")
	}
}

func sortInts(x []int) {
	for i := 1; i < len(x); i++ {
		for j := i; j > 0 && x[j] < x[j-1]; j-- {
			x[j], x[j-1] = x[j-1], x[j]
		}
	}
}
