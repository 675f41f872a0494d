package journal

import (
	"fmt"
	"testing"

	"softswitch/domain"
)

func TestRecentRing(t *testing.T) {
	envs := func(n int) []domain.Envelope {
		out := make([]domain.Envelope, n)
		for i := range out {
			out[i].ID = fmt.Sprint(i)
		}
		return out
	}
	type span struct {
		from, to uint64
		ok       bool
	}
	tests := []struct {
		name  string
		adds  [][2]int // position, count
		spans []span
	}{
		{"empty", nil, []span{{1, 1, false}, {2, 1, true}}},
		{"one batch", [][2]int{{1, 3}}, []span{{1, 3, true}, {2, 3, true}, {1, 4, false}, {0, 2, false}}},
		{"wraps: oldest dropped", [][2]int{{1, 3}, {4, 3}}, []span{{3, 6, true}, {2, 6, false}, {6, 6, true}}},
		{"batch larger than ring", [][2]int{{1, 9}}, []span{{6, 9, true}, {5, 9, false}}},
		{"gap restarts the ring", [][2]int{{1, 3}, {10, 2}}, []span{{10, 11, true}, {3, 3, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecent(4)
			for _, a := range tt.adds {
				r.add(uint64(a[0]), envs(a[1]))
			}
			for _, s := range tt.spans {
				got, ok := r.span(nil, s.from, s.to)
				if ok != s.ok {
					t.Fatalf("span(%d, %d) ok = %v, want %v", s.from, s.to, ok, s.ok)
				}
				if !ok || s.from > s.to {
					continue
				}
				if len(got) != int(s.to-s.from+1) {
					t.Fatalf("span(%d, %d) = %d envelopes", s.from, s.to, len(got))
				}
				for i, e := range got {
					if e.Position != s.from+uint64(i) {
						t.Fatalf("span(%d, %d)[%d] at position %d", s.from, s.to, i, e.Position)
					}
				}
			}
		})
	}
}
