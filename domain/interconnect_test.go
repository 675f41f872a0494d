package domain_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"softswitch/domain"
)

func validTrunk() domain.TrunkDefined {
	return domain.TrunkDefined{Name: "gw1", Carrier: "cm", Address: "gw.example.net:5060", Transport: domain.TransportUDP,
		Rewrite: domain.NumberRewrite{Format: domain.FormatE164}}
}

func TestDefinitionValidate(t *testing.T) {
	trunk := func(f func(*domain.TrunkDefined)) domain.TrunkDefined {
		tr := validTrunk()
		f(&tr)
		return tr
	}
	tests := []struct {
		name  string
		def   interface{ Validate() error }
		field string // "" = valid
	}{
		{"mno", domain.CarrierDefined{Name: "cm", Kind: domain.CarrierMNO}, ""},
		{"mvno", domain.CarrierDefined{Name: "v", Kind: domain.CarrierMVNO, Host: "cm"}, ""},
		{"carrier name", domain.CarrierDefined{Name: "c m", Kind: domain.CarrierMNO}, "name"},
		{"carrier kind", domain.CarrierDefined{Name: "cm", Kind: "mobile"}, "kind"},
		{"mno with host", domain.CarrierDefined{Name: "cm", Kind: domain.CarrierMNO, Host: "x"}, "host"},
		{"mvno without host", domain.CarrierDefined{Name: "v", Kind: domain.CarrierMVNO}, "host"},
		{"mvno hosting itself", domain.CarrierDefined{Name: "v", Kind: domain.CarrierMVNO, Host: "v"}, "host"},
		{"trunk", validTrunk(), ""},
		{"trunk ipv6", trunk(func(t *domain.TrunkDefined) { t.Address = "[2001:db8::1]:5060" }), ""},
		{"trunk name", trunk(func(t *domain.TrunkDefined) { t.Name = "" }), "name"},
		{"trunk carrier", trunk(func(t *domain.TrunkDefined) { t.Carrier = "" }), "carrier"},
		{"trunk address no port", trunk(func(t *domain.TrunkDefined) { t.Address = "gw.example.net" }), "address"},
		{"trunk address port 0", trunk(func(t *domain.TrunkDefined) { t.Address = "gw:0" }), "address"},
		{"trunk address port big", trunk(func(t *domain.TrunkDefined) { t.Address = "gw:65536" }), "address"},
		{"trunk transport", trunk(func(t *domain.TrunkDefined) { t.Transport = "sctp" }), "transport"},
		{"trunk max_channels", trunk(func(t *domain.TrunkDefined) { t.MaxChannels = -1 }), "max_channels"},
		{"trunk max_cps", trunk(func(t *domain.TrunkDefined) { t.MaxCPS = -1 }), "max_cps"},
		{"trunk options_interval", trunk(func(t *domain.TrunkDefined) { t.OptionsInterval = -time.Second }), "options_interval"},
		{"trunk options_timeout", trunk(func(t *domain.TrunkDefined) { t.OptionsTimeout = -time.Second }), "options_timeout"},
		{"trunk register", trunk(func(t *domain.TrunkDefined) { t.Register.Enabled = true }), "register"},
		{"trunk rewrite format", trunk(func(t *domain.TrunkDefined) { t.Rewrite.Format = "intl" }), "rewrite.format"},
		{"trunk rewrite prefix", trunk(func(t *domain.TrunkDefined) { t.Rewrite.AddPrefix = "+" }), "rewrite"},
		{"trunk presentation", trunk(func(t *domain.TrunkDefined) { t.CallerID.Presentation = "x" }), "caller_id.presentation"},
		{"trunk acl", trunk(func(t *domain.TrunkDefined) { t.ACL = []string{"10.0.0.0/8", "10.0.0.1"} }), "acl[1]"},
		{"trunk pool", trunk(func(t *domain.TrunkDefined) { t.CallerID.Pool = []string{""} }), "caller_id.pool[0]"},
		{"route trunks", domain.RouteDefined{Prefix: "86", Trunks: []string{"a", "b"}, Weights: []int{1, 2}}, ""},
		{"route by carrier", domain.RouteDefined{Prefix: "86", ByCarrier: true}, ""},
		{"route prefix", domain.RouteDefined{Prefix: "+86", ByCarrier: true}, "prefix"},
		{"route neither", domain.RouteDefined{Prefix: "86"}, "trunks"},
		{"route both", domain.RouteDefined{Prefix: "86", Trunks: []string{"a"}, ByCarrier: true}, "trunks"},
		{"route weights length", domain.RouteDefined{Prefix: "86", Trunks: []string{"a", "b"}, Weights: []int{1}}, "weights"},
		{"route weight zero", domain.RouteDefined{Prefix: "86", Trunks: []string{"a"}, Weights: []int{0}}, "weights[0]"},
		{"route duplicate trunk", domain.RouteDefined{Prefix: "86", Trunks: []string{"a", "a"}}, "trunks[1]"},
		{"did", domain.DIDAssigned{Number: "861012345678", User: "6001"}, ""},
		{"did plus", domain.DIDAssigned{Number: "+861012345678", User: "6001"}, "number"},
		{"did national", domain.DIDAssigned{Number: "01012345678", User: "6001"}, "number"},
		{"did too long", domain.DIDAssigned{Number: "8610123456789012", User: "6001"}, "number"},
		{"did user", domain.DIDAssigned{Number: "861012345678", User: "a@b"}, "user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.def.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("valid definition rejected: %v", err)
				}
				return
			}
			var de *domain.DefinitionError
			if !errors.As(err, &de) || !errors.Is(err, domain.ErrInvalidDefinition) {
				t.Fatalf("err = %v, want a DefinitionError", err)
			}
			if de.Field != tt.field {
				t.Fatalf("field = %q, want %q (%v)", de.Field, tt.field, err)
			}
		})
	}
}

