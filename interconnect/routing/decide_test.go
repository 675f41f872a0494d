package routing

import (
	"slices"
	"sync"
	"testing"

	"softswitch/interconnect/number"
)

func TestDecideCarrierSelection(t *testing.T) {
	tab := compileT(t, testPlan())
	tests := []struct {
		name, in string
		prefix   string
		carrier  string
		source   string
		fallback bool
		trunks   []string
		reason   string
	}{
		{"china mobile segment", "13912345678", "861", "china-mobile", SourceSegment, false, []string{"cm-1", "cm-2"}, ReasonRouted},
		{"china mobile 4-digit segment", "13401234567", "861", "china-mobile", SourceSegment, false, []string{"cm-1", "cm-2"}, ReasonRouted},
		{"china telecom 1349 inside 134x", "13491234567", "861", "china-telecom", SourceSegment, false, []string{"ct-1"}, ReasonRouted},
		{"china unicom", "+86 186 1234 5678", "861", "china-unicom", SourceSegment, false, []string{"cu-1"}, ReasonRouted},
		{"china telecom", "18912345678", "861", "china-telecom", SourceSegment, false, []string{"ct-1"}, ReasonRouted},
		{"mvno with own trunk", "17030123456", "861", "mvno-a", SourceSegment, false, []string{"mvno-a-1"}, ReasonRouted},
		{"mvno 1703 generic to host", "17031123456", "861", "mvno", SourceSegment, true, []string{"cm-1", "cm-2"}, ReasonRouted},
		{"mvno 1705 to host mobile", "17051234567", "861", "mvno", SourceSegment, true, []string{"cm-1", "cm-2"}, ReasonRouted},
		{"mvno 165 to host mobile", "16512345678", "861", "mvno", SourceSegment, true, []string{"cm-1", "cm-2"}, ReasonRouted},
		{"mvno 1700 to host telecom", "17001234567", "861", "mvno", SourceSegment, true, []string{"ct-1"}, ReasonRouted},
		{"mvno 162 to host telecom", "16212345678", "861", "mvno", SourceSegment, true, []string{"ct-1"}, ReasonRouted},
		{"mvno 1709 to host unicom", "17091234567", "861", "mvno", SourceSegment, true, []string{"cu-1"}, ReasonRouted},
		{"mvno 171 to host unicom", "17112345678", "861", "mvno", SourceSegment, true, []string{"cu-1"}, ReasonRouted},
		{"declared mvno without trunks", "16701234567", "861", "mvno-b", SourceSegment, true, []string{"cu-1"}, ReasonRouted},
		{"ported overrides segment", "13800138000", "861", "china-unicom", SourcePorted, false, []string{"cu-1"}, ReasonRouted},
		{"ported to mvno without trunks", "13900139000", "861", "mvno-b", SourcePorted, true, []string{"cu-1"}, ReasonRouted},
		{"ported out of an unconnected carrier", "19200000000", "861", "china-telecom", SourcePorted, false, []string{"ct-1"}, ReasonRouted},
		{"carrier without trunks", "19212345678", "861", "china-broadnet", SourceSegment, false, nil, ReasonNoTrunk},
		{"mobile outside the segment table", "14012345678", "861", "", "", false, nil, ReasonNoCarrier},
		{"landline on by-carrier route", "021-62345678", "8621", "", "", false, nil, ReasonNoCarrier},
		{"beijing landline fixed", "010-12345678", "8610", "", SourceRoute, false, []string{"ct-1", "cu-1"}, ReasonRouted},
		{"shenzhen landline fixed", "0755-86001234", "86", "", SourceRoute, false, []string{"ct-1"}, ReasonRouted},
		{"400 fixed", "4001234567", "86", "", SourceRoute, false, []string{"ct-1"}, ReasonRouted},
		{"no route", "+33142685300", "", "", "", false, nil, ReasonNoRoute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := num(t, tc.in)
			d := tab.Decide(n, nil, 0)
			if d.Number != n || d.Prefix != tc.prefix || d.Carrier != tc.carrier || d.CarrierSource != tc.source ||
				d.MVNOFallback != tc.fallback || d.Reason != tc.reason || !slices.Equal(trunksOf(d.Candidates), tc.trunks) {
				t.Fatalf("Decide(%s) = %+v\nwant prefix %q carrier %q source %q fallback %v trunks %v reason %s",
					tc.in, d, tc.prefix, tc.carrier, tc.source, tc.fallback, tc.trunks, tc.reason)
			}
			if d.NoRoute() != (len(tc.trunks) == 0) {
				t.Fatalf("NoRoute() = %v", d.NoRoute())
			}
			for _, c := range d.Candidates {
				if c.Carrier == "" {
					t.Fatalf("candidate %s has no carrier", c.Trunk)
				}
			}
		})
	}
}

