package dialer

import (
	"net"
	"net/netip"
	"slices"
	"sync/atomic"
)

// switchOnly is the dialer's SIP socket as its SIP stack sees it: only
// datagrams from the switch's own SIP addresses (its listen address, which
// answers, and the socket its own requests leave from) get through. The dialer is a
// user agent of that one switch: everything of its dialogs — answers, BYE,
// session refreshes — comes from there (RFC 3581: the switch answers where
// the INVITE came from), so anything from anywhere else is forged or
// misdirected. It is dropped before the SIP parser and counted, whatever
// it is: a spoofed BYE with a leg's real Call-ID, a re-INVITE, a flood.
type switchOnly struct {
	net.PacketConn
	from    []netip.AddrPort
	dropped atomic.Uint64
}

func (c *switchOnly) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err != nil {
			return n, addr, err
		}
		if ua, ok := addr.(*net.UDPAddr); ok {
			ap := ua.AddrPort()
			if slices.Contains(c.from, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())) {
				return n, addr, nil
			}
		}
		c.dropped.Add(1)
	}
}
