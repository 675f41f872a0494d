package projections_test

import (
	"reflect"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/projections"
)

// TestCallsLegsAndQuality: the live-calls view (web console) shows both
// legs, the trunk a B-leg left by, and the last media snapshot's MOS; a
// stale snapshot (older sequence) does not replace a newer one.
func TestCallsLegsAndQuality(t *testing.T) {
	stats := func(mosA, mosB float64) domain.MediaStats {
		return domain.MediaStats{CallID: "c", Legs: []domain.MediaLeg{{Leg: "a", MOS: mosA, Packets: 100}, {Leg: "b", MOS: mosB, Lost: 2}}}
	}
	tests := []struct {
		name        string
		evs         []domain.Event
		seqs        []uint64 // default 1..n
		wantLegs    []projections.CallLeg
		wantQuality []projections.LegQuality
	}{
		{
			name: "registered callee, no media",
			evs: []domain.Event{
				domain.CallStarted{CallID: "c", Caller: "6000", Callee: "6001"},
				domain.LegStarted{CallID: "c", Leg: "a", Side: domain.SideA, Peer: "127.0.0.1:5070"},
				domain.LegStarted{CallID: "c", Leg: "b1", Side: domain.SideB, Peer: "127.0.0.1:5080", Target: "sip:6001@127.0.0.1:5080"},
			},
			wantLegs: []projections.CallLeg{{Leg: "a", Side: domain.SideA, Peer: "127.0.0.1:5070"},
				{Leg: "b1", Side: domain.SideB, Peer: "127.0.0.1:5080", Target: "sip:6001@127.0.0.1:5080"}},
		},
		{
			name: "failover: first trunk leg ended, second up, with MOS",
			evs: []domain.Event{
				domain.CallStarted{CallID: "c", Caller: "6000", Callee: "8613800138000"},
				domain.LegStarted{CallID: "c", Leg: "b1", Side: domain.SideB, Trunk: "cm-a", Carrier: "china-mobile"},
				domain.LegEnded{CallID: "c", Leg: "b1", Code: 503},
				domain.LegStarted{CallID: "c", Leg: "b2", Side: domain.SideB, Trunk: "cm-b", Carrier: "china-mobile"},
				stats(4.1, 3.9),
			},
			wantLegs: []projections.CallLeg{{Leg: "b1", Side: domain.SideB, Trunk: "cm-a", Carrier: "china-mobile", Ended: true},
				{Leg: "b2", Side: domain.SideB, Trunk: "cm-b", Carrier: "china-mobile"}},
			wantQuality: []projections.LegQuality{{Leg: "a", MOS: 4.1, Packets: 100}, {Leg: "b", MOS: 3.9, Lost: 2}},
		},
		{
			name: "a redelivered older snapshot is ignored",
			evs: []domain.Event{
				domain.CallStarted{CallID: "c", Caller: "6000", Callee: "6001"},
				stats(4.3, 4.2),
				stats(1.0, 1.0),
			},
			seqs:        []uint64{1, 3, 2},
			wantQuality: []projections.LegQuality{{Leg: "a", MOS: 4.3, Packets: 100}, {Leg: "b", MOS: 4.2, Lost: 2}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := projections.NewCalls()
			for i, ev := range tc.evs {
				seq := uint64(i + 1)
				if tc.seqs != nil {
					seq = tc.seqs[i]
				}
				if err := c.Apply(seal(t, ev, "n1", seq, t0.Add(time.Duration(i)*time.Second)), nil); err != nil {
					t.Fatal(err)
				}
			}
			list := c.List()
			if len(list) != 1 {
				t.Fatalf("List = %+v, want one call", list)
			}
			if !reflect.DeepEqual(list[0].Legs, tc.wantLegs) {
				t.Errorf("Legs = %+v, want %+v", list[0].Legs, tc.wantLegs)
			}
			if !reflect.DeepEqual(list[0].Quality, tc.wantQuality) {
				t.Errorf("Quality = %+v, want %+v", list[0].Quality, tc.wantQuality)
			}
		})
	}
}
