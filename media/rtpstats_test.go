package media

import "testing"

func TestSeqState(t *testing.T) {
	seqs := func(from, to uint16) []uint16 {
		var s []uint16
		for i := from; ; i++ {
			s = append(s, i)
			if i == to {
				return s
			}
		}
	}
	cat := func(parts ...[]uint16) []uint16 {
		var s []uint16
		for _, p := range parts {
			s = append(s, p...)
		}
		return s
	}
	tests := []struct {
		name           string
		seqs           []uint16
		expected, lost int64
		dups, late     int
	}{
		{"in order", seqs(100, 199), 100, 0, 0, 0},
		{"gap of 3", cat(seqs(1, 10), seqs(14, 20)), 20, 3, 0, 0},
		{"wrap", seqs(65500, 100), 137, 0, 0, 0},
		{"wrap with loss", cat(seqs(65530, 65535), seqs(2, 5)), 12, 2, 0, 0},
		{"reordered", []uint16{1, 2, 4, 3, 5}, 5, 0, 0, 1},
		{"duplicates", []uint16{1, 2, 2, 3, 3, 3, 4}, 4, 0, 3, 0},
		{"late duplicate", []uint16{1, 2, 3, 4, 2, 5}, 5, 0, 1, 0},
		{"reordered across wrap", []uint16{65534, 0, 65535, 1}, 4, 0, 0, 1},
		{"lost then late arrival fills", []uint16{1, 2, 5, 3, 4, 6}, 6, 0, 0, 2},
		// A.1: the first packet of a restart only arms it; the run restarts at the second.
		{"restart after big jump confirmed", cat(seqs(1, 10), []uint16{30000, 30001, 30002}), 12, 0, 0, 1},
		{"single stray big jump", cat(seqs(1, 10), []uint16{40000}, seqs(11, 20)), 20, 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s seqState
			dups, late := 0, 0
			for _, q := range tt.seqs {
				d, l := s.update(0x1234, q)
				if d {
					dups++
				}
				if l {
					late++
				}
			}
			if got := s.expectedTotal(); got != tt.expected {
				t.Errorf("expected %d, want %d", got, tt.expected)
			}
			if got := s.lost(); got != tt.lost {
				t.Errorf("lost %d, want %d", got, tt.lost)
			}
			if dups != tt.dups || late != tt.late {
				t.Errorf("dups %d late %d, want %d %d", dups, late, tt.dups, tt.late)
			}
		})
	}
}

func TestSeqStateNewSSRC(t *testing.T) {
	var s seqState
	for _, q := range []uint16{1, 2, 4, 5} { // one lost
		s.update(1, q)
	}
	for _, q := range []uint16{900, 901, 903} { // new source, one lost
		s.update(2, q)
	}
	if s.expectedTotal() != 5+4 || s.lost() != 2 {
		t.Fatalf("expected %d lost %d, want 9 and 2", s.expectedTotal(), s.lost())
	}
}

// TestJitter checks A.8 against hand-computed values: packets every 20 ms
// (160 timestamp units at 8 kHz) with one arriving 10 ms late.
func TestJitter(t *testing.T) {
	var s seqState
	const ms = int64(1e6)
	arrivals := []int64{0, 20, 40, 70, 80, 100} // ms; the 4th is 10 ms late
	for i, a := range arrivals {
		s.updateJitter(a*ms, uint32(i*160), 8000, 0)
	}
	// transit differences in samples: 0, 0, 80, 80 (back), 0
	// J: 0, 0, 5, 5+(80-5)/16=9.6875, 9.6875-9.6875/16=9.0820
	want := 9.0820
	if got := s.jitter; got < want-0.01 || got > want+0.01 {
		t.Fatalf("jitter %.4f samples, want %.4f", got, want)
	}
	if got := s.jitterMs(); got < 1.13 || got > 1.14 {
		t.Fatalf("jitter %.3f ms, want 1.135", got)
	}
	// A new payload type restarts the estimate's reference, not its value.
	s.updateJitter(120*ms, 999999, 8000, 8)
	if s.jitter < 9 {
		t.Fatalf("jitter reset on payload change: %.3f", s.jitter)
	}
}
