package routing

import (
	"testing"

	"softswitch/interconnect/number"
)

// fakeState is a State from literal maps; absent trunks are up and idle.
type fakeState struct {
	down     map[string]bool
	channels map[string]int
	cps      map[string]float64
}

func (s fakeState) Up(t string) bool      { return !s.down[t] }
func (s fakeState) Channels(t string) int { return s.channels[t] }
func (s fakeState) CPS(t string) float64  { return s.cps[t] }

func num(t testing.TB, s string) number.Number {
	t.Helper()
	n, err := number.Normalize(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// testPlan is a small operator: the three MNOs with trunks, mvno-a with
// its own trunk, mvno-b without, and a transit carrier for international
// routes. Routes send mobiles by carrier, landlines and service numbers to
// fixed trunks, and the UK and NANP with weights and by cost.
func testPlan() Plan {
	segs := append(DefaultSegments(),
		Segment{Prefix: "17030", Carrier: "mvno-a", Kind: KindMVNO, Host: "china-mobile"},
		Segment{Prefix: "1670", Carrier: "mvno-b", Kind: KindMVNO, Host: "china-unicom"},
	)
	return Plan{
		Carriers: []Carrier{
			{Name: "china-mobile", Kind: KindMNO},
			{Name: "china-unicom", Kind: KindMNO},
			{Name: "china-telecom", Kind: KindMNO},
			{Name: "mvno-a", Kind: KindMVNO, Host: "china-mobile"},
			{Name: "mvno-b", Kind: KindMVNO, Host: "china-unicom"},
			{Name: "transit", Kind: KindMNO},
		},
		Trunks: []Trunk{
			{Name: "cm-1", Carrier: "china-mobile", MaxChannels: 100, MaxCPS: 10},
			{Name: "cm-2", Carrier: "china-mobile", MaxChannels: 100, MaxCPS: 10},
			{Name: "cu-1", Carrier: "china-unicom", MaxChannels: 50},
			{Name: "ct-1", Carrier: "china-telecom", MaxCPS: 5},
			{Name: "mvno-a-1", Carrier: "mvno-a", MaxChannels: 10},
			{Name: "intl-1", Carrier: "transit"},
			{Name: "intl-2", Carrier: "transit"},
			{Name: "intl-3", Carrier: "transit"},
		},
		Routes: []Route{
			{Prefix: "861", ByCarrier: true},
			{Prefix: "8610", Trunks: []string{"ct-1", "cu-1"}},
			{Prefix: "86", Trunks: []string{"ct-1"}},
			{Prefix: "8621", ByCarrier: true}, // landlines have no segment: no_carrier
			{Prefix: "44", Trunks: []string{"intl-1", "intl-2", "intl-3"}, Weights: []int{3, 1, 0}},
			{Prefix: "1", Trunks: []string{"intl-1", "intl-2", "intl-3"}, Order: OrderCost},
		},
		Segments: segs,
		Ported: map[string]string{
			"8613800138000": "china-unicom", // a China Mobile segment, ported out
			"8613900139000": "mvno-b",       // ported to an MVNO without trunks
			"8619200000000": "china-telecom",
		},
	}
}

func compileT(t testing.TB, p Plan) *Table {
	t.Helper()
	tab, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func trunksOf(cs []Candidate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Trunk
	}
	return out
}
