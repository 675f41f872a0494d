package switching_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/eventstore/journal"
	"softswitch/projections"
	"softswitch/switching"
)

// interconnectNode is a journal, an Interconnect projection replayed from
// it, and a provisioner recording into both, as run.go wires them.
type interconnectNode struct {
	store *journal.Journal
	ic    *projections.Interconnect
	prov  *switching.InterconnectProvisioner
}

func openInterconnectNode(t *testing.T, dir string) *interconnectNode {
	t.Helper()
	ctx := context.Background()
	store, err := journal.Open(ctx, filepath.Join(dir, "journal"), journal.Options{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ic := projections.NewInterconnect()
	set := projections.Set{ic}
	if _, err := set.Replay(ctx, store); err != nil {
		t.Fatal(err)
	}
	rec := switching.NewRecorder(store, set, "n1", time.Now, &switching.Metrics{})
	return &interconnectNode{store: store, ic: ic, prov: switching.NewInterconnectProvisioner(rec, ic)}
}

// types lists the types of the events appended from position from on.
func (n *interconnectNode) types(t *testing.T, from uint64) []string {
	t.Helper()
	var out []string
	err := n.store.Read(context.Background(), from, func(env domain.Envelope) error {
		out = append(out, env.Type+" "+env.Aggregate)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func baseDefinitions() domain.InterconnectDefinitions {
	trunk := func(name, carrier string) domain.TrunkDefined {
		return domain.TrunkDefined{Name: name, Carrier: carrier, Address: name + ".example:5060", Transport: domain.TransportUDP,
			MaxChannels: 10, ACL: []string{"192.0.2.0/24"}, Codecs: []string{"PCMU"}, Rewrite: domain.NumberRewrite{Format: domain.FormatNational}}
	}
	return domain.InterconnectDefinitions{
		Carriers: []domain.CarrierDefined{{Name: "cm", Kind: domain.CarrierMNO}, {Name: "mv", Kind: domain.CarrierMVNO, Host: "cm"}},
		Trunks:   []domain.TrunkDefined{trunk("gw1", "cm"), trunk("gw2", "cm"), trunk("mv1", "mv")},
		Routes: []domain.RouteDefined{{Prefix: "86", ByCarrier: true},
			{Prefix: "86138", Trunks: []string{"gw1", "gw2"}, Weights: []int{3, 1}}},
		DIDs: []domain.DIDAssigned{{Number: "861012345678", User: "6001"}, {Number: "861012345679", User: "6002"}},
	}
}

func TestInterconnectProvisioning(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	n := openInterconnectNode(t, dir)
	want := baseDefinitions()

	steps := []struct {
		name   string
		change func(d *domain.InterconnectDefinitions)
		events []string
	}{
		{"first start defines everything", func(*domain.InterconnectDefinitions) {}, []string{
			"carrier.defined carrier:cm", "carrier.defined carrier:mv",
			"trunk.defined trunk:gw1", "trunk.defined trunk:gw2", "trunk.defined trunk:mv1",
			"route.defined route:86", "route.defined route:86138",
			"did.assigned did:861012345678", "did.assigned did:861012345679",
		}},
		{"unchanged records nothing", func(*domain.InterconnectDefinitions) {}, nil},
		{"empty and absent lists are the same", func(d *domain.InterconnectDefinitions) { d.Routes[0].Weights = []int{} }, nil},
		{"a changed trunk is redefined", func(d *domain.InterconnectDefinitions) { d.Trunks[1].MaxChannels = 20 }, []string{
			"trunk.defined trunk:gw2",
		}},
		{"a DID moves to another user", func(d *domain.InterconnectDefinitions) { d.DIDs[0].User = "6003" }, []string{
			"did.assigned did:861012345678",
		}},
		{"removals run from DIDs to carriers, after the route change", func(d *domain.InterconnectDefinitions) {
			d.Carriers = d.Carriers[:1]
			d.Trunks = d.Trunks[:1]
			d.Routes[1].Trunks, d.Routes[1].Weights = []string{"gw1"}, nil
			d.DIDs = d.DIDs[:1]
		}, []string{
			"route.defined route:86138",
			"did.removed did:861012345679",
			"trunk.removed trunk:gw2", "trunk.removed trunk:mv1",
			"carrier.removed carrier:mv",
		}},
		{"a removed item comes back", func(d *domain.InterconnectDefinitions) {
			d.DIDs = append(d.DIDs, domain.DIDAssigned{Number: "861012345679", User: "6002"})
		}, []string{"did.assigned did:861012345679"}},
	}
	var pos uint64 = 1
	for _, s := range steps {
		s.change(&want)
		got, err := n.prov.Sync(ctx, want)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		events := n.types(t, pos)
		pos += uint64(len(events))
		if got != len(s.events) || !reflect.DeepEqual(events, s.events) {
			t.Fatalf("%s: %d events %v, want %v", s.name, got, events, s.events)
		}
	}
	// Seqs continue per aggregate: did:861012345679 went 1, 2, 3.
	if seq := n.ic.Seq(domain.DIDKey("861012345679")); seq != 3 {
		t.Fatalf("did seq = %d, want 3", seq)
	}
	if u, ok := n.ic.DID("861012345679"); !ok || u != "6002" {
		t.Fatalf("DID back: %q %v", u, ok)
	}

	// A restart replays the log and provisions the same config: nothing.
	before := n.ic.Definitions()
	if err := n.store.Close(); err != nil {
		t.Fatal(err)
	}
	n = openInterconnectNode(t, dir)
	defer n.store.Close()
	if got := n.ic.Definitions(); !reflect.DeepEqual(got, before) {
		t.Fatalf("replayed definitions differ:\n got %+v\nwant %+v", got, before)
	}
	if got, err := n.prov.Sync(ctx, want); err != nil || got != 0 {
		t.Fatalf("Sync after restart recorded %d events (%v), want 0", got, err)
	}
}

func TestInterconnectProvisioningRefusesBadDefinitions(t *testing.T) {
	n := openInterconnectNode(t, t.TempDir())
	defer n.store.Close()
	tests := []struct {
		name   string
		change func(d *domain.InterconnectDefinitions)
		agg    string
		field  string
	}{
		{"invalid trunk", func(d *domain.InterconnectDefinitions) { d.Trunks[0].Address = "nope" }, "trunk:gw1", "address"},
		{"unknown carrier", func(d *domain.InterconnectDefinitions) { d.Trunks[0].Carrier = "ct" }, "trunk:gw1", "carrier"},
		{"mvno host not an mno", func(d *domain.InterconnectDefinitions) { d.Carriers[1].Host = "ct" }, "carrier:mv", "host"},
		{"route to an unknown trunk", func(d *domain.InterconnectDefinitions) { d.Routes[1].Trunks[1] = "gw9" }, "route:86138", "trunks[1]"},
		{"duplicate did", func(d *domain.InterconnectDefinitions) { d.DIDs[1].Number = d.DIDs[0].Number }, "did:861012345678", "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := baseDefinitions()
			tt.change(&d)
			_, err := n.prov.Sync(context.Background(), d)
			var de *domain.DefinitionError
			if !errors.As(err, &de) || de.Aggregate != tt.agg || de.Field != tt.field {
				t.Fatalf("err = %v, want a DefinitionError on %s.%s", err, tt.agg, tt.field)
			}
		})
	}
	if v := n.ic.Version(); v != 0 {
		t.Fatalf("a refused Sync recorded something: version %d", v)
	}
}
