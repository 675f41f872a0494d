package switching_test

import (
	"errors"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/interconnect/number"
	"softswitch/interconnect/routing"
	"softswitch/projections"
	"softswitch/switching"
)

// TestSimulate: the route simulation gives the decision a call would get,
// and a refusal's SIP answer, without recording anything.
func TestSimulate(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ic, load := projections.NewInterconnect(), projections.NewTrunkLoad(func() time.Time { return t0 })
	seq := map[string]uint64{}
	apply := func(p projections.Projection, evs ...domain.Event) {
		for _, ev := range evs {
			seq[ev.AggregateKey()]++
			env, err := domain.Seal(ev, "id", "n1", seq[ev.AggregateKey()], t0)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Apply(env, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	trunk := func(name string) domain.TrunkDefined {
		return domain.TrunkDefined{Name: name, Carrier: "cm", Address: "127.0.0.1:5099", Transport: domain.TransportUDP,
			MaxChannels: 10, MaxCPS: 5, Rewrite: domain.NumberRewrite{Format: domain.FormatE164}}
	}
	apply(ic, domain.CarrierDefined{Name: "cm", Kind: domain.CarrierMNO}, trunk("gw-a"), trunk("gw-b"),
		domain.RouteDefined{Prefix: "86138", Trunks: []string{"gw-a", "gw-b"}})
	z, err := number.NewNormalizer("86")
	if err != nil {
		t.Fatal(err)
	}
	x := &switching.Interconnect{IC: ic, Load: load, Normalizer: z, CountryCode: "86", Segments: routing.DefaultSegments(),
		Policy: func(user string) domain.CallingPolicy {
			if user == "barred" {
				return domain.CallingPolicy{Deny: []string{"86138"}}
			}
			return domain.CallingPolicy{}
		}}

	tests := []struct {
		name, caller, dialled string
		down                  bool // gw-a reported down first
		wantErr               error
		wantChosen            string
		wantCode              int
		wantSkips             map[string]string
	}{
		{name: "routed to the first trunk", caller: "6000", dialled: "13800138000", wantChosen: "gw-a",
			wantSkips: map[string]string{"gw-a": "", "gw-b": ""}},
		{name: "E.164 input", caller: "6000", dialled: "+8613800138000", wantChosen: "gw-a"},
		{name: "not a number", caller: "6000", dialled: "bob", wantErr: switching.ErrNotANumber},
		{name: "caller barred", caller: "barred", dialled: "13800138000", wantCode: 403},
		{name: "no route for the prefix", caller: "6000", dialled: "13912345678", wantCode: 404},
		{name: "down trunk skipped", caller: "6000", dialled: "13800138000", down: true, wantChosen: "gw-b",
			wantSkips: map[string]string{"gw-a": domain.SkipDown, "gw-b": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.down {
				apply(load, domain.TrunkHealthChanged{Trunk: "gw-a", Up: false, Reason: domain.HealthOptionsTimeout})
			}
			s, err := x.Simulate(tc.caller, tc.dialled, t0)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if s.Code != tc.wantCode {
				t.Errorf("code = %d (%s), want %d", s.Code, s.Reason, tc.wantCode)
			}
			if tc.wantChosen != "" && (s.Decision == nil || s.Decision.Chosen != tc.wantChosen) {
				t.Errorf("decision = %+v, want chosen %s", s.Decision, tc.wantChosen)
			}
			if tc.wantSkips != nil {
				got := map[string]string{}
				for _, c := range s.Decision.Candidates {
					got[c.Trunk] = c.Skip
				}
				for k, v := range tc.wantSkips {
					if got[k] != v {
						t.Errorf("skip of %s = %q, want %q (%v)", k, got[k], v, got)
					}
				}
			}
		})
	}
}
