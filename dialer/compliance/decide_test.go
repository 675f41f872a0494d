package compliance

import (
	"errors"
	"testing"
	"time"
)

type fixture struct {
	e  *Engine
	c  *Campaign
	d  *DNC
	cp *Caps
	p  *Pool
}

func newFixture(t testing.TB, dailyCap int) fixture {
	t.Helper()
	d := LoadDNC(41, []uint64{8613900139000})
	cp := newCaps(t, CapsConfig{})
	p := newPool(t, PoolConfig{Carrier: "china-mobile", Numbers: []string{"01012345671", "01012345672"}, DailyCap: dailyCap})
	e := NewEngine(d, cp, p)
	c, err := e.Campaign(CampaignConfig{Name: "renewals", Hours: HoursConfig{Name: "cn-business", Holidays: []string{"2026-10-01"}}})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{e, c, d, cp, p}
}

func TestDecide(t *testing.T) {
	sh, ny := mustLoc(t, "Asia/Shanghai"), mustLoc(t, "America/New_York")
	open := at(t, sh, "2026-01-05 10:00") // a Monday
	lead := func(n string) Lead { return Lead{ID: "L1", Number: mustNumber(t, n), Carrier: "china-mobile"} }
	tests := []struct {
		name    string
		now     time.Time
		lead    Lead
		prior   []time.Time // attempts already made to the lead's number
		reason  string
		retryAt time.Time
		zone    string
	}{
		{"allowed", open, lead("13800138000"), nil, ReasonAllowed, time.Time{}, "Asia/Shanghai"},
		{"no number", open, Lead{Carrier: "china-mobile"}, nil, ReasonInvalidNumber, time.Time{}, ""},
		{"on the DNC list", open, lead("13900139000"), nil, ReasonDNC, time.Time{}, ""},
		{"DNC comes before hours", at(t, sh, "2026-01-05 03:00"), lead("13900139000"), nil, ReasonDNC, time.Time{}, ""},
		{"outside hours", at(t, sh, "2026-01-05 20:30"), lead("13800138000"), nil, ReasonOutsideHours, at(t, sh, "2026-01-06 09:00"), "Asia/Shanghai"},
		{"holiday", at(t, sh, "2026-10-01 10:00"), lead("13800138000"), nil, ReasonOutsideHours, at(t, sh, "2026-10-02 09:00"), "Asia/Shanghai"},
		{"hours come before caps", at(t, sh, "2026-01-05 20:30"), lead("13800138000"), []time.Time{at(t, sh, "2026-01-05 20:29")}, ReasonOutsideHours, at(t, sh, "2026-01-06 09:00"), "Asia/Shanghai"},
		{"+1 callee at 10:00 Shanghai is 21:00 in New York", open, lead("+12125550100"), nil, ReasonOutsideHours, at(t, ny, "2026-01-05 09:00"), "America/New_York"},
		{"a lead's zone overrides", open, Lead{Number: mustNumber(t, "+12125550100"), Zone: "Asia/Tokyo", Carrier: "china-mobile"}, nil, ReasonAllowed, time.Time{}, "Asia/Tokyo"},
		{"unknown zone", open, lead("+2901234"), nil, ReasonUnknownZone, time.Time{}, ""},
		{"frequency cap", open, lead("13800138000"), []time.Time{open.Add(-30 * time.Second)}, ReasonFrequencyCap, open.Add(30 * time.Second), "Asia/Shanghai"},
		{"no pool for the carrier", open, Lead{Number: mustNumber(t, "13800138000"), Carrier: "china-unicom"}, nil, ReasonNoCallerID, time.Time{}, "Asia/Shanghai"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 10)
			k, _ := Key(tt.lead.Number)
			for _, p := range tt.prior {
				f.cp.Record(k, p)
			}
			d := f.e.Decide(tt.now, tt.lead, f.c)
			if d.Reason != tt.reason || d.Allowed != (tt.reason == ReasonAllowed) || !d.RetryAt.Equal(tt.retryAt) {
				t.Fatalf("Decide = %s allowed=%v retry %v, want %s retry %v", d.Reason, d.Allowed, d.RetryAt, tt.reason, tt.retryAt)
			}
			if tt.zone != "" && d.Zone != tt.zone {
				t.Errorf("zone %q, want %q", d.Zone, tt.zone)
			}
			if d.Campaign != "renewals" || d.HoursRule != "cn-business" || (tt.reason != ReasonInvalidNumber && d.DNCVersion != 41) {
				t.Errorf("decision lacks its inputs: %+v", d)
			}
			if d.Allowed && (d.CallerID != "861012345671" || d.Pool != "china-mobile" || d.NumCaps != 3 || d.CapRule != -1) {
				t.Errorf("allowed decision: %+v", d)
			}
			if tt.reason == ReasonFrequencyCap && (d.CapRule != 0 || d.Caps[0].Count != 1 || d.NumCaps != 3) {
				t.Errorf("cap decision: %+v", d)
			}
			// Only an allowed decision takes an attempt.
			if ok, _, _ := f.cp.Allow(k, tt.now, []CapRule{{Window: time.Second, Max: 1}}); ok == d.Allowed && k != 0 {
				t.Errorf("attempt recorded=%v for allowed=%v", !ok, d.Allowed)
			}
		})
	}
}

