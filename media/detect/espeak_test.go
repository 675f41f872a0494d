//go:build espeak

// Real Mandarin speech from espeak-ng (`apt-get install espeak-ng`), kept
// behind the espeak build tag so the package's tests need no external
// tool: go test -tags espeak -run Espeak ./media/detect/

package detect

import (
	"bytes"
	"encoding/binary"
	"math"
	"os/exec"
	"testing"
)

// speak synthesises text with espeak-ng's Mandarin voice and returns
// 8 kHz PCM.
func speak(t *testing.T, text string) []int16 {
	t.Helper()
	out, err := exec.Command("espeak-ng", "-v", "cmn", "--stdout", text).Output()
	if err != nil {
		t.Fatalf("espeak-ng: %v", err)
	}
	rate, pcm := parseWAV(t, out)
	return resample(pcm, rate, SampleRate)
}

// parseWAV reads 16-bit mono PCM. espeak-ng writing to a pipe leaves the
// RIFF and data sizes at placeholders, so data runs to the end.
func parseWAV(t *testing.T, b []byte) (int, []int16) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		t.Fatal("not a WAV")
	}
	rate := 0
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		p += 8
		switch id {
		case "fmt ":
			if binary.LittleEndian.Uint16(b[p:]) != 1 || binary.LittleEndian.Uint16(b[p+2:]) != 1 ||
				binary.LittleEndian.Uint16(b[p+14:]) != 16 {
				t.Fatal("want 16-bit mono PCM")
			}
			rate = int(binary.LittleEndian.Uint32(b[p+4:]))
		case "data":
			data := b[p:]
			if size < len(data) {
				data = data[:size]
			}
			pcm := make([]int16, len(data)/2)
			binary.Read(bytes.NewReader(data[:2*len(pcm)]), binary.LittleEndian, pcm)
			return rate, pcm
		}
		p += size
	}
	t.Fatal("no data chunk")
	return 0, nil
}

// resample by windowed-sinc interpolation (Blackman, 64 taps), low-pass
// at 0.45 of the output rate: the band a telephone codec would keep.
func resample(x []int16, from, to int) []int16 {
	const half = 32
	ratio := float64(from) / float64(to)
	fc := 0.45 * float64(to) / float64(from) // cycles per input sample
	n := int(float64(len(x)) / ratio)
	out := make([]int16, n)
	for i := range out {
		c := float64(i) * ratio
		k0 := int(c)
		var s float64
		for k := k0 - half + 1; k <= k0+half; k++ {
			if k < 0 || k >= len(x) {
				continue
			}
			d := c - float64(k)
			h := 2 * fc
			if d != 0 {
				h = math.Sin(2*math.Pi*fc*d) / (math.Pi * d)
			}
			w := 0.42 + 0.5*math.Cos(math.Pi*d/half) + 0.08*math.Cos(2*math.Pi*d/half)
			s += float64(x[k]) * h * w
		}
		out[i] = clip(s)
	}
	return out
}

func TestEspeakMandarinAnnouncements(t *testing.T) {
	prompts := []struct{ label, text string }{
		{"空号", "您拨打的号码是空号，请查证后再拨。"},
		{"关机", "您拨打的电话已关机。"},
		{"停机", "您拨打的电话已停机。"},
		{"无法接通", "您拨打的电话暂时无法接通，请稍后再拨。"},
		{"正在通话中", "您拨打的电话正在通话中，请稍后再拨。"},
	}
	var refs []Reference
	for _, p := range prompts {
		pcm := speak(t, p.text)
		t.Logf("%s: %.2f s", p.label, float64(len(pcm))/SampleRate)
		refs = append(refs, Reference{Label: p.label, PCM: pcm})
	}
	lib, err := NewLibrary(refs, MatchConfig{})
	if err != nil {
		t.Fatal(err)
	}
	hits, total := 0, 0
	for ri, ref := range refs {
		for pi, p := range probes() {
			if p.leadMS < 0 && ms(-p.leadMS)+p.extra > len(ref.PCM)/2 {
				continue // joining after half the prompt leaves too little
			}
			x, off := p.make(ref.PCM, uint64(ri*1000+pi))
			x = append(x, silence(nil, ms(500))...)
			m := lib.NewMatcher()
			frames(x, m.Feed, func(int) {
				if r, ok := m.Result(); ok && r.Label != ref.Label {
					t.Fatalf("%s %s: matched %q", ref.Label, p.name, r.Label)
				}
			})
			total++
			if r, ok := m.Result(); ok && abs(int(r.Offset-off)) <= FrameSamples/refPhases {
				hits++
			} else {
				t.Logf("miss %s %s: %+v %v", ref.Label, p.name, r, ok)
			}
		}
	}
	t.Logf("true positives %d/%d = %.1f%%", hits, total, 100*float64(hits)/float64(total))
	if float64(hits) < 0.9*float64(total) {
		t.Errorf("true positive rate below 90%%")
	}
	// Other Mandarin speech, including the bare opening every prompt
	// shares, must match nothing.
	negatives := []string{"您拨打的电话", "您好，请问有什么可以帮您？", "欢迎致电，普通话服务请按一。",
		"今天天气很好，我们去公园吧。", "您的话费余额不足，请及时充值。", "对不起，您的电话号码有误。"}
	for i, text := range negatives {
		x := speak(t, text)
		for _, v := range []struct {
			name string
			x    []int16
		}{{"clean", x}, {"µ-law snr20 +6dB", ulaw.roundTrip(addNoise(gainDB(x, 6), 20, uint64(i)))}} {
			m := lib.NewMatcher()
			frames(v.x, m.Feed, nil)
			if r, ok := m.Result(); ok {
				t.Errorf("%q (%s) matched %+v", text, v.name, r)
			}
		}
	}
	t.Logf("negatives: %d phrases × 2 variants", len(negatives))
}