func TestCallingPolicy(t *testing.T) {
	tests := []struct {
		name   string
		policy domain.CallingPolicy
		number string
		rule   string // "" = allowed
	}{
		{"zero policy national", domain.CallingPolicy{}, "8613800138000", ""},
		{"zero policy international", domain.CallingPolicy{}, "442071234567", "international"},
		{"international on", domain.CallingPolicy{International: true}, "442071234567", ""},
		{"deny", domain.CallingPolicy{Deny: []string{"86168"}}, "8616812345678", "deny 86168"},
		{"deny wins over allow", domain.CallingPolicy{Allow: []string{"86"}, Deny: []string{"86168"}}, "8616812345678", "deny 86168"},
		{"allow match", domain.CallingPolicy{Allow: []string{"8610", "86138"}}, "8613800138000", ""},
		{"allow miss", domain.CallingPolicy{Allow: []string{"8610"}}, "8613800138000", "not in allow list"},
		{"allow cannot open international", domain.CallingPolicy{Allow: []string{"44"}}, "442071234567", "international"},
		{"allow narrows international", domain.CallingPolicy{Allow: []string{"44"}, International: true}, "12125550100", "not in allow list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Check(tt.number, "86")
			if tt.rule == "" {
				if err != nil {
					t.Fatalf("barred: %v", err)
				}
				return
			}
			var be *domain.BarredError
			if !errors.As(err, &be) || be.Rule != tt.rule || !errors.Is(err, domain.ErrCallBarred) {
				t.Fatalf("err = %v, want barred by %q", err, tt.rule)
			}
			if f := domain.Classify(err); f.Code != 403 {
				t.Fatalf("barred call classified %d, want 403", f.Code)
			}
		})
	}
}

