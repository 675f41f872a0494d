package compliance

import (
	"errors"
	"sync"
	"testing"
	"time"
)

func newCaps(t testing.TB, c CapsConfig) *Caps {
	t.Helper()
	if c.ExpectedCallees == 0 {
		c.ExpectedCallees = 1024
	}
	caps, err := NewCaps(c)
	if err != nil {
		t.Fatal(err)
	}
	return caps
}

func TestCapsDefaultRules(t *testing.T) {
	t0 := at(t, time.UTC, "2026-01-05 01:00")
	min := func(m float64) time.Time { return t0.Add(time.Duration(m * float64(time.Minute))) }
	tests := []struct {
		name    string
		history []float64 // attempts, minutes after t0
		now     float64
		ok      bool
		retryAt time.Time
		rule    int
		counts  [3]int
	}{
		{"first call", nil, 0, true, time.Time{}, -1, [3]int{}},
		{"second within the minute", []float64{0}, 0.5, false, min(1), 0, [3]int{1, 1, 1}},
		{"a minute later (window is half-open)", []float64{0}, 1, true, time.Time{}, -1, [3]int{0, 1, 1}},
		{"sixth in the hour", []float64{0, 10, 20, 30, 40}, 50, false, min(60), 1, [3]int{0, 5, 5}},
		{"the hour slides", []float64{0, 10, 20, 30, 40}, 60, true, time.Time{}, -1, [3]int{0, 4, 5}},
		{"21st in the day", spread(20, 70), 20*70 + 5, false, min(24 * 60), 2, [3]int{0, 0, 20}},
		{"both minute and hour refuse: the later retry wins", []float64{0, 10, 20, 30, 59.5}, 59.75, false, min(60.5), 0, [3]int{1, 5, 5}},
	}
	rules := DefaultCapRules()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCaps(t, CapsConfig{})
			const k = 8613800138000
			for _, h := range tt.history {
				c.Record(k, min(h))
			}
			ok, retryAt, reason := c.Allow(k, min(tt.now), rules)
			if ok != tt.ok || !retryAt.Equal(tt.retryAt) || (reason == "") != ok {
				t.Fatalf("Allow = %v %v %q, want %v %v", ok, retryAt, reason, tt.ok, tt.retryAt)
			}
			var seen [MaxCapRules]CapSeen
			ok2, _, rule := c.Take(k, min(tt.now), rules, seen[:])
			if ok2 != ok || rule != tt.rule {
				t.Fatalf("Take = %v rule %d, want rule %d", ok2, rule, tt.rule)
			}
			for i, want := range tt.counts {
				if seen[i].Count != want || seen[i].Max != rules[i].Max || seen[i].Window != rules[i].Window {
					t.Errorf("seen[%d] = %+v, want count %d", i, seen[i], want)
				}
			}
			// Take recorded only when allowed: a second Take in the same
			// second is refused by the 1/minute rule.
			if again, _, _ := c.Take(k, min(tt.now), rules, nil); again {
				t.Error("second Take allowed")
			}
		})
	}
}

func spread(n int, every float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i) * every
	}
	return out
}

// Two campaigns with different rules share one callee: each counts the
// other's attempts.
func TestCapsAcrossCampaigns(t *testing.T) {
	c := newCaps(t, CapsConfig{})
	t0 := at(t, time.UTC, "2026-01-05 01:00")
	const k = 8613800138000
	strict := []CapRule{{Window: time.Hour, Max: 2}}
	loose := DefaultCapRules()
	steps := []struct {
		rules []CapRule
		dt    time.Duration
		ok    bool
	}{
		{loose, 0, true},
		{strict, 30 * time.Second, true},               // strict has no minute rule; 1 in the hour
		{strict, 2 * time.Minute, false},               // 2 in the hour, both campaigns' calls counted
		{loose, 2 * time.Minute, true},                 // loose: 3rd in the hour, none in the last minute
		{loose, 2*time.Minute + 30*time.Second, false}, // loose: the minute rule
		{loose, 3*time.Minute + 30*time.Second, true},  // loose: 4th in the hour
		{loose, 5 * time.Minute, true},                 // loose: 5th
		{loose, 7 * time.Minute, false},                // loose: 5 in the hour
	}
	for i, s := range steps {
		ok, _, _ := c.Take(k, t0.Add(s.dt), s.rules, nil)
		if ok != s.ok {
			t.Fatalf("step %d: %v, want %v", i, ok, s.ok)
		}
	}
}

