package switching

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"softswitch/domain"
	"softswitch/projections"
)

// InterconnectProvisioner turns the configured carriers, trunks, routes
// and DIDs into events, like Provisioner does for subscribers: at every
// start it records only the difference from the log. An unchanged item
// records nothing, a changed or new one its *.defined, and one no longer
// configured its *.removed.
type InterconnectProvisioner struct {
	rec *Recorder
	ic  *projections.Interconnect
	mu  sync.Mutex // one Sync at a time: each reads the state the last wrote
}

// NewInterconnectProvisioner wires a provisioner over the node's
// Interconnect projection, which must be in rec's projection set.
func NewInterconnectProvisioner(rec *Recorder, ic *projections.Interconnect) *InterconnectProvisioner {
	return &InterconnectProvisioner{rec: rec, ic: ic}
}

// Sync records what makes the log's definitions equal want, in one
// append, and returns how many events that took. Definitions come before
// removals, and removals run from DIDs to carriers, so that no event ever
// leaves a route naming a removed trunk or a trunk of a removed carrier.
func (p *InterconnectProvisioner) Sync(ctx context.Context, want domain.InterconnectDefinitions) (int, error) {
	if err := checkDefinitions(want); err != nil {
		return 0, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	have := p.ic.Definitions()
	var evs []domain.Event
	evs = appendChanged(evs, have.Carriers, want.Carriers, func(e domain.CarrierDefined) string { return e.Name })
	evs = appendChanged(evs, have.Trunks, want.Trunks, func(e domain.TrunkDefined) string { return e.Name })
	evs = appendChanged(evs, have.Routes, want.Routes, func(e domain.RouteDefined) string { return e.Prefix })
	evs = appendChanged(evs, have.DIDs, want.DIDs, func(e domain.DIDAssigned) string { return e.Number })
	evs = appendRemoved(evs, have.DIDs, want.DIDs, func(e domain.DIDAssigned) domain.Event { return domain.DIDRemoved{Number: e.Number} })
	evs = appendRemoved(evs, have.Routes, want.Routes, func(e domain.RouteDefined) domain.Event { return domain.RouteRemoved{Prefix: e.Prefix} })
	evs = appendRemoved(evs, have.Trunks, want.Trunks, func(e domain.TrunkDefined) domain.Event { return domain.TrunkRemoved{Name: e.Name} })
	evs = appendRemoved(evs, have.Carriers, want.Carriers, func(e domain.CarrierDefined) domain.Event { return domain.CarrierRemoved{Name: e.Name} })
	if len(evs) == 0 {
		return 0, nil
	}
	now := p.rec.Now()
	recs := make([]domain.Recorded, len(evs))
	for i, ev := range evs {
		// Each aggregate appears once per Sync, so the projection's seq
		// plus one is right for every event of the batch.
		recs[i] = domain.Recorded{Event: ev, Seq: p.ic.Seq(ev.AggregateKey()) + 1, At: now}
	}
	if err := p.rec.Record(ctx, recs...); err != nil {
		return 0, err
	}
	return len(recs), nil
}

// definition is an interconnect *.defined event.
type definition interface {
	domain.Event
	Validate() error
}

// appendChanged appends the wanted definitions that differ from what the
// log has. They are compared as JSON, the form the log keeps: an empty
// list and an absent one are the same definition there.
func appendChanged[T definition](evs []domain.Event, have, want []T, key func(T) string) []domain.Event {
	cur := make(map[string]T, len(have))
	for _, h := range have {
		cur[key(h)] = h
	}
	for _, w := range want {
		if h, ok := cur[key(w)]; ok && sameJSON(h, w) {
			continue
		}
		evs = append(evs, w)
	}
	return evs
}

func appendRemoved[T definition](evs []domain.Event, have, want []T, removed func(T) domain.Event) []domain.Event {
	keep := make(map[string]bool, len(want))
	for _, w := range want {
		keep[w.AggregateKey()] = true
	}
	for _, h := range have {
		if !keep[h.AggregateKey()] {
			evs = append(evs, removed(h))
		}
	}
	return evs
}

func sameJSON(a, b any) bool {
	x, errX := json.Marshal(a)
	y, errY := json.Marshal(b)
	return errX == nil && errY == nil && string(x) == string(y)
}

// checkDefinitions validates each definition and the references between
// them, so a bad admin request is refused before anything is recorded.
// (The config validates the same with YAML paths; this names aggregates.)
func checkDefinitions(d domain.InterconnectDefinitions) error {
	kinds := map[string]string{}
	seen := map[string]bool{}
	check := func(def definition) error {
		if err := def.Validate(); err != nil {
			return err
		}
		if seen[def.AggregateKey()] {
			return &domain.DefinitionError{Aggregate: def.AggregateKey(), Field: "name", Msg: "defined twice"}
		}
		seen[def.AggregateKey()] = true
		return nil
	}
	for _, c := range d.Carriers {
		if err := check(c); err != nil {
			return err
		}
		kinds[c.Name] = c.Kind
	}
	for _, c := range d.Carriers {
		if c.Kind == domain.CarrierMVNO && kinds[c.Host] != domain.CarrierMNO {
			return &domain.DefinitionError{Aggregate: c.AggregateKey(), Field: "host", Msg: fmt.Sprintf("%q is not a defined mno", c.Host)}
		}
	}
	for _, t := range d.Trunks {
		if err := check(t); err != nil {
			return err
		}
		if kinds[t.Carrier] == "" {
			return &domain.DefinitionError{Aggregate: t.AggregateKey(), Field: "carrier", Msg: fmt.Sprintf("unknown carrier %q", t.Carrier)}
		}
	}
	for _, r := range d.Routes {
		if err := check(r); err != nil {
			return err
		}
		for i, t := range r.Trunks {
			if !seen[domain.TrunkKey(t)] {
				return &domain.DefinitionError{Aggregate: r.AggregateKey(), Field: fmt.Sprintf("trunks[%d]", i), Msg: fmt.Sprintf("unknown trunk %q", t)}
			}
		}
	}
	for _, n := range d.DIDs {
		if err := check(n); err != nil {
			return err
		}
	}
	return nil
}
