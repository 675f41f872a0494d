package media

import (
	"sync"
	"testing"
)

// TestOnAudio: each G.711 packet a leg sends is handed to OnAudio decoded,
// before anything is known of the other leg (early media, no
// destination), a duplicate is not, and a non-G.711 payload is not.
func TestOnAudio(t *testing.T) {
	pool := newTestPool(t, 62600, 62619)
	var mu sync.Mutex
	got := map[Leg][][]int16{}
	s := newTestSession(t, pool, SessionConfig{OnAudio: func(l Leg, pcm []int16) {
		mu.Lock()
		got[l] = append(got[l], append([]int16(nil), pcm...))
		mu.Unlock()
	}})
	callee := newPhone(t)
	if err := s.SetRemote(B, callee.remote()); err != nil {
		t.Fatal(err)
	}
	rtpB, _ := s.Local(B)
	tests := []struct {
		pt      uint8
		seq     uint16
		payload []byte
	}{
		{0, 1, pcmu(160, 0xFF)}, // μ-law 0xFF is 0
		{8, 2, pcmu(160, 0xD5)}, // A-law 0xD5 is +8
		{8, 2, pcmu(160, 0xD5)}, // a duplicate: not handed on
		{18, 3, pcmu(20, 0x01)}, // G.729: not decoded
		{0, 4, pcmu(160, 0x80)}, // μ-law 0x80 is +32124
	}
	for i, tt := range tests {
		callee.send(rtpB, rtpPacket(t, tt.pt, tt.seq, uint32(i)*160, 42, tt.payload))
	}
	waitFor(t, "three packets heard", func() bool { mu.Lock(); defer mu.Unlock(); return len(got[B]) == 3 })
	mu.Lock()
	defer mu.Unlock()
	want := []int16{0, 8, 32124}
	for i, pcm := range got[B] {
		if len(pcm) != 160 || pcm[0] != want[i] || pcm[159] != want[i] {
			t.Fatalf("packet %d: %d samples, first %d, want 160 of %d", i, len(pcm), pcm[0], want[i])
		}
	}
	if len(got[A]) != 0 {
		t.Fatalf("leg A heard %d packets", len(got[A]))
	}
}