func TestCapsCancelAndSweep(t *testing.T) {
	c := newCaps(t, CapsConfig{Shards: 1, ExpectedCallees: 1})
	t0 := at(t, time.UTC, "2026-01-05 01:00")
	rules := DefaultCapRules()
	if ok, _, _ := c.Take(1, t0, rules, nil); !ok {
		t.Fatal("refused")
	}
	c.Cancel(1, t0)
	if ok, _, _ := c.Take(1, t0, rules, nil); !ok {
		t.Fatal("Cancel did not undo Take")
	}
	// The shard sweeps at 64 callees, then at twice what a sweep left:
	// 128, 256.
	for k := uint64(2); k <= 256; k++ {
		c.Record(k, t0)
	}
	if n := c.Len(); n != 256 {
		t.Fatalf("Len %d", n)
	}
	// A day later every callee has expired; a new one triggers a sweep
	// once the shard is at its threshold, and Sweep clears the rest.
	c.Record(500, t0.Add(24*time.Hour))
	if n := c.Len(); n > 2 {
		t.Fatalf("Len %d after a sweep", n)
	}
	if ok, _, _ := c.Allow(1, t0.Add(24*time.Hour), rules); !ok {
		t.Fatal("swept callee still capped")
	}
	c.Sweep(t0.Add(48 * time.Hour))
	if n := c.Len(); n != 0 {
		t.Fatalf("Len %d after Sweep", n)
	}
}

func TestCapsRingKeepsNewest(t *testing.T) {
	c := newCaps(t, CapsConfig{Ring: 3})
	t0 := at(t, time.UTC, "2026-01-05 01:00")
	for i := range 5 {
		c.Record(1, t0.Add(time.Duration(i)*time.Minute))
	}
	rule := []CapRule{{Window: time.Hour, Max: 3}}
	ok, retryAt, _ := c.Allow(1, t0.Add(5*time.Minute), rule)
	if ok || !retryAt.Equal(t0.Add(62*time.Minute)) {
		t.Fatalf("%v %v: the ring must keep minutes 2, 3, 4", ok, retryAt)
	}
}

func TestCapsConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		cfg   CapsConfig
		field string
	}{
		{CapsConfig{Ring: 65}, "caps_table.ring"},
		{CapsConfig{Shards: 3}, "caps_table.shards"},
		{CapsConfig{Horizon: time.Millisecond}, "caps_table.horizon"},
	} {
		var ce *ConfigError
		if err := tt.cfg.Validate(); !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("%+v: %v, want %s", tt.cfg, err, tt.field)
		}
	}
	err := validateRules("caps", []CapRule{{Window: time.Minute, Max: 1}, {Window: 48 * time.Hour, Max: 21}}, 20, 24*time.Hour)
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "caps[1].window" || len(err.(interface{ Unwrap() []error }).Unwrap()) != 2 {
		t.Fatalf("%v", err)
	}
}

// Run with -race: many goroutines Take on a few shared callees; no rule
// is ever exceeded, whatever the interleaving.
func TestCapsConcurrent(t *testing.T) {
	c := newCaps(t, CapsConfig{Shards: 4})
	t0 := at(t, time.UTC, "2026-01-05 01:00")
	rules := []CapRule{{Window: time.Hour, Max: 5}}
	const callees, workers = 8, 8
	var mu sync.Mutex
	allowed := make(map[uint64]int)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				k := uint64(8613800138000 + (w+i)%callees)
				now := t0.Add(time.Duration(i%30) * time.Second)
				if ok, _, _ := c.Take(k, now, rules, nil); ok {
					mu.Lock()
					allowed[k]++
					mu.Unlock()
				}
				c.Allow(k, now, rules)
				if i%100 == 0 {
					c.Sweep(now)
					c.Len()
				}
			}
		}()
	}
	wg.Wait()
	for k, n := range allowed {
		if n != 5 {
			t.Errorf("%d: %d allowed, want exactly 5", k, n)
		}
	}
	if len(allowed) != callees {
		t.Errorf("%d callees", len(allowed))
	}
}
