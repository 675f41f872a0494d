package ids

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEncodeKnownValues(t *testing.T) {
	tests := []struct {
		name string
		ms   uint64
		hi   uint16
		lo   uint64
		want string
	}{
		{"zero", 0, 0, 0, "00000000000000000000000000"},
		{"max", 1<<48 - 1, 0xffff, ^uint64(0), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"},
		// The ULID spec's example time 1469918176385 encodes as 01ARYZ6S41.
		{"spec time", 1469918176385, 0, 0, "01ARYZ6S410000000000000000"},
		{"last bit", 0, 0, 1, "00000000000000000000000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := encode(tt.ms, tt.hi, tt.lo); got != tt.want {
				t.Errorf("encode = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestMonotonicAndUnique: many ids in one millisecond, and a clock that
// steps back, still give distinct ids in increasing order.
func TestMonotonicAndUnique(t *testing.T) {
	at := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	clock := at
	g := New("n1", func() time.Time { return clock })
	g.fill = func(b []byte) {
		for i := range b {
			b[i] = 0xff // the carry from lo into hi is exercised at once
		}
	}
	prev := ""
	for i := range 1000 {
		if i == 500 {
			clock = at.Add(-time.Hour) // NTP stepped the clock back
		}
		id := g.Next()
		if !strings.HasPrefix(id, "n1-") || len(id) != len("n1-")+26 {
			t.Fatalf("id %q", id)
		}
		if id <= prev {
			t.Fatalf("id %d %s not after %s", i, id, prev)
		}
		prev = id
	}
}

func TestConcurrentUnique(t *testing.T) {
	g := New("n1", time.Now)
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				id := g.Next()
				mu.Lock()
				if seen[id] {
					t.Errorf("duplicate %s", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
