package cdr_test

import (
	"context"
	"testing"
	"time"

	"softswitch/billing/cdr"
	"softswitch/domain"
)

func TestLatencyQuantiles(t *testing.T) {
	var l cdr.Latency
	if _, ok := l.Quantile(0.5); ok {
		t.Fatal("quantile of nothing")
	}
	// 100 observations: 1ms..99ms and one of 3s.
	for i := 1; i < 100; i++ {
		l.Observe(time.Duration(i) * time.Millisecond)
	}
	l.Observe(3 * time.Second)
	tests := []struct {
		q    float64
		want time.Duration
	}{
		{0.5, 50 * time.Millisecond},   // 50th value is 50ms, bucket [50,55)
		{0.99, 100 * time.Millisecond}, // 99th is 99ms, bucket [95,100)
		{1, 3005 * time.Millisecond},
	}
	var over cdr.Latency
	over.Observe(time.Minute)
	if q, _ := over.Quantile(0.5); q != cdr.Overflow {
		t.Errorf("a minute, past the 20 s range: Quantile = %v, want Overflow", q)
	}
	for _, tt := range tests {
		got, _ := l.Quantile(tt.q)
		// 5ms buckets: the answer is an upper bound within one bucket.
		if got < tt.want || got > tt.want+5*time.Millisecond {
			t.Errorf("Quantile(%v) = %v, want %v (+5ms)", tt.q, got, tt.want)
		}
	}
	if n, _ := l.Count(); n != 100 {
		t.Errorf("Count = %d", n)
	}
}

func TestTimedObservesOnlyStoredCDRs(t *testing.T) {
	s, _ := newStore(t)
	var l cdr.Latency
	now := t0.Add(time.Minute)
	ts := cdr.Timed{Store: s, Latency: &l, Now: func() time.Time { return now }}
	r := domain.CDR{ID: "x", CallID: "c", Start: domain.Timestamp(t0), End: domain.Timestamp(now.Add(-250 * time.Millisecond))}
	must(t, ts.Put(context.Background(), []domain.CDR{r}, 1))
	if q, _ := l.Quantile(0.5); q != 255*time.Millisecond {
		t.Errorf("p50 = %v, want 255ms (bucket [250,255))", q)
	}
	if err := ts.Put(context.Background(), []domain.CDR{{ID: ""}}, 2); err == nil {
		t.Fatal("invalid CDR stored")
	}
	if n, _ := l.Count(); n != 1 {
		t.Errorf("a failed Put was observed: count %d", n)
	}
}
