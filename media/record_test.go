package media

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// readWAV checks the header of a stereo 8 kHz 16-bit WAV and returns its
// two channels.
func readWAV(t testing.TB, path string) (left, right []int16) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 44 || string(b[0:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " || string(b[36:40]) != "data" {
		t.Fatalf("not a WAV header: %q", b[:min(len(b), 44)])
	}
	le16 := func(o int) uint16 { return binary.LittleEndian.Uint16(b[o:]) }
	le32 := func(o int) uint32 { return binary.LittleEndian.Uint32(b[o:]) }
	if le16(20) != 1 || le16(22) != 2 || le32(24) != 8000 || le32(28) != 32000 || le16(32) != 4 || le16(34) != 16 {
		t.Fatalf("format: pcm %d ch %d rate %d byterate %d align %d bits %d", le16(20), le16(22), le32(24), le32(28), le16(32), le16(34))
	}
	data := le32(40)
	if int(data) != len(b)-44 || le32(4) != 36+data {
		t.Fatalf("sizes: data %d riff %d file %d", data, le32(4), len(b))
	}
	for o := 44; o+4 <= len(b); o += 4 {
		left = append(left, int16(le16(o)))
		right = append(right, int16(le16(o+2)))
	}
	return left, right
}

func TestRecorderPlacement(t *testing.T) {
	path := filepath.Join(t.TempDir(), "call.wav")
	t0 := time.Unix(1000, 0)
	r, err := newRecorder(RecordConfig{Path: path}, t0)
	if err != nil {
		t.Fatal(err)
	}
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	const ulaw, alaw = 0x80, 0xaa // full-scale positive in each law
	type write struct {
		ms, ch int
		ts     uint32
		late   bool
	}
	var writes []write
	// Leg A talks the whole second, one packet every 20 ms arriving at the
	// end of its 20 ms; the 10th arrives 15 ms late, the 11th on time.
	for i := range 50 {
		arrive := 20 * (i + 1)
		if i == 9 {
			arrive += 15
		}
		writes = append(writes, write{arrive, 0, uint32(160 * i), false})
	}
	// Leg B talks from 500 ms, then is on hold (nothing) 700–900 ms.
	for i := range 25 {
		ms := 500 + 20*(i+1)
		if ms > 700 && ms <= 900 {
			continue
		}
		writes = append(writes, write{ms, 1, uint32(80000 + 160*i), false})
	}
	// A packet far too late for its place is skipped, not written over.
	writes = append(writes, write{1000, 1, 80000, true})
	slices.SortStableFunc(writes, func(a, b write) int { return a.ms - b.ms })
	for _, w := range writes {
		law, v := false, byte(ulaw)
		if w.ch == 1 {
			law, v = true, alaw
		}
		r.write(w.ch, at(w.ms), uint32(0xA+w.ch), w.ts, law, w.late, pcmu(160, v))
	}
	rec, err := r.finish(at(1000))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Duration != time.Second || rec.Path != path || rec.Packets != 50+15 || rec.Skipped != 1 {
		t.Fatalf("recording %+v", rec)
	}
	if _, err := os.Stat(path + ".part"); !os.IsNotExist(err) {
		t.Fatal("temporary file left behind")
	}
	b, _ := os.ReadFile(path)
	sum := sha256.Sum256(b)
	if rec.SHA256 != hex.EncodeToString(sum[:]) || rec.Bytes != int64(len(b)) {
		t.Fatal("digest or size do not match the file")
	}
	left, right := readWAV(t, path)
	if len(left) != 8000 {
		t.Fatalf("%d frames, want 8000", len(left))
	}
	loud := ulawToLinear(ulaw)
	for i, v := range left {
		if v != loud {
			t.Fatalf("left channel sample %d = %d: the late packet tore the audio", i, v)
		}
	}
	aLoud := alawToLinear(alaw)
	for i, v := range right {
		ms := i / 8
		want := int16(0)
		// B's packets: its RTP time is anchored on its first arrival (500..520 ms).
		if ms >= 500 && ms < 1000 && !(ms >= 700 && ms < 900) {
			want = aLoud
		}
		if v != want {
			t.Fatalf("right channel at %d ms (sample %d) = %d, want %d", ms, i, v, want)
		}
	}
}