// failoverCall: gw1 answers 503, the switch fails over to gw2, which
// answers or is busy.
func failoverCall(t *testing.T, answer bool) *domain.Call {
	t.Helper()
	c, err := domain.NewCall(domain.CallStarted{CallID: "c1", Caller: "6000", Callee: "13800138000", Source: "127.0.0.1:5070"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	cands := []domain.RouteCandidate{{Trunk: "gw1", Carrier: "cm"}, {Trunk: "gw2", Carrier: "cm"}}
	must(c.StartLeg("a", domain.SideA, "c1", "127.0.0.1:5070", "", t0))
	must(c.DecideRoute(domain.RouteDecision{Number: "8613800138000", Dialled: "13800138000", Prefix: "86138", Carrier: "cm",
		CarrierSource: domain.CarrierFromSegment, Candidates: cands, Chosen: "gw1", Reason: "first eligible"}, t0))
	must(c.StartTrunkLeg("b1", "c1-b1", "192.0.2.1:5060", "sip:13800138000@192.0.2.1", "gw1", "cm", t0))
	must(c.EndLeg("b1", 503, "Service Unavailable", domain.ByCallee, t0.Add(time.Second)))
	cands = []domain.RouteCandidate{{Trunk: "gw1", Carrier: "cm", Skip: domain.SkipFailed}, {Trunk: "gw2", Carrier: "cm"}}
	must(c.DecideRoute(domain.RouteDecision{Number: "8613800138000", Dialled: "13800138000", Prefix: "86138", Carrier: "cm",
		CarrierSource: domain.CarrierFromSegment, Candidates: cands, Chosen: "gw2", Reason: "failover after 503"}, t0.Add(time.Second)))
	must(c.StartTrunkLeg("b2", "c1-b2", "192.0.2.2:5060", "sip:13800138000@192.0.2.2", "gw2", "cm", t0.Add(time.Second)))
	if answer {
		must(c.AnswerLeg("b2", nil, t0.Add(3*time.Second)))
		c.End(nil, domain.ByCaller, t0.Add(10*time.Second))
	} else {
		must(c.EndLeg("b2", 486, "Busy Here", domain.ByCallee, t0.Add(2*time.Second)))
		c.End(domain.ClassifyResponse(486, "Busy Here"), domain.ByCallee, t0.Add(2*time.Second))
	}
	return c
}

func TestTrunkLegsInCDR(t *testing.T) {
	for _, answered := range []bool{true, false} {
		t.Run(map[bool]string{true: "answered", false: "busy"}[answered], func(t *testing.T) {
			c := failoverCall(t, answered)
			r, err := c.CDR()
			if err != nil {
				t.Fatal(err)
			}
			if r.Carrier != "cm" || r.Trunk != "gw2" {
				t.Fatalf("CDR carrier/trunk = %q/%q, want cm/gw2", r.Carrier, r.Trunk)
			}
			if len(r.Legs) != 3 {
				t.Fatalf("legs: %+v", r.Legs)
			}
			b1, b2 := r.Legs[1], r.Legs[2]
			if b1.Trunk != "gw1" || b1.Carrier != "cm" || b1.SIPCode != 503 {
				t.Errorf("failed attempt leg: %+v", b1)
			}
			wantCode := 486
			if answered {
				wantCode = 200
			}
			if b2.Trunk != "gw2" || b2.SIPCode != wantCode {
				t.Errorf("last attempt leg: %+v, want code %d", b2, wantCode)
			}
			b, _ := json.Marshal(r)
			if !strings.Contains(string(b), `"carrier":"cm","trunk":"gw2"`) {
				t.Errorf("CDR JSON lacks carrier/trunk: %s", b)
			}
		})
	}
}

// TestCDRTrunkOfAnsweredLeg: a call answered by a registered contact names
// no trunk, even if a trunk attempt failed before.
func TestCDRTrunkOfAnsweredLeg(t *testing.T) {
	c, _ := domain.NewCall(domain.CallStarted{CallID: "c1", Caller: "6000", Callee: "6001", Source: ""}, t0)
	_ = c.StartTrunkLeg("b1", "", "", "", "gw1", "cm", t0)
	_ = c.EndLeg("b1", 503, "", domain.ByCallee, t0)
	_ = c.StartLeg("b2", domain.SideB, "", "", "", t0)
	_ = c.AnswerLeg("b2", nil, t0)
	c.End(nil, domain.ByCaller, t0.Add(time.Second))
	r, _ := c.CDR()
	if r.Carrier != "" || r.Trunk != "" {
		t.Fatalf("carrier/trunk = %q/%q, want none", r.Carrier, r.Trunk)
	}
}

// TestRouteDecisionsReplay: folding the recorded events into a fresh call
// gives back every decision, in order.
func TestRouteDecisionsReplay(t *testing.T) {
	c := failoverCall(t, true)
	replayed := domain.ReplayCall()
	for _, rec := range c.Pending() {
		env, err := domain.Seal(rec.Event, "id", "n1", rec.Seq, rec.At)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := domain.Decode(env)
		if err != nil {
			t.Fatal(err)
		}
		replayed.Apply(ev, env.Time)
	}
	got := replayed.Routes()
	if len(got) != 2 || got[0].Chosen != "gw1" || got[1].Chosen != "gw2" || got[1].Candidates[0].Skip != domain.SkipFailed {
		t.Fatalf("replayed decisions: %+v", got)
	}
	if !reflect.DeepEqual(got, c.Routes()) || !reflect.DeepEqual(replayed.Legs(), c.Legs()) {
		t.Fatalf("replay differs:\n got %+v\nwant %+v", replayed.Legs(), c.Legs())
	}
}

func TestTrunkLegAndDecisionInvalid(t *testing.T) {
	c, _ := domain.NewCall(domain.CallStarted{CallID: "c1", Caller: "6000", Callee: "6001", Source: ""}, t0)
	cands := []domain.RouteCandidate{{Trunk: "gw1", Carrier: "cm", Skip: domain.SkipChannelsFull}}
	tests := []struct {
		name string
		err  error
	}{
		{"leg without trunk", c.StartTrunkLeg("b1", "", "", "", "", "cm", t0)},
		{"leg without carrier", c.StartTrunkLeg("b1", "", "", "", "gw1", "", t0)},
		{"decision without number", c.DecideRoute(domain.RouteDecision{Reason: "x"}, t0)},
		{"decision without reason", c.DecideRoute(domain.RouteDecision{Number: "86"}, t0)},
		{"chosen not a candidate", c.DecideRoute(domain.RouteDecision{Number: "86", Reason: "x", Chosen: "gw2", Candidates: cands}, t0)},
		{"chosen was skipped", c.DecideRoute(domain.RouteDecision{Number: "86", Reason: "x", Chosen: "gw1", Candidates: cands}, t0)},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, domain.ErrInvalidCall) {
			t.Errorf("%s: err = %v, want ErrInvalidCall", tt.name, tt.err)
		}
	}
	// A decision with no trunk chosen (all full) is a valid record.
	if err := c.DecideRoute(domain.RouteDecision{Number: "86", Reason: "all trunks full", Candidates: cands}, t0); err != nil {
		t.Fatal(err)
	}
	c.End(domain.Classify(domain.ErrTrunksFull), domain.BySwitch, t0)
	if err := c.StartTrunkLeg("b1", "", "", "", "gw1", "cm", t0); !errors.Is(err, domain.ErrInvalidCall) {
		t.Fatalf("trunk leg on an ended call: %v", err)
	}
}

// TestLegStartedV1Compatible: a v1 LegStarted written before trunks
// existed decodes as a leg without a trunk, and one with a trunk encodes
// the new fields only when set.
func TestLegStartedV1Compatible(t *testing.T) {
	old := domain.Envelope{Type: domain.TypeLegStarted, Version: 1,
		Payload: []byte(`{"call_id":"c","leg":"b1","side":"b","sip_call_id":"x","peer":"p"}`)}
	ev, err := domain.Decode(old)
	if err != nil {
		t.Fatal(err)
	}
	if ls := ev.(domain.LegStarted); ls.Trunk != "" || ls.Carrier != "" || ls.Leg != "b1" {
		t.Fatalf("decoded %+v", ls)
	}
	b, _ := json.Marshal(domain.LegStarted{CallID: "c", Leg: "b1", Side: "b"})
	if strings.Contains(string(b), "trunk") || strings.Contains(string(b), "carrier") {
		t.Fatalf("empty trunk fields encoded: %s", b)
	}
}