// A number added to the DNC list a minute ago is never called, even with
// every other check passing; removing it lets the next decision through.
func TestDecideDNCMidStream(t *testing.T) {
	sh := mustLoc(t, "Asia/Shanghai")
	f := newFixture(t, 100)
	n := Lead{Number: mustNumber(t, "13700137000"), Carrier: "china-mobile"}
	k, _ := Key(n.Number)
	t0 := at(t, sh, "2026-01-05 10:00")
	if d := f.e.Decide(t0, n, f.c); !d.Allowed || d.DNCVersion != 41 {
		t.Fatalf("%+v", d)
	}
	v := f.d.Apply(Batch{Add: []uint64{k}})
	for _, dt := range []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Hour} {
		if d := f.e.Decide(t0.Add(dt), n, f.c); d.Allowed || d.Reason != ReasonDNC || d.DNCVersion != v {
			t.Fatalf("+%v: %+v", dt, d)
		}
	}
	v2 := f.d.Apply(Batch{Remove: []uint64{k}})
	if d := f.e.Decide(t0.Add(4*time.Hour), n, f.c); !d.Allowed || d.DNCVersion != v2 || v2 <= v {
		t.Fatalf("after removal: %+v", d)
	}
}

// When the pool refuses, the cap table must not keep the attempt.
func TestDecidePoolDailyCap(t *testing.T) {
	sh := mustLoc(t, "Asia/Shanghai")
	f := newFixture(t, 1)
	t0 := at(t, sh, "2026-01-05 10:00")
	for i, n := range []string{"13700137001", "13700137002"} {
		if d := f.e.Decide(t0, Lead{Number: mustNumber(t, n), Carrier: "china-mobile"}, f.c); !d.Allowed {
			t.Fatalf("%d: %+v", i, d)
		}
	}
	third := Lead{Number: mustNumber(t, "13700137003"), Carrier: "china-mobile"}
	d := f.e.Decide(t0, third, f.c)
	if d.Reason != ReasonNoCallerID || d.PoolReason != PoolDailyCap || !d.RetryAt.Equal(at(t, sh, "2026-01-06 00:00")) {
		t.Fatalf("%+v", d)
	}
	k, _ := Key(third.Number)
	if ok, _, _ := f.cp.Allow(k, t0, DefaultCapRules()); !ok {
		t.Fatal("refused decision left an attempt in the cap table")
	}
}

func TestEngineCampaignValidatesAgainstTable(t *testing.T) {
	e := NewEngine(NewDNC(), newCaps(t, CapsConfig{Ring: 5, Horizon: time.Hour}))
	_, err := e.Campaign(CampaignConfig{Name: "x", Caps: []CapRule{{Window: 2 * time.Hour, Max: 6}}})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "caps[0].window" {
		t.Fatal(err)
	}
	if err := (CampaignConfig{Hours: HoursConfig{Windows: []WindowConfig{{Days: []string{"mon"}, Start: "10:00", End: "09:00"}}}}).Validate(); err == nil {
		t.Fatal("invalid campaign accepted")
	} else if !errors.As(err, &ce) || ce.Field != "name" {
		t.Fatal(err)
	}
}
