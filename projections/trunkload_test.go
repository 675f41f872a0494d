package projections_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/projections"
)

func trunkLeg(call, leg, trunk string) domain.LegStarted {
	return domain.LegStarted{CallID: call, Leg: leg, Side: domain.SideB, Trunk: trunk, Carrier: "cm"}
}

func legEnd(call, leg string) domain.LegEnded {
	return domain.LegEnded{CallID: call, Leg: leg, Code: 200}
}

// TestTrunkLoadChannels drives channels up and down, with redeliveries.
func TestTrunkLoadChannels(t *testing.T) {
	l := projections.NewTrunkLoad(nil)
	steps := []struct {
		name     string
		ev       domain.Event
		seq      uint64
		gw1, gw2 int
	}{
		{"c1 a-leg is no trunk's", domain.LegStarted{CallID: "c1", Leg: "a", Side: domain.SideA}, 2, 0, 0},
		{"c1 b1 on gw1", trunkLeg("c1", "b1", "gw1"), 3, 1, 0},
		{"c1 b1 redelivered", trunkLeg("c1", "b1", "gw1"), 3, 1, 0},
		{"c2 b1 on gw1", trunkLeg("c2", "b1", "gw1"), 2, 2, 0},
		{"c1 b1 fails", legEnd("c1", "b1"), 4, 1, 0},
		{"c1 b1 end redelivered", legEnd("c1", "b1"), 4, 1, 0},
		{"c1 start redelivered after its end", trunkLeg("c1", "b1", "gw1"), 3, 1, 0},
		{"c1 fails over to gw2", trunkLeg("c1", "b2", "gw2"), 5, 1, 1},
		{"c1 a-leg ends", legEnd("c1", "a"), 6, 1, 1},
		{"c1 b2 ends", legEnd("c1", "b2"), 7, 1, 0},
		{"c2 b1 ends", legEnd("c2", "b1"), 3, 0, 0},
		{"end of an unknown call", legEnd("c9", "b1"), 3, 0, 0},
	}
	for i, s := range steps {
		env := seal(t, s.ev, "n1", s.seq, t0.Add(time.Duration(i)*time.Millisecond))
		if err := l.Apply(env, nil); err != nil {
			t.Fatal(err)
		}
		if g1, g2 := l.Channels("gw1"), l.Channels("gw2"); g1 != s.gw1 || g2 != s.gw2 {
			t.Fatalf("%s: channels gw1=%d gw2=%d, want %d %d", s.name, g1, g2, s.gw1, s.gw2)
		}
	}
}

// TestTrunkLoadCPSWindow pins the window: starts in the 100 ms bucket of
// now and the 9 before it count.
func TestTrunkLoadCPSWindow(t *testing.T) {
	base := t0.Add(5 * time.Second) // on a bucket edge
	l := projections.NewTrunkLoad(nil)
	starts := []time.Duration{0, 50 * time.Millisecond, 99 * time.Millisecond, 100 * time.Millisecond, 950 * time.Millisecond}
	for i, d := range starts {
		if err := l.Apply(seal(t, trunkLeg("c"+string(rune('a'+i)), "b1", "gw1"), "n1", 1, base.Add(d)), nil); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		at   time.Duration
		want float64
	}{
		{"before any start", -time.Millisecond, 0},
		{"in the first bucket", 10 * time.Millisecond, 3}, // starts after now in its bucket count too
		{"second bucket", 100 * time.Millisecond, 4},
		{"last bucket of the first second", 999 * time.Millisecond, 5},
		{"first bucket leaves at 1s", time.Second, 2},
		{"second leaves at 1.1s", 1100 * time.Millisecond, 1},
		{"1.899s still holds 0.95s", 1899 * time.Millisecond, 1},
		{"1.9s: its bucket (0.9s) has left", 1900 * time.Millisecond, 0},
		{"much later", time.Hour, 0},
	}
	for _, tt := range tests {
		if got := l.CPSAt("gw1", base.Add(tt.at)); got != tt.want {
			t.Errorf("%s: CPSAt(+%s) = %v, want %v", tt.name, tt.at, got, tt.want)
		}
		if got := l.At(base.Add(tt.at)).CPS("gw1"); got != tt.want {
			t.Errorf("%s: At().CPS = %v, want %v", tt.name, got, tt.want)
		}
	}
	// Without a clock, CPS reads at the latest event (base+950ms).
	if got := l.CPS("gw1"); got != 5 {
		t.Errorf("CPS at the latest event = %v, want 5", got)
	}
	if got := l.CPSAt("gw2", base); got != 0 {
		t.Errorf("unknown trunk CPS = %v", got)
	}
	// With a clock, at the clock.
	clocked := projections.NewTrunkLoad(func() time.Time { return base.Add(time.Minute) })
	_ = clocked.Apply(seal(t, trunkLeg("c", "b1", "gw1"), "n1", 1, base), nil)
	if got := clocked.CPS("gw1"); got != 0 {
		t.Errorf("clocked CPS a minute later = %v", got)
	}
}

