package projections_test

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/interconnect/number"
	"softswitch/interconnect/routing"
	"softswitch/projections"
)

func gw(name, carrier string, acl ...string) domain.TrunkDefined {
	return domain.TrunkDefined{Name: name, Carrier: carrier, Address: name + ".example:5060", Transport: domain.TransportUDP,
		MaxChannels: 10, MaxCPS: 2, ACL: acl, Rewrite: domain.NumberRewrite{Format: domain.FormatE164}}
}

// applyAll seals each event at t0+i ms on node n1 with seq 1 per aggregate
// (the aggregates differ) and applies it.
func applyAll(t *testing.T, p projections.Projection, evs ...domain.Event) {
	t.Helper()
	seqs := map[string]uint64{}
	for i, ev := range evs {
		seqs[ev.AggregateKey()]++
		if err := p.Apply(seal(t, ev, "n1", seqs[ev.AggregateKey()], t0.Add(time.Duration(i)*time.Millisecond)), nil); err != nil {
			t.Fatal(err)
		}
	}
}

func TestInterconnectFold(t *testing.T) {
	ic := projections.NewInterconnect()
	if ic.Version() != 0 {
		t.Fatal("empty projection has a version")
	}
	applyAll(t, ic,
		domain.CarrierDefined{Name: "cm", Kind: domain.CarrierMNO},
		domain.CarrierDefined{Name: "mv", Kind: domain.CarrierMVNO, Host: "cm"},
		gw("gw1", "cm", "192.0.2.0/24"),
		gw("gw2", "cm", "192.0.2.7/32"),
		gw("mv1", "mv", "2001:db8::/32"),
		domain.RouteDefined{Prefix: "86", ByCarrier: true},
		domain.RouteDefined{Prefix: "86138", Trunks: []string{"gw1", "gw2"}, Weights: []int{3, 1}},
		domain.DIDAssigned{Number: "861012345678", User: "6001"},
		domain.DIDAssigned{Number: "861012345679", User: "6002"},
		domain.TrunkRemoved{Name: "mv1"},
		domain.DIDRemoved{Number: "861012345679"},
	)
	if v := ic.Version(); v != 11 {
		t.Fatalf("Version = %d after 11 definitions", v)
	}
	want := routing.Plan{
		Carriers: []routing.Carrier{{Name: "cm", Kind: "mno"}, {Name: "mv", Kind: "mvno", Host: "cm"}},
		Trunks:   []routing.Trunk{{Name: "gw1", Carrier: "cm", MaxChannels: 10, MaxCPS: 2}, {Name: "gw2", Carrier: "cm", MaxChannels: 10, MaxCPS: 2}},
		Routes: []routing.Route{{Prefix: "86", ByCarrier: true},
			{Prefix: "86138", Trunks: []string{"gw1", "gw2"}, Weights: []int{3, 1}}},
	}
	if got := ic.Plan(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Plan:\n got %+v\nwant %+v", got, want)
	}
	if tr, ok := ic.Trunk("gw1"); !ok || tr.Address != "gw1.example:5060" {
		t.Fatalf("Trunk(gw1) = %+v, %v", tr, ok)
	}
	if _, ok := ic.Trunk("mv1"); ok {
		t.Fatal("removed trunk still there")
	}
	if c, ok := ic.Carrier("mv"); !ok || c.Host != "cm" {
		t.Fatalf("Carrier(mv) = %+v", c)
	}
	if r, ok := ic.Route("86138"); !ok || len(r.Trunks) != 2 {
		t.Fatalf("Route(86138) = %+v", r)
	}
	if s := ic.Seq(domain.TrunkKey("mv1")); s != 2 {
		t.Fatalf("Seq(trunk:mv1) = %d, want 2", s)
	}
}