func TestDecideSkips(t *testing.T) {
	tab := compileT(t, testPlan())
	mobile := "13912345678" // china-mobile: cm-1 (100 ch, 10 cps), cm-2
	tests := []struct {
		name    string
		st      fakeState
		skips   []string
		usable  []string
		reason  string
		allFull bool
	}{
		{"idle", fakeState{}, []string{"", ""}, []string{"cm-1", "cm-2"}, ReasonRouted, false},
		{"down skipped", fakeState{down: map[string]bool{"cm-1": true}}, []string{SkipDown, ""}, []string{"cm-2"}, ReasonRouted, false},
		{"channels full skipped", fakeState{channels: map[string]int{"cm-1": 100}}, []string{SkipChannelsFull, ""}, []string{"cm-2"}, ReasonRouted, false},
		{"one channel left", fakeState{channels: map[string]int{"cm-1": 99}}, []string{"", ""}, []string{"cm-1", "cm-2"}, ReasonRouted, false},
		{"cps full skipped", fakeState{cps: map[string]float64{"cm-1": 10}}, []string{SkipCPSFull, ""}, []string{"cm-2"}, ReasonRouted, false},
		{"cps just under", fakeState{cps: map[string]float64{"cm-1": 9.99}}, []string{"", ""}, []string{"cm-1", "cm-2"}, ReasonRouted, false},
		{"down wins over full", fakeState{down: map[string]bool{"cm-1": true}, channels: map[string]int{"cm-1": 100}}, []string{SkipDown, ""}, []string{"cm-2"}, ReasonRouted, false},
		{"all full", fakeState{channels: map[string]int{"cm-1": 100}, cps: map[string]float64{"cm-2": 12}}, []string{SkipChannelsFull, SkipCPSFull}, nil, ReasonAllFull, true},
		{"all down", fakeState{down: map[string]bool{"cm-1": true, "cm-2": true}}, []string{SkipDown, SkipDown}, nil, ReasonUnavailable, false},
		{"full and down", fakeState{down: map[string]bool{"cm-2": true}, channels: map[string]int{"cm-1": 100}}, []string{SkipChannelsFull, SkipDown}, nil, ReasonUnavailable, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tab.Decide(num(t, mobile), tc.st, 0)
			var skips []string
			for _, c := range d.Candidates {
				skips = append(skips, c.Skip)
			}
			if !slices.Equal(skips, tc.skips) || !slices.Equal(trunksOf(d.Usable()), tc.usable) || d.Reason != tc.reason || d.AllFull() != tc.allFull {
				t.Fatalf("got %+v (AllFull %v)", d, d.AllFull())
			}
		})
	}
	// Unlimited trunks are never full, however loaded.
	d := tab.Decide(num(t, "02162345678"), fakeState{channels: map[string]int{"ct-1": 1e6}}, 0) // no carrier
	if d.AllFull() {
		t.Fatal("AllFull with no candidates")
	}
	d = tab.Decide(num(t, "4001234567"), fakeState{channels: map[string]int{"ct-1": 1e6}}, 0) // ct-1: no channel cap
	if d.Reason != ReasonRouted {
		t.Fatalf("uncapped trunk skipped: %+v", d)
	}
}