// TestTrunkLoadCPSBurst: many starts in one bucket, then a start more than
// a second later reuses the ring slot without the old count.
func TestTrunkLoadCPSBurst(t *testing.T) {
	l := projections.NewTrunkLoad(nil)
	for i := range 30 {
		_ = l.Apply(seal(t, trunkLeg("c"+string(rune('A'+i)), "b1", "gw1"), "n1", 1, t0), nil)
	}
	if got := l.CPSAt("gw1", t0); got != 30 {
		t.Fatalf("burst CPS = %v", got)
	}
	_ = l.Apply(seal(t, trunkLeg("late", "b1", "gw1"), "n1", 1, t0.Add(2*time.Second)), nil)
	if got := l.CPSAt("gw1", t0.Add(2*time.Second)); got != 1 {
		t.Fatalf("CPS after the ring wrapped = %v", got)
	}
	// A start older than the ring holds is outside every current window.
	_ = l.Apply(seal(t, trunkLeg("old", "b1", "gw1"), "n1", 1, t0.Add(-time.Second)), nil)
	if got := l.CPSAt("gw1", t0.Add(2*time.Second)); got != 1 {
		t.Fatalf("CPS after an old start = %v", got)
	}
}

func TestTrunkLoadHealth(t *testing.T) {
	l := projections.NewTrunkLoad(nil)
	health := func(up bool, reason string) domain.TrunkHealthChanged {
		return domain.TrunkHealthChanged{Trunk: "gw1", Up: up, Reason: reason}
	}
	steps := []struct {
		name string
		env  domain.Envelope
		up   bool
	}{
		{"unknown trunk is up", domain.Envelope{}, true},
		{"options timeout", seal(t, health(false, domain.HealthOptionsTimeout), "n1", 2, t0.Add(time.Second)), false},
		{"redelivered", seal(t, health(false, domain.HealthOptionsTimeout), "n1", 2, t0.Add(time.Second)), false},
		{"older up from another node", seal(t, health(true, domain.HealthOptionsOK), "n2", 9, t0), false},
		{"options 200", seal(t, health(true, domain.HealthOptionsOK), "n1", 3, t0.Add(2*time.Second)), true},
		{"registration failed", seal(t, health(false, domain.HealthRegFailed), "n2", 3, t0.Add(3*time.Second)), false},
	}
	for _, s := range steps {
		if err := l.Apply(s.env, nil); err != nil {
			t.Fatal(err)
		}
		if got := l.Up("gw1"); got != s.up {
			t.Fatalf("%s: Up = %v, want %v", s.name, got, s.up)
		}
		if got := l.At(t0).Up("gw1"); got != s.up {
			t.Fatalf("%s: At().Up = %v", s.name, got)
		}
	}
	if st := l.Status("gw1", t0); st.Up || st.Reason != domain.HealthRegFailed {
		t.Fatalf("Status = %+v", st)
	}
	if !l.Up("gw2") {
		t.Fatal("a trunk never checked must be up")
	}
}

// TestTrunkLoadForgets: a call ended long ago is forgotten, a call that
// failed over after its first leg ended is not.
func TestTrunkLoadForgets(t *testing.T) {
	l := projections.NewTrunkLoad(nil)
	apply := func(ev domain.Event, seq uint64, at time.Time) {
		t.Helper()
		if err := l.Apply(seal(t, ev, "n1", seq, at), nil); err != nil {
			t.Fatal(err)
		}
	}
	apply(trunkLeg("c1", "b1", "gw1"), 1, t0)
	apply(legEnd("c1", "b1"), 2, t0)
	apply(trunkLeg("c2", "b1", "gw1"), 1, t0)
	apply(legEnd("c2", "b1"), 2, t0)
	apply(trunkLeg("c2", "b2", "gw1"), 3, t0.Add(time.Second)) // failover, still open
	apply(trunkLeg("c3", "b1", "gw2"), 1, t0.Add(10*time.Minute))
	// c1 is forgotten: a redelivery that old opens a channel again, which
	// is the price of bounded memory (Kafka redelivers within seconds).
	apply(trunkLeg("c1", "b1", "gw1"), 1, t0)
	if got := l.Channels("gw1"); got != 2 {
		t.Fatalf("gw1 channels = %d, want c2's and the re-opened c1's", got)
	}
	// c2 was kept: its redelivered first leg is still recognised.
	apply(trunkLeg("c2", "b1", "gw1"), 1, t0)
	if got := l.Channels("gw1"); got != 2 {
		t.Fatalf("gw1 channels = %d after c2's redelivery", got)
	}
}

