package media

import (
	"context"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// TestPlay: played audio reaches the leg's endpoint as paced G.711 RTP in
// the payload type its SDP chose, one sequence, decoding back to the
// samples within G.711's quantisation.
func TestPlay(t *testing.T) {
	pool := newTestPool(t, 62620, 62639)
	s := newTestSession(t, pool, SessionConfig{})
	callee := newPhone(t)
	r := callee.remote()
	r.Payloads = []PayloadType{{PT: 8, Name: "PCMA", ClockRate: 8000}}
	if err := s.SetRemote(B, r); err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, 800) // 100 ms: five packets
	for i := range pcm {
		pcm[i] = int16(i * 20)
	}
	start := time.Now()
	n, err := s.Play(context.Background(), B, pcm)
	if err != nil || n != 5 {
		t.Fatalf("played %d packets: %v", n, err)
	}
	if el := time.Since(start); el < 80*time.Millisecond {
		t.Fatalf("five packets in %v: not paced", el)
	}
	var seq uint16
	for i := range 5 {
		b, _, ok := callee.recv(time.Second)
		if !ok {
			t.Fatalf("packet %d not received", i)
		}
		var p rtp.Packet
		if err := p.Unmarshal(b); err != nil || p.PayloadType != 8 || len(p.Payload) != 160 {
			t.Fatalf("packet %d: %v pt %d len %d", i, err, p.PayloadType, len(p.Payload))
		}
		if i > 0 && p.SequenceNumber != seq+1 {
			t.Fatalf("sequence %d after %d", p.SequenceNumber, seq)
		}
		seq = p.SequenceNumber
		out := make([]int16, 160)
		DecodeALaw(out, p.Payload)
		if want := pcm[i*160+100]; abs16(out[100]-want) > max(abs16(want)/14, 40) {
			t.Fatalf("packet %d sample 100: %d, want ~%d", i, out[100], want)
		}
	}
}

func abs16(v int16) int16 {
	if v < 0 {
		return -v
	}
	return v
}