// TestRecorderResyncs: a timestamp jump (new talk spurt after hold, or a
// sender restart) re-anchors on arrival time instead of leaving a hole or
// overlapping.
func TestRecorderResyncs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resync.wav")
	t0 := time.Unix(0, 0)
	r, err := newRecorder(RecordConfig{Path: path}, t0)
	if err != nil {
		t.Fatal(err)
	}
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	r.write(0, at(20), 1, 0, false, false, pcmu(160, 0x80))
	r.write(0, at(40), 1, 4_000_000, false, false, pcmu(160, 0x80)) // jump of ~8 minutes in RTP time
	rec, err := r.finish(at(100))
	if err != nil || rec.Packets != 2 {
		t.Fatalf("%+v %v", rec, err)
	}
	left, _ := readWAV(t, path)
	for i, v := range left {
		want := int16(0)
		if i < 320 {
			want = ulawToLinear(0x80)
		}
		if v != want {
			t.Fatalf("sample %d = %d, want %d", i, v, want)
		}
	}
}

func TestRecordingThroughSession(t *testing.T) {
	pool := newTestPool(t, 62400, 62499)
	path := filepath.Join(t.TempDir(), "session.wav")
	s := newTestSession(t, pool, SessionConfig{Record: &RecordConfig{Path: path}})
	opened := time.Now()
	a, b := newPhone(t), newPhone(t)
	s.SetRemote(A, a.remote())
	s.SetRemote(B, b.remote())
	aLocal, _ := s.Local(A)
	bLocal, _ := s.Local(B)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := range 15 {
		<-tick.C
		a.send(aLocal, rtpPacket(t, 0, uint16(i), uint32(160*i), 0xA, pcmu(160, 0x80)))
		b.send(bLocal, rtpPacket(t, 8, uint16(i), uint32(160*i), 0xB, pcmu(160, 0xaa)))
		b.send(bLocal, rtpPacket(t, 101, uint16(1000+i), 0, 0xB, eventPayload(1, false, 160))) // not audio: not recorded
		for _, p := range []*phone{a, b, a} {                                                  // A gets B's audio and event
			if _, _, ok := p.recv(wait); !ok {
				t.Fatal("not relayed")
			}
		}
	}
	f, err := s.Close()
	elapsed := time.Since(opened)
	if err != nil || f.Recording == nil {
		t.Fatalf("close: %v %+v", err, f.Recording)
	}
	rec := f.Recording
	if rec.Packets != 30 || rec.Duration > elapsed || rec.Duration < elapsed-20*time.Millisecond {
		t.Fatalf("recording %+v, session lasted %v", rec, elapsed)
	}
	left, right := readWAV(t, path)
	if time.Duration(len(left))*time.Second/8000 != rec.Duration {
		t.Fatalf("%d frames for %v", len(left), rec.Duration)
	}
	count := func(ch []int16, v int16) (n int) {
		for _, x := range ch {
			if x == v {
				n++
			}
		}
		return n
	}
	// 15 packets of 160 samples each side, unless a slow scheduler made
	// one arrive so late that it was re-anchored over another.
	if n := count(left, ulawToLinear(0x80)); n < 13*160 || n > 15*160 {
		t.Fatalf("left has %d loud samples, want about %d", n, 15*160)
	}
	if n := count(right, alawToLinear(0xaa)); n < 13*160 || n > 15*160 {
		t.Fatalf("right has %d loud samples, want about %d", n, 15*160)
	}
	if len(rec.SHA256) != 64 {
		t.Fatal("no digest")
	}
}

// TestRecorderLateWildTimestamp: a late packet (by sequence number) whose
// timestamp is hours away must be dropped, not make the recorder allocate
// room up to it (found by FuzzRTPPacket: the process ran out of memory).
func TestRecorderLateWildTimestamp(t *testing.T) {
	t0 := time.Unix(0, 0)
	r, err := newRecorder(RecordConfig{Path: filepath.Join(t.TempDir(), "wild.wav")}, t0)
	if err != nil {
		t.Fatal(err)
	}
	r.write(0, t0.Add(20*time.Millisecond), 1, 1000, false, false, pcmu(160, 0x80))
	r.write(0, t0.Add(40*time.Millisecond), 1, 1000+0x7fff0000, false, true, pcmu(160, 0x80))
	r.write(0, t0.Add(60*time.Millisecond), 1, 1000+0x80010000, false, true, pcmu(160, 0x80))
	if len(r.pend[0]) > 8000 || r.skipped != 2 {
		t.Fatalf("pending %d samples, skipped %d", len(r.pend[0]), r.skipped)
	}
	if _, err := r.finish(t0.Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
}