// TestRemoteTrunkEvents: other nodes' trunk legs and trunk events reach
// the trunk projections and never the local ones; own events are skipped.
func TestRemoteTrunkEvents(t *testing.T) {
	calls, loc := projections.NewCalls(), projections.NewLocation()
	ic, load := projections.NewInterconnect(), projections.NewTrunkLoad(nil)
	r := projections.NewRemote(projections.Set{loc, calls}, "n1", ic, load)
	tests := []struct {
		name  string
		env   domain.Envelope
		wants bool
	}{
		{"other node's call start", seal(t, domain.CallStarted{CallID: "x", Caller: "a", Callee: "b"}, "n2", 1, t0), false},
		{"other node's trunk leg", seal(t, trunkLeg("x", "b1", "gw1"), "n2", 2, t0), true},
		{"other node's contact leg", seal(t, domain.LegStarted{CallID: "x", Leg: "b2", Side: domain.SideB}, "n2", 3, t0), true},
		{"other node's progress", seal(t, domain.LegProgress{CallID: "x", Leg: "b1", Code: 180}, "n2", 4, t0), false},
		{"own trunk leg", seal(t, trunkLeg("y", "b1", "gw1"), "n1", 2, t0), false},
		{"other node's health", seal(t, domain.TrunkHealthChanged{Trunk: "gw1", Up: false}, "n2", 1, t0), true},
		{"other node's trunk definition", seal(t, gw("gw1", "cm"), "n2", 2, t0), true},
		{"other node's route", seal(t, domain.RouteDefined{Prefix: "86", ByCarrier: true}, "n2", 1, t0), true},
		{"other node's did", seal(t, domain.DIDAssigned{Number: "861012345678", User: "6001"}, "n2", 1, t0), true},
		{"other node's ban", domain.Envelope{Aggregate: "source:127.0.0.1", Node: "n2"}, false},
		{"other node's registration", seal(t, bound("6000", "sip:6000@127.0.0.1:5070", t0.Add(time.Hour)), "n2", 1, t0), true},
	}
	for _, tt := range tests {
		if got := r.Wants(tt.env); got != tt.wants {
			t.Errorf("%s: Wants = %v, want %v", tt.name, got, tt.wants)
		}
		if err := r.Apply(tt.env, nil); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
	}
	if calls.Len() != 0 {
		t.Fatalf("a remote call reached Calls: %+v", calls.List())
	}
	if load.Channels("gw1") != 1 || load.Up("gw1") {
		t.Fatalf("load: channels %d up %v", load.Channels("gw1"), load.Up("gw1"))
	}
	if _, ok := ic.Trunk("gw1"); !ok {
		t.Fatal("remote trunk definition not applied")
	}
	if u, _ := ic.DID("861012345678"); u != "6001" {
		t.Fatal("remote DID not applied")
	}
	if len(loc.Lookup("6000", t0)) != 1 {
		t.Fatal("remote registration not applied")
	}
	// Without trunk projections, Remote wants none of it (the old wiring).
	old := projections.NewRemote(projections.Set{loc}, "n1")
	if old.Wants(seal(t, trunkLeg("x", "b1", "gw1"), "n2", 2, t0)) {
		t.Fatal("Remote without trunk projections wants trunk legs")
	}
}

// TestTrunkProjectionsConcurrent: routing reads while the recorder and
// Remote apply; run with -race.
func TestTrunkProjectionsConcurrent(t *testing.T) {
	ic, load := projections.NewInterconnect(), projections.NewTrunkLoad(time.Now)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				call := fmt.Sprintf("c%d-%d", w, i)
				_ = load.Apply(seal(t, trunkLeg(call, "b1", "gw1"), "n1", 1, t0), nil)
				_ = ic.Apply(seal(t, gw(fmt.Sprintf("gw%d", i%5), "cm", "192.0.2.0/24"), "n1", uint64(i+1), t0.Add(time.Duration(i))), nil)
				_ = load.Apply(seal(t, legEnd(call, "b1"), "n1", 2, t0), nil)
			}
		})
		wg.Go(func() {
			for range 200 {
				_, _ = ic.TrunkForSource("192.0.2.1:5060", "UDP")
				_ = ic.Plan()
				_ = load.At(t0).CPS("gw1") + float64(load.Channels("gw1"))
				_ = load.Up("gw1")
			}
		})
	}
	wg.Wait()
	if n := load.Channels("gw1"); n != 0 {
		t.Fatalf("channels = %d after every leg ended", n)
	}
}
