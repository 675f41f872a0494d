package projections

import (
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"softswitch/domain"
)

// Interconnect is the current carriers, trunks, routes and DIDs, folded
// from their definition events. Routing compiles its table from Plan when
// Version changes; the inbound side asks TrunkForSource and DID.
//
// Ordering: every node provisions the same config at start and, with
// Kafka, receives the other nodes' definitions too, and a trunk aggregate
// also carries the registration events of every node. Their seqs are
// therefore not one writer's sequence, and "drop seq <= last" could drop
// a newer definition whose seq collides with an older one from another
// node. So definitions apply last-writer-wins by (time, envelope id): a
// redelivered envelope (same id) or an older one changes nothing, and
// every node converges on the newest definition whatever the order of
// arrival. Seq still advances to the highest seen, for the next writer.
type Interconnect struct {
	mu       sync.RWMutex
	version  uint64
	carriers map[string]domain.CarrierDefined
	trunks   map[string]domain.TrunkDefined
	regs     map[string]domain.TrunkRegistrationChanged
	routes   map[string]domain.RouteDefined
	dids     map[string]string
	// acl is every trunk's CIDRs, the longest prefix first, rebuilt when a
	// trunk changes: a few hundred entries at most, scanned per inbound
	// INVITE from an unauthenticated source.
	acl []aclEntry
	// addrs are the trunks' gateway addresses (IP literals): with the
	// ACLs, every address that is a carrier's (TrunkAt).
	addrs []aclEntry
	agg   map[string]*aggClock
}

type aclEntry struct {
	prefix netip.Prefix
	port   uint16 // 0: any
	trunk  string
	// transport is the trunk's ("udp", "tcp", "tls").
	transport string
}

// aggClock orders one aggregate's events: def for its definitions, reg
// for trunk registrations, which a different writer records.
type aggClock struct {
	seq      uint64
	def, reg stamp
}

// stamp is the (time, id) of the last applied event of a kind.
type stamp struct {
	at time.Time
	id string
}

// newer tells whether env is after s, and moves s to it if so.
func (s *stamp) newer(env domain.Envelope) bool {
	if env.Time.Before(s.at) || (env.Time.Equal(s.at) && env.ID <= s.id && s.id != "") {
		return false
	}
	s.at, s.id = env.Time, env.ID
	return true
}

// NewInterconnect returns an empty projection.
func NewInterconnect() *Interconnect {
	return &Interconnect{
		carriers: map[string]domain.CarrierDefined{},
		trunks:   map[string]domain.TrunkDefined{},
		regs:     map[string]domain.TrunkRegistrationChanged{},
		routes:   map[string]domain.RouteDefined{},
		dids:     map[string]string{},
		agg:      map[string]*aggClock{},
	}
}

// isInterconnect tells whether an aggregate key is an interconnect one.
func isInterconnect(aggregate string) bool {
	return strings.HasPrefix(aggregate, "trunk:") || strings.HasPrefix(aggregate, "carrier:") ||
		strings.HasPrefix(aggregate, "route:") || strings.HasPrefix(aggregate, "did:")
}

