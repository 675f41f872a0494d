package projections

import "softswitch/interconnect/routing"

// Plan returns the current carriers, trunks and routes as a routing plan,
// in a stable order. Segments, Ported and Cost are not events: the caller
// sets them (routing.DefaultSegments, the portability file, rating)
// before routing.Compile. Call it when Version has changed since the last
// compile.
func (ic *Interconnect) Plan() routing.Plan {
	d := ic.Definitions()
	p := routing.Plan{
		Carriers: make([]routing.Carrier, 0, len(d.Carriers)),
		Trunks:   make([]routing.Trunk, 0, len(d.Trunks)),
		Routes:   make([]routing.Route, 0, len(d.Routes)),
	}
	for _, c := range d.Carriers {
		p.Carriers = append(p.Carriers, routing.Carrier{Name: c.Name, Kind: c.Kind, Host: c.Host})
	}
	for _, t := range d.Trunks {
		p.Trunks = append(p.Trunks, routing.Trunk{Name: t.Name, Carrier: t.Carrier, MaxChannels: t.MaxChannels, MaxCPS: t.MaxCPS})
	}
	for _, r := range d.Routes {
		p.Routes = append(p.Routes, routing.Route{Prefix: r.Prefix, Trunks: append([]string(nil), r.Trunks...),
			Weights: append([]int(nil), r.Weights...), ByCarrier: r.ByCarrier})
	}
	return p
}
