package main

import (
	"testing"
	"time"
)

func TestHistQuantiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		samplesUs     []int64
		p50, p99, max time.Duration
		over          uint64
	}{
		{"empty", nil, 0, 0, 0, 0},
		{"one", []int64{10}, 11 * time.Microsecond, 11 * time.Microsecond, 10 * time.Microsecond, 0},
		// 1..100 µs: p50 is the 50th sample (50 µs, bucket edge 51), p99 the 99th.
		{"1 to 100", seq(1, 100), 51 * time.Microsecond, 100 * time.Microsecond, 100 * time.Microsecond, 0},
		{"tail above 100 ms", append(seq(1, 98), 150_000, 200_000), 51 * time.Microsecond, 150 * time.Millisecond, 200 * time.Millisecond, 2},
	}
	for _, tt := range tests {
		h := new(hist)
		for _, us := range tt.samplesUs {
			h.add(us * 1000)
		}
		if got := h.quantile(0.5); got != tt.p50 {
			t.Errorf("%s: p50 %v, want %v", tt.name, got, tt.p50)
		}
		// Above 100 ms only the max is known, so such a quantile reports it.
		if got := h.quantile(0.99); got != tt.p99 && !(tt.over > 0 && got == tt.max) {
			t.Errorf("%s: p99 %v, want %v", tt.name, got, tt.p99)
		}
		if time.Duration(h.max) != tt.max || h.over != tt.over {
			t.Errorf("%s: max %v over %d, want %v %d", tt.name, time.Duration(h.max), h.over, tt.max, tt.over)
		}
	}
	a, b := new(hist), new(hist)
	a.add(1000)
	b.add(3000)
	a.merge(b)
	if a.n != 2 || a.mean() != 2*time.Microsecond || a.max != 3000 {
		t.Errorf("merged n %d mean %v max %d", a.n, a.mean(), a.max)
	}
}

func seq(from, to int64) []int64 {
	var s []int64
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}
