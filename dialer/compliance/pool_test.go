package compliance

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func newPool(t testing.TB, c PoolConfig) *Pool {
	t.Helper()
	if c.Carrier == "" {
		c.Carrier = "china-mobile"
	}
	p, err := NewPool(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPoolRotation(t *testing.T) {
	sh := mustLoc(t, "Asia/Shanghai")
	now := at(t, sh, "2026-01-05 10:00")
	nums := []string{"01012345671", "01012345672", "01012345673"}
	tests := []struct {
		name     string
		rotation string
		before   func(p *Pool) // skews usage
		want     []string
	}{
		{"round robin", RotationRoundRobin, nil,
			[]string{"861012345671", "861012345672", "861012345673", "861012345671"}},
		{"least used evens out", RotationLeastUsed, func(p *Pool) {
			p.nums[0].day, p.nums[0].used = dateKey(now.In(sh)), 2
			p.nums[1].day, p.nums[1].used = dateKey(now.In(sh)), 1
		}, []string{"861012345673", "861012345672", "861012345673", "861012345671"}}, // ties: first from the cursor
		{"round robin skips a removed number", RotationRoundRobin, func(p *Pool) { p.nums[1].removed = "test" },
			[]string{"861012345671", "861012345673", "861012345671"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPool(t, PoolConfig{Numbers: nums, Rotation: tt.rotation})
			if tt.before != nil {
				tt.before(p)
			}
			for i, want := range tt.want {
				got, ok, reason := p.Pick(now)
				if got != want || !ok || reason != "" {
					t.Fatalf("pick %d = %s %v %q, want %s", i, got, ok, reason, want)
				}
			}
		})
	}
}

func TestPoolDailyCapResetsAtLocalMidnight(t *testing.T) {
	sh := mustLoc(t, "Asia/Shanghai")
	p := newPool(t, PoolConfig{Numbers: []string{"01012345671", "01012345672"}, DailyCap: 2})
	day := at(t, sh, "2026-01-05 23:50")
	for i := range 4 {
		if _, ok, _ := p.Pick(day); !ok {
			t.Fatalf("pick %d refused", i)
		}
	}
	if _, ok, reason := p.Pick(day); ok || reason != PoolDailyCap {
		t.Fatalf("fifth pick: %v %q", ok, reason)
	}
	if reset := p.NextReset(day); !reset.Equal(at(t, sh, "2026-01-06 00:00")) {
		t.Fatalf("NextReset %v", reset)
	}
	// 16:00 UTC is midnight in Shanghai.
	if _, ok, _ := p.Pick(at(t, time.UTC, "2026-01-05 15:59")); ok {
		t.Fatal("cap reset before local midnight")
	}
	if _, ok, _ := p.Pick(at(t, time.UTC, "2026-01-05 16:00")); !ok {
		t.Fatal("cap not reset at local midnight")
	}
}

func TestPoolSpamRemoval(t *testing.T) {
	nums := []string{"01012345671", "01012345672", "01012345673", "01012345674"}
	tests := []struct {
		name    string
		rates   []int // answers per 10 attempts, per number
		removed []bool
		reason  string // substring of the removal reason
	}{
		{"healthy pool", []int{3, 4, 3, 2}, []bool{false, false, false, false}, ""},
		{"one collapsed against the median", []int{4, 4, 3, 0}, []bool{false, false, false, true}, "absolute floor"},
		{"below a tenth of the median but above the floor", []int{5, 5, 5, 0}, []bool{false, false, false, true}, ""},
		{"low but not a tenth of the median", []int{5, 5, 5, 1}, []bool{false, false, false, false}, ""},
		{"whole pool marked: the absolute floor catches it", []int{0, 0, 0, 0}, []bool{true, true, true, true}, "absolute floor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Window 50 and absolute floor 0.02: 1 answer in 50 is 0.02
			// (kept), 0 is removed; relative: a tenth of the median.
			p := newPool(t, PoolConfig{Numbers: nums})
			var reasons []string
			for range 5 {
				for i, n := range nums {
					for a := range 10 {
						e164 := "86" + n[1:]
						removed, why, err := p.Outcome(e164, a < tt.rates[i])
						if err != nil {
							t.Fatal(err)
						}
						if removed {
							reasons = append(reasons, why)
						}
					}
				}
			}
			st := p.Status(time.Time{})
			for i, want := range tt.removed {
				if (st[i].Removed != "") != want {
					t.Errorf("%s removed=%q, want %v (rate %.2f)", st[i].E164, st[i].Removed, want, st[i].AnswerRate)
				}
			}
			if tt.reason != "" && (len(reasons) == 0 || !strings.Contains(reasons[0], tt.reason)) {
				t.Errorf("reasons %q, want %q", reasons, tt.reason)
			}
		})
	}
}

func TestPoolRelativeFloorReason(t *testing.T) {
	p := newPool(t, PoolConfig{Numbers: []string{"01012345671", "01012345672", "01012345673"},
		Spam: SpamConfig{Window: 20, AbsoluteFloor: 0.01}})
	var why string
	for a := range 20 {
		p.Outcome("861012345671", a%5 != 0)                              // 0.8
		p.Outcome("861012345672", a%5 != 0)                              // 0.8
		if removed, r, _ := p.Outcome("861012345673", a == 0); removed { // 0.05: above the floor, below 0.08
			why = r
		}
	}
	if !strings.Contains(why, "median 0.800") {
		t.Fatalf("reason %q", why)
	}
	if _, ok, _ := p.Pick(time.Time{}); !ok {
		t.Fatal("no pick")
	}
	for range 3 {
		if got, _, _ := p.Pick(time.Time{}); got == "861012345673" {
			t.Fatal("removed number picked")
		}
	}
	if err := p.Restore("861012345673"); err != nil {
		t.Fatal(err)
	}
	if st := p.Status(time.Time{}); st[2].Removed != "" {
		t.Fatal("not restored")
	}
}

func TestPoolAllRemovedAndUnknown(t *testing.T) {
	p := newPool(t, PoolConfig{Numbers: []string{"01012345671"}, Spam: SpamConfig{Window: 2}})
	p.Outcome("861012345671", false)
	p.Outcome("861012345671", false)
	if _, ok, reason := p.Pick(time.Time{}); ok || reason != PoolAllRemoved {
		t.Fatalf("%v %q", ok, reason)
	}
	if _, _, err := p.Outcome("8613800138000", true); !errors.Is(err, ErrUnknownCallerID) {
		t.Fatal(err)
	}
}

func TestPoolValidate(t *testing.T) {
	for _, tt := range []struct {
		cfg   PoolConfig
		field string
	}{
		{PoolConfig{Numbers: []string{"01012345671"}}, "pool.carrier"},
		{PoolConfig{Carrier: "c"}, "pool.numbers"},
		{PoolConfig{Carrier: "c", Numbers: []string{"01012345671", "12"}}, "pool.numbers[1]"},
		{PoolConfig{Carrier: "c", Numbers: []string{"01012345671", "+861012345671"}}, "pool.numbers[1]"},
		{PoolConfig{Carrier: "c", Numbers: []string{"01012345671"}, Rotation: "random"}, "pool.rotation"},
		{PoolConfig{Carrier: "c", Numbers: []string{"01012345671"}, Zone: "Nowhere/Town"}, "pool.zone"},
		{PoolConfig{Carrier: "c", Numbers: []string{"01012345671"}, Spam: SpamConfig{Window: 65}}, "pool.spam.window"},
		{PoolConfig{Carrier: "c", Numbers: []string{"01012345671"}, Spam: SpamConfig{RelativeFloor: 2}}, "pool.spam.relative_floor"},
		{PoolConfig{Carrier: "c", Numbers: []string{"01012345671"}, DailyCap: -1}, "pool.daily_cap"},
	} {
		var ce *ConfigError
		if err := tt.cfg.Validate(); !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("%+v: %v, want %s", tt.cfg, err, tt.field)
		}
	}
}