func TestInterconnectDIDLookup(t *testing.T) {
	ic := projections.NewInterconnect()
	applyAll(t, ic, domain.DIDAssigned{Number: "861012345678", User: "6001"})
	tests := []struct {
		number, user string
		ok           bool
	}{
		{"861012345678", "6001", true},
		{"+861012345678", "6001", true},
		{"01012345678", "", false}, // national: the caller normalizes first
		{"86101234567", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if u, ok := ic.DID(tt.number); u != tt.user || ok != tt.ok {
			t.Errorf("DID(%q) = %q, %v; want %q, %v", tt.number, u, ok, tt.user, tt.ok)
		}
	}
}

func TestInterconnectACLMatch(t *testing.T) {
	ic := projections.NewInterconnect()
	tcp := gw("tcp-gw", "cm", "198.51.100.0/24")
	tcp.Transport = domain.TransportTCP
	applyAll(t, ic,
		gw("wide", "cm", "192.0.2.0/24"),
		gw("narrow", "cm", "192.0.2.7/32"),
		gw("v6", "cm", "2001:db8::/32"),
		gw("also-wide", "cm", "192.0.2.0/24"),
		gw("pinned", "cm", "203.0.113.5:5060"),
		tcp,
	)
	tests := []struct {
		src, transport, trunk string
		ok                    bool
	}{
		{"192.0.2.7:5060", "UDP", "narrow", true},             // most specific wins
		{"192.0.2.8:5060", "udp", "also-wide", true},          // equal prefixes: the first name
		{"[::ffff:192.0.2.9]:5060", "UDP", "also-wide", true}, // v4-mapped
		{"[2001:db8::5]:5061", "UDP", "v6", true},
		{"192.0.2.7:5060", "TCP", "", false},          // the trunks are UDP
		{"203.0.113.5:5060", "UDP", "pinned", true},   // the pinned port
		{"203.0.113.5:5062", "UDP", "", false},        // another port of the same host
		{"198.51.100.9:40000", "TCP", "tcp-gw", true}, // the connection is the identity
		{"198.51.100.9:40000", "UDP", "", false},      // the same address over UDP
		{"198.51.100.1:5060", "TLS", "", false},
		{"192.0.2.7", "UDP", "", false}, // no port: not a transport source
		{"not an address", "UDP", "", false},
	}
	for _, tt := range tests {
		if tr, ok := ic.TrunkForSource(tt.src, tt.transport); tr != tt.trunk || ok != tt.ok {
			t.Errorf("TrunkForSource(%q, %s) = %q, %v; want %q, %v", tt.src, tt.transport, tr, ok, tt.trunk, tt.ok)
		}
	}
	// Removing a trunk removes its addresses.
	if err := ic.Apply(seal(t, domain.TrunkRemoved{Name: "narrow"}, "n1", 2, t0.Add(time.Second)), nil); err != nil {
		t.Fatal(err)
	}
	if tr, _ := ic.TrunkForSource("192.0.2.7:5060", "UDP"); tr != "also-wide" {
		t.Errorf("after removal: %q", tr)
	}
	// A trunk's gateway and ACL addresses are a carrier's: no subscriber
	// registers from them.
	for _, a := range []string{"192.0.2.99:1234", "203.0.113.5:5060"} {
		if _, ok := ic.TrunkAt(netip.MustParseAddrPort(a)); !ok {
			t.Errorf("TrunkAt(%s) false", a)
		}
	}
	for _, a := range []string{"10.9.9.9:5060", "203.0.113.5:5070"} {
		if _, ok := ic.TrunkAt(netip.MustParseAddrPort(a)); ok {
			t.Errorf("TrunkAt(%s) true", a)
		}
	}
}

// TestInterconnectOrdering: definitions are last-writer-wins by time, so a
// redelivered or late older definition changes nothing, whatever its seq.
func TestInterconnectOrdering(t *testing.T) {
	ic := projections.NewInterconnect()
	v1 := domain.RouteDefined{Prefix: "86", Trunks: []string{"gw1"}}
	v2 := domain.RouteDefined{Prefix: "86", Trunks: []string{"gw2"}}
	newer := seal(t, v2, "n2", 1, t0.Add(time.Second)) // another node, colliding seq
	older := seal(t, v1, "n1", 2, t0)
	steps := []struct {
		name    string
		env     domain.Envelope
		trunk   string
		version uint64
	}{
		{"newer first", newer, "gw2", 1},
		{"older later, higher seq", older, "gw2", 1},
		{"redelivered", newer, "gw2", 1},
		{"removed", seal(t, domain.RouteRemoved{Prefix: "86"}, "n1", 3, t0.Add(2*time.Second)), "", 2},
		{"stale define after remove", older, "", 2},
	}
	for _, s := range steps {
		if err := ic.Apply(s.env, nil); err != nil {
			t.Fatal(err)
		}
		r, _ := ic.Route("86")
		got := ""
		if len(r.Trunks) > 0 {
			got = r.Trunks[0]
		}
		if got != s.trunk || ic.Version() != s.version {
			t.Fatalf("%s: route trunk %q version %d, want %q %d", s.name, got, ic.Version(), s.trunk, s.version)
		}
	}
	if s := ic.Seq(domain.RouteKey("86")); s != 3 {
		t.Fatalf("Seq = %d, want the highest seen, 3", s)
	}
}

func TestInterconnectRegistration(t *testing.T) {
	ic := projections.NewInterconnect()
	applyAll(t, ic, gw("gw1", "cm"),
		domain.TrunkRegistrationChanged{Trunk: "gw1", Registered: true, Code: 200, Expires: 600})
	if r, ok := ic.Registration("gw1"); !ok || !r.Registered || r.Expires != 600 {
		t.Fatalf("Registration = %+v, %v", r, ok)
	}
	// A registration is not a definition: no routing rebuild.
	if ic.Version() != 1 {
		t.Fatalf("Version = %d", ic.Version())
	}
	// Health events pass by, advancing only the aggregate's seq.
	if err := ic.Apply(seal(t, domain.TrunkHealthChanged{Trunk: "gw1", Up: false}, "n2", 7, t0), nil); err != nil {
		t.Fatal(err)
	}
	if ic.Seq(domain.TrunkKey("gw1")) != 7 || ic.Version() != 1 {
		t.Fatalf("seq %d version %d", ic.Seq(domain.TrunkKey("gw1")), ic.Version())
	}
}

// The load views are what routing reads.
var (
	_ routing.State = (*projections.TrunkLoad)(nil)
	_ routing.State = projections.TrunkLoadAt{}
)

// TestPlanCompilesAndRoutesOnLoad: the projected plan compiles, and a
// decision over the projected load skips a full trunk and a down one.
func TestPlanCompilesAndRoutesOnLoad(t *testing.T) {
	ic, load := projections.NewInterconnect(), projections.NewTrunkLoad(nil)
	one := gw("gw1", "cm")
	one.MaxChannels = 1
	applyAll(t, ic,
		domain.CarrierDefined{Name: "cm", Kind: domain.CarrierMNO},
		one, gw("gw2", "cm"), gw("gw3", "cm"),
		domain.RouteDefined{Prefix: "86138", Trunks: []string{"gw1", "gw2", "gw3"}},
	)
	p := ic.Plan()
	p.Segments = routing.DefaultSegments()
	table, err := routing.Compile(p)
	if err != nil {
		t.Fatalf("Compile(Plan()): %v", err)
	}
	n, err := number.Normalize("13800138000")
	if err != nil {
		t.Fatal(err)
	}
	applyAll(t, load,
		trunkLeg("c1", "b1", "gw1"),
		domain.TrunkHealthChanged{Trunk: "gw2", Up: false, Reason: domain.HealthOptionsTimeout},
	)
	d := table.Decide(n, load.At(t0), 1)
	skips := map[string]string{}
	for _, c := range d.Candidates {
		skips[c.Trunk] = c.Skip
	}
	want := map[string]string{"gw1": domain.SkipChannelsFull, "gw2": domain.SkipDown, "gw3": ""}
	if !reflect.DeepEqual(skips, want) || d.Prefix != "86138" {
		t.Fatalf("decision %+v: skips %v, want %v", d, skips, want)
	}
}
