package detect

import (
	"encoding/binary"
	"math"
	"sync"
	"testing"
)

var fuzzLib = sync.OnceValue(func() *Library {
	lib, err := NewLibrary([]Reference{{Label: "a", PCM: utterance(1, 1500)}, {Label: "b", PCM: utterance(2, 1500)}}, MatchConfig{})
	if err != nil {
		panic(err)
	}
	return lib
})

// FuzzToneDetector feeds arbitrary bytes as little-endian PCM, in chunks
// whose size the first byte picks, to all three detectors: none may
// panic, and every result must stay in range. Seeds are in
// testdata/fuzz/FuzzToneDetector.
func FuzzToneDetector(f *testing.F) {
	f.Add([]byte{160, 0, 0, 0x7f, 0xff, 0x80, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		chunk := int(data[0]) + 1
		pcm := make([]int16, (len(data)-1)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(data[1+2*i:]))
		}
		d, err := NewToneDetector(ToneConfig{Freqs: []float64{450, 425}})
		if err != nil {
			t.Fatal(err)
		}
		m, a := fuzzLib().NewMatcher(), NewAMD(AMDConfig{})
		fed := 0
		for i := 0; i < len(pcm); i += chunk {
			x := pcm[i:min(len(pcm), i+chunk)]
			d.Feed(x)
			m.Feed(x)
			a.Feed(x)
			fed += len(x)
			r := d.Result()
			if r.Kind > Congestion || !(r.Confidence >= 0 && r.Confidence <= 1) || r.At < 0 || r.At > int64(fed) {
				t.Fatalf("tone result out of range: %+v after %d samples", r, fed)
			}
			if mr, ok := m.Result(); ok && (math.IsNaN(mr.Confidence) || mr.Confidence < 0 || mr.Confidence > 1 || mr.At > int64(fed)) {
				t.Fatalf("match out of range: %+v", mr)
			}
			if ar := a.Result(); ar.Status > NotSure || (ar.Status != Pending) != (ar.Cause != "") {
				t.Fatalf("AMD result out of range: %+v", ar)
			}
		}
	})
}
