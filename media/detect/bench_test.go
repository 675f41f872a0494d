package detect

import (
	"fmt"
	"testing"
)

// One benchmark op is one 20 ms frame of one stream. At 50 frames/s a
// core carries 1e9 / (ns/frame · 50) streams; the target is 2,000, i.e.
// ≤ 10,000 ns/frame for everything a stream runs.

func reportStreams(b *testing.B) {
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(1e9/(ns*50), "streams/core")
}

func benchLibrary(b *testing.B) *Library {
	var refs []Reference
	for i := range 5 {
		refs = append(refs, Reference{Label: fmt.Sprint("ref", i), PCM: utterance(uint64(i+1), 4000)})
	}
	lib, err := NewLibrary(refs, MatchConfig{})
	if err != nil {
		b.Fatal(err)
	}
	return lib
}

// benchAudio is a probe none of the references match, so nothing
// short-circuits: the worst case.
func benchAudio() []int16 { return utterance(999, 10000) }

func BenchmarkTone(b *testing.B) {
	x := benchAudio()
	d, _ := NewToneDetector(ToneConfig{})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d.Feed(x[i : i+FrameSamples])
		i = (i + FrameSamples) % (len(x) - FrameSamples)
	}
	reportStreams(b)
}

func BenchmarkMatch5x4s(b *testing.B) {
	lib := benchLibrary(b)
	x := benchAudio()
	m := lib.NewMatcher()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Feed(x[i : i+FrameSamples])
		i = (i + FrameSamples) % (len(x) - FrameSamples)
	}
	reportStreams(b)
}

func BenchmarkAMD(b *testing.B) {
	x := benchAudio()
	a := NewAMD(AMDConfig{})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		a.Feed(x[i : i+FrameSamples])
		i = (i + FrameSamples) % (len(x) - FrameSamples)
		if a.Result().Status != Pending {
			a.Reset()
		}
	}
	reportStreams(b)
}

// BenchmarkEarlyMedia is what the dialer runs on a stream in early
// media: tones and announcements on every frame.
func BenchmarkEarlyMedia(b *testing.B) {
	lib := benchLibrary(b)
	x := benchAudio()
	d, _ := NewToneDetector(ToneConfig{})
	m := lib.NewMatcher()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d.Feed(x[i : i+FrameSamples])
		m.Feed(x[i : i+FrameSamples])
		i = (i + FrameSamples) % (len(x) - FrameSamples)
	}
	reportStreams(b)
}

// BenchmarkEarlyMediaRingback is the usual early media, ringback, with
// the matcher skipped on tone blocks (ToneDetector.InTone).
func BenchmarkEarlyMediaRingback(b *testing.B) {
	lib := benchLibrary(b)
	x := ulaw.roundTrip(cadenced(1000, 4000, 10000, 0, toneAmp, 450))
	d, _ := NewToneDetector(ToneConfig{})
	m := lib.NewMatcher()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d.Feed(x[i : i+FrameSamples])
		if !d.InTone() {
			m.Feed(x[i : i+FrameSamples])
		}
		i = (i + FrameSamples) % (len(x) - FrameSamples)
	}
	reportStreams(b)
}

// BenchmarkNewLibrary: loading five 4 s references (fingerprints on 3
// grids and the shared-block search), once per configuration change.
func BenchmarkNewLibrary(b *testing.B) {
	var refs []Reference
	for i := range 5 {
		refs = append(refs, Reference{Label: fmt.Sprint("ref", i), PCM: utterance(uint64(i+1), 4000)})
	}
	for b.Loop() {
		if _, err := NewLibrary(refs, MatchConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}
