package routing

import (
	"errors"
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(p *Plan)
		is   error
		msg  string
	}{
		{"unknown trunk in route", func(p *Plan) { p.Routes[4].Trunks[1] = "x" }, ErrUnknownTrunk, `routes[4].trunks[1]: unknown trunk "x"`},
		{"duplicate trunk in route", func(p *Plan) { p.Routes[1].Trunks = []string{"ct-1", "ct-1"} }, ErrDuplicate, `routes[1].trunks[1]: duplicate "ct-1"`},
		{"unknown trunk carrier", func(p *Plan) { p.Trunks[2].Carrier = "nope" }, ErrUnknownCarrier, `trunks[2].carrier: unknown carrier "nope"`},
		{"duplicate trunk name", func(p *Plan) { p.Trunks[1].Name = "cm-1" }, ErrDuplicate, `trunks[1].name: duplicate "cm-1"`},
		{"empty trunk name", func(p *Plan) { p.Trunks[0].Name = "" }, ErrInvalidValue, `trunks[0].name`},
		{"negative channels", func(p *Plan) { p.Trunks[0].MaxChannels = -1 }, ErrInvalidValue, `trunks[0].max_channels`},
		{"negative cps", func(p *Plan) { p.Trunks[0].MaxCPS = -1 }, ErrInvalidValue, `trunks[0].max_cps`},
		{"duplicate carrier", func(p *Plan) { p.Carriers[1].Name = "china-mobile" }, ErrDuplicate, `carriers[1].name: duplicate "china-mobile"`},
		{"empty carrier name", func(p *Plan) { p.Carriers = append(p.Carriers, Carrier{Kind: KindMNO}) }, ErrInvalidValue, `carriers[6].name`},
		{"carrier kind", func(p *Plan) { p.Carriers[0].Kind = "mobile" }, ErrInvalidValue, `carriers[0].kind: invalid value "mobile"`},
		{"mvno unknown host", func(p *Plan) { p.Carriers[3].Host = "ghost" }, ErrUnknownCarrier, `carriers[3].host: unknown carrier "ghost"`},
		{"mvno without host", func(p *Plan) { p.Carriers[3].Host = "" }, ErrInvalidValue, `carriers[3].host: invalid value: an mvno needs its host mno`},
		{"mvno hosted by mvno", func(p *Plan) { p.Carriers[3].Host = "mvno-b" }, ErrInvalidValue, `carriers[3].host: invalid value: host "mvno-b" is not an mno`},
		{"mno with host", func(p *Plan) { p.Carriers[0].Host = "china-unicom" }, ErrInvalidValue, `carriers[0].host`},
		{"duplicate route prefix", func(p *Plan) { p.Routes[2].Prefix = "861" }, ErrDuplicatePrefix, `routes[2].prefix: duplicate prefix "861" (also routes[0])`},
		{"route prefix not digits", func(p *Plan) { p.Routes[2].Prefix = "+86" }, ErrInvalidPrefix, `routes[2].prefix`},
		{"route prefix too long", func(p *Plan) { p.Routes[2].Prefix = "8612345678901234" }, ErrInvalidPrefix, `routes[2].prefix`},
		{"route without trunks", func(p *Plan) { p.Routes[2].Trunks = nil }, ErrInvalidValue, `routes[2].trunks: invalid value: no trunks`},
		{"by-carrier with trunks", func(p *Plan) { p.Routes[0].Trunks = []string{"cm-1"} }, ErrInvalidValue, `routes[0].trunks: invalid value: a by_carrier route`},
		{"weights length", func(p *Plan) { p.Routes[4].Weights = []int{1, 2} }, ErrInvalidValue, `routes[4].weights: invalid value: 2 weights for 3 trunks`},
		{"negative weight", func(p *Plan) { p.Routes[4].Weights[2] = -1 }, ErrInvalidValue, `routes[4].weights[2]`},
		{"all weights zero", func(p *Plan) { p.Routes[4].Weights = []int{0, 0, 0} }, ErrInvalidValue, `routes[4].weights: invalid value: all weights are 0`},
		{"unknown order", func(p *Plan) { p.Routes[5].Order = "cheapest" }, ErrInvalidValue, `routes[5].order: invalid value "cheapest"`},
		{"cost with weights", func(p *Plan) { p.Routes[4].Order = OrderCost }, ErrInvalidValue, `routes[4].order`},
		{"segment duplicate", func(p *Plan) {
			p.Segments = append(p.Segments, Segment{Prefix: "139", Carrier: "china-mobile", Kind: KindMNO})
		}, ErrDuplicatePrefix, `segments[73].prefix: duplicate prefix "139" (also segments[13])`},
		{"segment prefix", func(p *Plan) { p.Segments[0].Prefix = "" }, ErrInvalidPrefix, `segments[0].prefix`},
		{"segment kind", func(p *Plan) { p.Segments[0].Kind = "virtual" }, ErrInvalidValue, `segments[0].kind`},
		{"segment carrier", func(p *Plan) { p.Segments[0].Carrier = "" }, ErrInvalidValue, `segments[0].carrier`},
		{"mvno segment without host", func(p *Plan) { p.Segments[71].Host = "" }, ErrInvalidValue, `segments[71].host`},
		{"mno segment with host", func(p *Plan) { p.Segments[0].Host = "china-unicom" }, ErrInvalidValue, `segments[0].host`},
		{"segment kind disagrees with carriers", func(p *Plan) { p.Segments[71].Kind = KindMNO; p.Segments[71].Host = "" }, ErrInvalidValue, `segments[71].kind: invalid value: "mvno-a" is mvno in carriers`},
		{"segment host disagrees with carriers", func(p *Plan) { p.Segments[71].Host = "china-unicom" }, ErrInvalidValue, `segments[71].host: invalid value: "mvno-a" is hosted by "china-mobile"`},
		{"segment hosted by an mvno", func(p *Plan) { p.Segments[60].Host = "mvno-b" }, ErrInvalidValue, `segments[60].host: invalid value: host "mvno-b" is not an mno`},
		{"ported unknown carrier", func(p *Plan) { p.Ported["8613700000000"] = "ghost" }, ErrUnknownCarrier, `ported["8613700000000"]: unknown carrier "ghost"`},
		{"ported with plus", func(p *Plan) { p.Ported["+8613700000000"] = "china-mobile" }, ErrInvalidPrefix, `ported["+8613700000000"]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := testPlan()
			tc.edit(&p)
			tab, err := Compile(p)
			if tab != nil || err == nil {
				t.Fatal("Compile accepted the plan")
			}
			if !errors.Is(err, tc.is) || !errors.Is(err, ErrInvalidPlan) {
				t.Fatalf("err %v is not %v and ErrInvalidPlan", err, tc.is)
			}
			var pe *PlanError
			if !errors.As(err, &pe) {
				t.Fatalf("err %v has no *PlanError", err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err %q does not contain %q", err, tc.msg)
			}
		})
	}
}

func TestCompileReportsEveryError(t *testing.T) {
	p := testPlan()
	p.Routes[1].Trunks[0] = "x"
	p.Routes[4].Trunks[2] = "y"
	_, err := Compile(p)
	for _, want := range []string{`routes[1].trunks[0]: unknown trunk "x"`, `routes[4].trunks[2]: unknown trunk "y"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err %v lacks %q", err, want)
		}
	}
}

// TestCompileCopiesPlan: the Table must not change when the caller reuses
// the Plan's slices.
func TestCompileCopiesPlan(t *testing.T) {
	p := testPlan()
	tab := compileT(t, p)
	p.Routes[4].Weights[0] = 0
	p.Routes[1].Trunks[0] = "cu-1"
	p.Ported["8613800138000"] = "china-telecom"
	p.Trunks[0].Name = "changed"
	d := tab.Decide(num(t, "13800138000"), nil, 0)
	if d.Carrier != "china-unicom" {
		t.Fatalf("ported change leaked: %+v", d)
	}
	if d := tab.Decide(num(t, "01012345678"), nil, 0); d.Candidates[0].Trunk != "ct-1" {
		t.Fatalf("route change leaked: %+v", d)
	}
}
