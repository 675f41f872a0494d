package projections

// RoutingPlan is what the routing table is compiled from: the carriers,
// the trunks' limits and the routes, in a stable order.
//
// TODO(lead): interconnect/routing was not committed when this was
// written, so RoutingPlan mirrors routing.Plan's fields instead of
// importing it; convert field by field (Segments and Ported come from
// their files, not from events), or make Plan return routing.Plan once
// that package is in.
type RoutingPlan struct {
	Carriers []PlanCarrier
	Trunks   []PlanTrunk
	Routes   []PlanRoute
}

// PlanCarrier is routing.Carrier.
type PlanCarrier struct {
	Name string
	Kind string // mno | mvno
	Host string // an mvno's host mno
}

// PlanTrunk is routing.Trunk.
type PlanTrunk struct {
	Name        string
	Carrier     string
	MaxChannels int // 0 = unlimited
	MaxCPS      int // calls/s, 0 = unlimited
}

// PlanRoute is routing.Route.
type PlanRoute struct {
	Prefix    string
	Trunks    []string
	Weights   []int
	ByCarrier bool
}

// Plan returns the current definitions as a routing plan. Call it when
// Version has changed since the last compile.
func (ic *Interconnect) Plan() RoutingPlan {
	d := ic.Definitions()
	p := RoutingPlan{
		Carriers: make([]PlanCarrier, 0, len(d.Carriers)),
		Trunks:   make([]PlanTrunk, 0, len(d.Trunks)),
		Routes:   make([]PlanRoute, 0, len(d.Routes)),
	}
	for _, c := range d.Carriers {
		p.Carriers = append(p.Carriers, PlanCarrier{Name: c.Name, Kind: c.Kind, Host: c.Host})
	}
	for _, t := range d.Trunks {
		p.Trunks = append(p.Trunks, PlanTrunk{Name: t.Name, Carrier: t.Carrier, MaxChannels: t.MaxChannels, MaxCPS: t.MaxCPS})
	}
	for _, r := range d.Routes {
		p.Routes = append(p.Routes, PlanRoute{Prefix: r.Prefix, Trunks: append([]string(nil), r.Trunks...),
			Weights: append([]int(nil), r.Weights...), ByCarrier: r.ByCarrier})
	}
	return p
}