// Apply implements Projection.
func (ic *Interconnect) Apply(env domain.Envelope, ev domain.Event) error {
	if !isInterconnect(env.Aggregate) {
		return nil
	}
	switch env.Type {
	case domain.TypeCarrierDefined, domain.TypeCarrierRemoved, domain.TypeTrunkDefined, domain.TypeTrunkRemoved,
		domain.TypeRouteDefined, domain.TypeRouteRemoved, domain.TypeDIDAssigned, domain.TypeDIDRemoved,
		domain.TypeTrunkRegistrationChanged:
	default:
		ic.mu.Lock()
		ic.clock(env)
		ic.mu.Unlock()
		return nil
	}
	ev, err := decodeIf(env, ev)
	if err != nil {
		return err
	}
	ic.mu.Lock()
	defer ic.mu.Unlock()
	c := ic.clock(env)
	if e, ok := ev.(domain.TrunkRegistrationChanged); ok {
		if c.reg.newer(env) {
			ic.regs[e.Trunk] = e
		}
		return nil
	}
	if !c.def.newer(env) {
		return nil
	}
	switch e := ev.(type) {
	case domain.CarrierDefined:
		ic.carriers[e.Name] = e
	case domain.CarrierRemoved:
		delete(ic.carriers, e.Name)
	case domain.TrunkDefined:
		ic.trunks[e.Name] = e
		ic.rebuildACL()
	case domain.TrunkRemoved:
		delete(ic.trunks, e.Name)
		delete(ic.regs, e.Name)
		ic.rebuildACL()
	case domain.RouteDefined:
		ic.routes[e.Prefix] = e
	case domain.RouteRemoved:
		delete(ic.routes, e.Prefix)
	case domain.DIDAssigned:
		ic.dids[e.Number] = e.User
	case domain.DIDRemoved:
		delete(ic.dids, e.Number)
	}
	ic.version++
	return nil
}

// clock returns the aggregate's clock, advancing its seq; mu is held.
func (ic *Interconnect) clock(env domain.Envelope) *aggClock {
	c := ic.agg[env.Aggregate]
	if c == nil {
		c = &aggClock{}
		ic.agg[env.Aggregate] = c
	}
	c.seq = max(c.seq, env.Seq)
	return c
}

func (ic *Interconnect) rebuildACL() {
	ic.acl, ic.addrs = ic.acl[:0], ic.addrs[:0]
	for name, t := range ic.trunks {
		tr := strings.ToLower(t.Transport)
		if tr == "" {
			tr = domain.TransportUDP
		}
		for _, s := range t.ACL {
			if p, err := netip.ParsePrefix(s); err == nil {
				ic.acl = append(ic.acl, aclEntry{prefix: p.Masked(), trunk: name, transport: tr})
			} else if ap, err := netip.ParseAddrPort(s); err == nil {
				a := ap.Addr().Unmap()
				ic.acl = append(ic.acl, aclEntry{prefix: netip.PrefixFrom(a, a.BitLen()), port: ap.Port(), trunk: name, transport: tr})
			}
		}
		if ap, err := netip.ParseAddrPort(t.Address); err == nil {
			a := ap.Addr().Unmap()
			ic.addrs = append(ic.addrs, aclEntry{prefix: netip.PrefixFrom(a, a.BitLen()), port: ap.Port(), trunk: name})
		}
	}
	sort.Slice(ic.acl, func(i, j int) bool {
		a, b := ic.acl[i], ic.acl[j]
		if a.prefix.Bits() != b.prefix.Bits() {
			return a.prefix.Bits() > b.prefix.Bits()
		}
		if (a.port != 0) != (b.port != 0) {
			return a.port != 0 // a pinned port is more specific
		}
		return a.trunk < b.trunk
	})
}

// Version changes whenever a definition is applied, so the caller
// rebuilds its routing table only when the definitions changed.
func (ic *Interconnect) Version() uint64 {
	ic.mu.RLock()
	defer ic.mu.RUnlock()
	return ic.version
}

// Seq is the highest sequence seen on an aggregate ("trunk:gw1"), so the
// next event on it is recorded with Seq+1.
func (ic *Interconnect) Seq(aggregate string) uint64 {
	ic.mu.RLock()
	defer ic.mu.RUnlock()
	if c := ic.agg[aggregate]; c != nil {
		return c.seq
	}
	return 0
}

// Carrier returns a carrier's definition.
func (ic *Interconnect) Carrier(name string) (domain.CarrierDefined, bool) {
	ic.mu.RLock()
	defer ic.mu.RUnlock()
	c, ok := ic.carriers[name]
	return c, ok
}

