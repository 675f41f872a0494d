package routing

import "softswitch/interconnect/number"

// Carrier kinds.
const (
	// KindMNO is a mobile network operator with its own network.
	KindMNO = "mno"
	// KindMVNO is a virtual operator hosted on an MNO's network.
	KindMVNO = "mvno"
)

// Route orders.
const (
	// OrderListed tries trunks in the listed (or weighted) order; "" means
	// the same.
	OrderListed = "listed"
	// OrderCost tries trunks cheapest first by Plan.Cost.
	OrderCost = "cost"
)

// Plan is everything Compile needs, as plain values the configuration and
// event projections produce. Compile copies what it keeps, so the caller
// may reuse the Plan.
type Plan struct {
	Carriers []Carrier
	Trunks   []Trunk
	Routes   []Route
	// Segments map national mobile number prefixes to their default
	// carrier; DefaultSegments returns China's table.
	Segments []Segment
	// Ported maps an E.164 number (digits, no '+') to the carrier it was
	// ported to; it overrides the segment table.
	Ported map[string]string
	// Cost is the least-cost-routing seam: when set, routes with Order
	// "cost" try their trunks cheapest first. Rating (issue 5) plugs in
	// here. It must be safe for concurrent use.
	Cost CostFunc
}

// CostFunc prices a call to n over a trunk; ok is false when the trunk has
// no rate for n (such trunks go after the priced ones).
type CostFunc func(trunk string, n number.Number) (cost int64, ok bool)

// Carrier is an operator whose trunks the switch reaches.
type Carrier struct {
	Name string
	Kind string // "mno" or "mvno"
	Host string // the host MNO of an MVNO; empty for an MNO
}

// Trunk is a gateway to a carrier.
type Trunk struct {
	Name    string
	Carrier string
	// MaxChannels caps concurrent calls; 0 means no cap.
	MaxChannels int
	// MaxCPS caps new calls per second; 0 means no cap.
	MaxCPS int
}

// Route sends numbers starting with Prefix (E.164 digits; "" is the
// default route) to a fixed list of trunks or to the number's carrier.
type Route struct {
	Prefix string
	// Trunks in failover order; empty for a ByCarrier route.
	Trunks []string
	// Weights, when set, has one entry per trunk: the first trunk is a
	// weighted choice among the usable ones, the rest follow in listed
	// order.
	Weights []int
	// ByCarrier picks the trunks of the number's carrier (ported, else
	// the segment table) instead of a fixed list.
	ByCarrier bool
	// Order is "" or "listed" (the default) or "cost".
	Order string
}

// Segment is a row of the number segment table, keyed on the national
// mobile number prefix ("1703", not "861703").
type Segment struct {
	Prefix  string
	Carrier string
	Kind    string // "mno" or "mvno"
	Host    string // host MNO of an MVNO segment
}
