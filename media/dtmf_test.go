package media

import (
	"encoding/binary"
	"testing"
	"time"
)

func eventPayload(ev uint8, end bool, dur uint16) []byte {
	b := make([]byte, 4)
	b[0] = ev
	b[1] = 10 // volume
	if end {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], dur)
	return b
}

func TestDTMFState(t *testing.T) {
	t0 := time.Unix(100, 0)
	type step struct {
		audio  bool
		expire bool // call expire at this step's time instead of a packet
		ts     uint32
		ev     uint8
		end    bool
		dur    uint16
		at     time.Duration
		want   []string // digits reported by this step
	}
	tests := []struct {
		name   string
		steps  []step
		ended  []bool // Ended of each digit reported, in order
		durMs  []int
		starts []time.Duration
	}{
		{"three end packets, one digit", []step{
			{ts: 1000, ev: 5, dur: 160, at: 0},
			{ts: 1000, ev: 5, dur: 320, at: 20 * time.Millisecond},
			{ts: 1000, ev: 5, dur: 800, end: true, at: 100 * time.Millisecond, want: []string{"5"}},
			{ts: 1000, ev: 5, dur: 800, end: true, at: 120 * time.Millisecond},
			{ts: 1000, ev: 5, dur: 800, end: true, at: 140 * time.Millisecond},
		}, []bool{true}, []int{100}, []time.Duration{0}},
		{"end packets lost, audio resumes", []step{
			{ts: 2000, ev: 11, dur: 160, at: 0},
			{ts: 2000, ev: 11, dur: 480, at: 40 * time.Millisecond},
			{audio: true, at: 200 * time.Millisecond, want: []string{"#"}},
		}, []bool{false}, []int{60}, []time.Duration{0}},
		{"end packets lost, the event just stops", []step{
			{ts: 3000, ev: 10, dur: 160, at: 0},
			{expire: true, at: 100 * time.Millisecond},
			{expire: true, at: 400 * time.Millisecond, want: []string{"*"}},
			{ts: 3000, ev: 10, dur: 800, end: true, at: 450 * time.Millisecond}, // late end: already reported
		}, []bool{false}, []int{20}, []time.Duration{0}},
		{"next digit supersedes one without end", []step{
			{ts: 4000, ev: 1, dur: 160, at: 0},
			{ts: 5000, ev: 2, dur: 160, at: 200 * time.Millisecond, want: []string{"1"}},
			{ts: 5000, ev: 2, dur: 400, end: true, at: 260 * time.Millisecond, want: []string{"2"}},
		}, []bool{false, true}, []int{20, 50}, []time.Duration{0, 200 * time.Millisecond}},
		{"only the end packets arrive", []step{
			{ts: 6000, ev: 12, dur: 640, end: true, at: 0, want: []string{"A"}},
			{ts: 6000, ev: 12, dur: 640, end: true, at: 20 * time.Millisecond},
		}, []bool{true}, []int{80}, []time.Duration{0}},
		{"flash", []step{{ts: 7000, ev: 16, dur: 2400, end: true, want: []string{"flash"}}}, []bool{true}, []int{300}, []time.Duration{0}},
		{"a tone that is not a digit is not reported", []step{
			{ts: 8000, ev: 40, dur: 160, end: true},
			{audio: true},
		}, nil, nil, nil},
		{"same digit twice in a row", []step{
			{ts: 9000, ev: 7, dur: 400, end: true, want: []string{"7"}},
			{ts: 9000, ev: 7, dur: 400, end: true, at: 20 * time.Millisecond},
			{ts: 9800, ev: 7, dur: 400, end: true, at: 300 * time.Millisecond, want: []string{"7"}},
		}, []bool{true, true}, []int{50, 50}, []time.Duration{0, 300 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s dtmfState
			var all []DTMF
			for i, st := range tt.steps {
				now := t0.Add(st.at)
				var got []DTMF
				switch {
				case st.expire:
					if d, ok := s.expire(B, now, 300*time.Millisecond); ok {
						got = append(got, d)
					}
				case st.audio:
					if d, ok := s.onAudio(B); ok {
						got = append(got, d)
					}
				default:
					out := s.onEvent(B, 0xabc, st.ts, 8000, eventPayload(st.ev, st.end, st.dur), now)
					got = append(got, out.d[:out.n]...)
				}
				if len(got) != len(st.want) {
					t.Fatalf("step %d: got %v, want %v", i, got, st.want)
				}
				for j := range got {
					if got[j].Digit != st.want[j] || got[j].Leg != B {
						t.Fatalf("step %d: got %+v, want digit %s", i, got[j], st.want[j])
					}
				}
				all = append(all, got...)
			}
			if len(all) != len(tt.ended) {
				t.Fatalf("%d digits, want %d", len(all), len(tt.ended))
			}
			for i, d := range all {
				if d.Ended != tt.ended[i] || d.Duration != time.Duration(tt.durMs[i])*time.Millisecond || !d.Start.Equal(t0.Add(tt.starts[i])) {
					t.Errorf("digit %d: %+v, want ended %v duration %d ms start +%v", i, d, tt.ended[i], tt.durMs[i], tt.starts[i])
				}
			}
		})
	}
}

func TestDTMFShortPayloadIgnored(t *testing.T) {
	var s dtmfState
	if out := s.onEvent(A, 1, 1, 8000, []byte{1, 0x80}, time.Now()); out.n != 0 || s.active {
		t.Fatalf("a 2-byte event payload was taken: %+v", out)
	}
}