// Trunk returns a trunk's definition (its secrets are in the config).
func (ic *Interconnect) Trunk(name string) (domain.TrunkDefined, bool) {
	ic.mu.RLock()
	defer ic.mu.RUnlock()
	t, ok := ic.trunks[name]
	return t, ok
}

// Registration returns the last registration outcome of a trunk.
func (ic *Interconnect) Registration(trunk string) (domain.TrunkRegistrationChanged, bool) {
	ic.mu.RLock()
	defer ic.mu.RUnlock()
	r, ok := ic.regs[trunk]
	return r, ok
}

// Route returns the route of exactly this prefix.
func (ic *Interconnect) Route(prefix string) (domain.RouteDefined, bool) {
	ic.mu.RLock()
	defer ic.mu.RUnlock()
	r, ok := ic.routes[prefix]
	return r, ok
}

// DID returns the subscriber a number (E.164, with or without '+') rings.
func (ic *Interconnect) DID(number string) (string, bool) {
	number = strings.TrimPrefix(number, "+")
	ic.mu.RLock()
	defer ic.mu.RUnlock()
	u, ok := ic.dids[number]
	return u, ok
}

// TrunkForSource returns the trunk whose ACL holds src ("ip:port" as the
// transport reports it) over transport (udp, tcp, tls): the entry's
// prefix must hold the address, its port (when it pins one) be the
// source port, and the trunk's transport be the request's. The most
// specific prefix wins, then a pinned port, then the first trunk name.
func (ic *Interconnect) TrunkForSource(src, transport string) (string, bool) {
	ap, err := netip.ParseAddrPort(src)
	if err != nil {
		return "", false
	}
	addr := ap.Addr().Unmap().WithZone("")
	transport = strings.ToLower(transport)
	ic.mu.RLock()
	defer ic.mu.RUnlock()
	for _, e := range ic.acl {
		if e.prefix.Contains(addr) && (e.port == 0 || e.port == ap.Port()) && e.transport == transport {
			return e.trunk, true
		}
	}
	return "", false
}

// TrunkAt returns a trunk that addr belongs to: its gateway's signaling
// address (ip:port), or its ACL (a CIDR: any port; ip:port: that port).
// No subscriber may register from, or be reached at, a carrier's address.
func (ic *Interconnect) TrunkAt(addr netip.AddrPort) (string, bool) {
	ip := addr.Addr().Unmap().WithZone("")
	ic.mu.RLock()
	defer ic.mu.RUnlock()
	for _, list := range [2][]aclEntry{ic.addrs, ic.acl} {
		for _, e := range list {
			if e.prefix.Contains(ip) && (e.port == 0 || e.port == addr.Port()) {
				return e.trunk, true
			}
		}
	}
	return "", false
}

// Definitions returns every current definition, sorted by name, prefix
// and number: the admin API's view and the provisioner's "before".
func (ic *Interconnect) Definitions() domain.InterconnectDefinitions {
	ic.mu.RLock()
	defer ic.mu.RUnlock()
	var d domain.InterconnectDefinitions
	for _, c := range ic.carriers {
		d.Carriers = append(d.Carriers, c)
	}
	for _, t := range ic.trunks {
		d.Trunks = append(d.Trunks, t)
	}
	for _, r := range ic.routes {
		d.Routes = append(d.Routes, r)
	}
	for n, u := range ic.dids {
		d.DIDs = append(d.DIDs, domain.DIDAssigned{Number: n, User: u})
	}
	sort.Slice(d.Carriers, func(i, j int) bool { return d.Carriers[i].Name < d.Carriers[j].Name })
	sort.Slice(d.Trunks, func(i, j int) bool { return d.Trunks[i].Name < d.Trunks[j].Name })
	sort.Slice(d.Routes, func(i, j int) bool { return d.Routes[i].Prefix < d.Routes[j].Prefix })
	sort.Slice(d.DIDs, func(i, j int) bool { return d.DIDs[i].Number < d.DIDs[j].Number })
	return d
}