func TestDecideWeights(t *testing.T) {
	tab := compileT(t, testPlan())
	uk := num(t, "+442071234567") // intl-1:3, intl-2:1, intl-3:0
	first := map[string]int{}
	for seed := range uint64(4000) {
		d := tab.Decide(uk, nil, seed)
		if again := tab.Decide(uk, nil, seed); !slices.Equal(trunksOf(again.Candidates), trunksOf(d.Candidates)) {
			t.Fatalf("seed %d: not deterministic", seed)
		}
		tr := trunksOf(d.Candidates)
		first[tr[0]]++
		// The rest follow in listed order.
		rest := slices.DeleteFunc([]string{"intl-1", "intl-2", "intl-3"}, func(s string) bool { return s == tr[0] })
		if !slices.Equal(tr[1:], rest) {
			t.Fatalf("seed %d: order %v", seed, tr)
		}
	}
	if first["intl-3"] != 0 {
		t.Fatalf("weight 0 chosen first %d times", first["intl-3"])
	}
	if share := float64(first["intl-1"]) / 4000; share < 0.72 || share > 0.78 {
		t.Fatalf("intl-1 first in %.3f of calls, want 0.75", share)
	}
	// Pinned: a RouteDecided event records the seed, and replay must pick
	// the same trunk, so the mapping from seed to choice must not drift.
	pins := []string{"intl-2", "intl-1", "intl-1", "intl-1", "intl-1", "intl-1", "intl-1", "intl-2"}
	for seed, want := range pins {
		if got := tab.Decide(uk, nil, uint64(seed)).Candidates[0].Trunk; got != want {
			t.Fatalf("seed %d: first %s, pinned %s", seed, got, want)
		}
	}
	// A down trunk's share goes to the usable weighted ones, and it stays
	// in the list for the record.
	down := fakeState{down: map[string]bool{"intl-1": true}}
	for seed := range uint64(100) {
		d := tab.Decide(uk, down, seed)
		if got := trunksOf(d.Candidates); !slices.Equal(got, []string{"intl-2", "intl-1", "intl-3"}) {
			t.Fatalf("seed %d with intl-1 down: %v", seed, got)
		}
	}
	// No usable weighted trunk: listed order, intl-3 still failed over to.
	both := fakeState{down: map[string]bool{"intl-1": true, "intl-2": true}}
	d := tab.Decide(uk, both, 7)
	if got := trunksOf(d.Usable()); !slices.Equal(trunksOf(d.Candidates), []string{"intl-1", "intl-2", "intl-3"}) || !slices.Equal(got, []string{"intl-3"}) {
		t.Fatalf("weighted trunks down: %+v", d)
	}
}

func TestDecideCost(t *testing.T) {
	us := num(t, "+12125550100")
	rates := map[string]int64{"intl-1": 30, "intl-2": 10}
	tests := []struct {
		name string
		cost CostFunc
		want []string
	}{
		{"no rating: listed order", nil, []string{"intl-1", "intl-2", "intl-3"}},
		{"cheapest first, unpriced last", func(tr string, n number.Number) (int64, bool) {
			if n.E164() != us.E164() {
				t.Errorf("cost asked for %s", n.E164())
			}
			c, ok := rates[tr]
			return c, ok
		}, []string{"intl-2", "intl-1", "intl-3"}},
		{"ties keep listed order", func(string, number.Number) (int64, bool) { return 5, true }, []string{"intl-1", "intl-2", "intl-3"}},
		{"nothing priced keeps listed order", func(string, number.Number) (int64, bool) { return 0, false }, []string{"intl-1", "intl-2", "intl-3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := testPlan()
			p.Cost = tc.cost
			d := compileT(t, p).Decide(us, fakeState{down: map[string]bool{"intl-2": true}}, 0)
			if got := trunksOf(d.Candidates); !slices.Equal(got, tc.want) {
				t.Fatalf("order %v, want %v", got, tc.want)
			}
			for _, c := range d.Candidates {
				if (c.Trunk == "intl-2") != (c.Skip == SkipDown) {
					t.Fatalf("cost order changed skip reasons: %+v", d.Candidates)
				}
			}
		})
	}
	// Cost is consulted only on routes with Order "cost".
	p := testPlan()
	p.Cost = func(string, number.Number) (int64, bool) { t.Error("cost called on a listed route"); return 0, true }
	compileT(t, p).Decide(num(t, "13912345678"), nil, 0)
}

func TestDecideDefaultRoute(t *testing.T) {
	p := testPlan()
	p.Routes = append(p.Routes, Route{Prefix: "", Trunks: []string{"intl-3"}})
	d := compileT(t, p).Decide(num(t, "+33142685300"), nil, 0)
	if d.Reason != ReasonRouted || d.Prefix != "" || !slices.Equal(trunksOf(d.Candidates), []string{"intl-3"}) {
		t.Fatalf("default route: %+v", d)
	}
}

func TestDecideEmptyPlan(t *testing.T) {
	tab := compileT(t, Plan{})
	if d := tab.Decide(num(t, "13912345678"), nil, 0); d.Reason != ReasonNoRoute || !d.NoRoute() {
		t.Fatalf("%+v", d)
	}
}

func TestDecideConcurrent(t *testing.T) {
	tab := compileT(t, testPlan())
	nums := []number.Number{num(t, "13912345678"), num(t, "17051234567"), num(t, "+442071234567"), num(t, "01012345678")}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				d := tab.Decide(nums[(g+i)%len(nums)], nil, uint64(i))
				if d.Reason != ReasonRouted {
					t.Errorf("%+v", d)
					return
				}
			}
		})
	}
	wg.Wait()
}
