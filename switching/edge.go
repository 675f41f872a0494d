package switching

import (
	"net"
	"net/netip"

	"github.com/emiago/sipgo/sip"
)

// RegistrationEdge is where subscribers may register from and what their
// bindings may point at. A registered Contact is what the subscriber
// says; the switch never takes it as a routing target on its word:
//   - a binding is reached at the address its REGISTER came from (RFC 3581
//     received/rport; what Asterisk's rewrite_contact and Kamailio's
//     fix_nated_register do). Only when the Contact's IP is that source's
//     own IP (no NAT between) is the Contact's port used: a host may name
//     a port of its own, never another host. TrustContact allows a
//     subscriber's Contact as is (a PBX on a fixed address that registers
//     for phones behind it);
//   - a REGISTER from, or a Contact pointing at, a carrier trunk's address
//     is refused: a call to the subscriber would otherwise leave through
//     the trunk without routing, rating or policy;
//   - with Networks set, the source and any IP Contact must be in them.
type RegistrationEdge struct {
	Networks     []netip.Prefix
	TrunkAt      func(netip.AddrPort) (string, bool)
	TrustContact func(user string) bool
}

// refuse says why a REGISTER may not bind, "" when it may.
func (e RegistrationEdge) refuse(req *sip.Request, aor string, changes []bindingChange) string {
	src, ok := hostPort(req.Source())
	if !ok {
		return "unknown source"
	}
	if why := e.forbidden(src); why != "" {
		return "source " + why
	}
	trust := e.TrustContact != nil && e.TrustContact(aor)
	for _, c := range changes {
		if c.expires == 0 {
			continue // removing a binding is always allowed
		}
		var u sip.Uri
		if err := sip.ParseUri(c.contact, &u); err != nil {
			return "bad Contact"
		}
		ip, err := netip.ParseAddr(u.Host)
		port := uint16(u.Port)
		if port == 0 {
			port = 5060 // RFC 3263 §4.2: the default for sip over UDP and TCP
		}
		at := netip.AddrPortFrom(ip.Unmap(), port)
		switch {
		case err != nil && trust:
			// A trusted Contact is routed to as is: it must say where,
			// not a name that may resolve anywhere later.
			return "a trusted Contact must be an IP address"
		case err != nil:
			// Reached at the source anyway.
		case trust:
			if why := e.forbidden(at); why != "" {
				return "Contact " + why
			}
		default:
			// Untrusted Contacts are not routed to, so a private address
			// behind NAT is fine; a trunk's address is still a tell.
			if trunk, ok := e.trunkAt(at); ok {
				return "Contact is trunk " + trunk + "'s address"
			}
		}
	}
	return ""
}

func (e RegistrationEdge) trunkAt(a netip.AddrPort) (string, bool) {
	if e.TrunkAt == nil {
		return "", false
	}
	return e.TrunkAt(a)
}

// forbidden says why an address may not be a subscriber's, "" if it may.
func (e RegistrationEdge) forbidden(a netip.AddrPort) string {
	if trunk, ok := e.trunkAt(a); ok {
		return "is trunk " + trunk + "'s address"
	}
	if len(e.Networks) == 0 {
		return ""
	}
	for _, p := range e.Networks {
		if p.Contains(a.Addr()) {
			return ""
		}
	}
	return "outside the allowed networks"
}

// reachAt is where a call to a binding goes: its REGISTER's source, or
// its Contact for a subscriber trusted to name it; ok is false when that
// address is forbidden (a binding recorded before the rules, or a trunk
// defined since).
func (e RegistrationEdge) reachAt(user, contact, source string) (string, bool) {
	dest := source
	var u sip.Uri
	if sip.ParseUri(contact, &u) == nil {
		at := net.JoinHostPort(u.Host, itoa(u.Port))
		src, ok1 := hostPort(source)
		c, ok2 := hostPort(at)
		if (ok1 && ok2 && src.Addr() == c.Addr()) || (e.TrustContact != nil && e.TrustContact(user)) {
			dest = at
		}
	}
	a, ok := hostPort(dest)
	if !ok || e.forbidden(a) != "" {
		return "", false
	}
	return dest, true
}

// hostPort is "ip:port" parsed, the IP unmapped.
func hostPort(s string) (netip.AddrPort, bool) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port()), true
}
