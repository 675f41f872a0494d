package switching

import (
	"net"
	"net/netip"
	"time"
)

// edgePacketConn is the UDP socket sipgo serves, seen through the edge:
// ReadFrom returns only datagrams the edge passes on, in canonical form;
// the others it has answered or dropped itself. sipgo reads from one
// goroutine per socket, so the buffers need no lock.
type edgePacketConn struct {
	net.PacketConn
	e   *edge
	buf []byte
	st  edgeMsg
	// udp and oob read the arrival stamp of each datagram, for Overload.
	udp *net.UDPConn
	oob []byte
}

// packetConn wraps pc.
func (e *edge) packetConn(pc net.PacketConn) *edgePacketConn {
	// 64 KiB holds any datagram (65,507 bytes over IPv4), so one over the
	// limit is seen whole, and answered, rather than cut short.
	c := &edgePacketConn{PacketConn: pc, e: e, buf: make([]byte, 1<<16)}
	if u, ok := pc.(*net.UDPConn); ok && e.overload != nil {
		c.udp, c.oob = u, make([]byte, 64)
	}
	return c
}

// read takes the next datagram, and its time in the receive queue when
// the socket stamps arrivals.
func (c *edgePacketConn) read() (int, net.Addr, error) {
	if c.udp == nil {
		return c.PacketConn.ReadFrom(c.buf)
	}
	n, oobn, _, ap, err := c.udp.ReadMsgUDPAddrPort(c.buf, c.oob)
	if err != nil {
		return 0, nil, err
	}
	if at := rxTimestamp(c.oob[:oobn]); !at.IsZero() {
		now := time.Now()
		c.e.overload.observe(now.Sub(at), now)
	}
	return n, net.UDPAddrFromAddrPort(ap), nil
}

func (c *edgePacketConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.read()
		if err != nil {
			return 0, addr, err
		}
		out, ok := c.e.datagram(&c.st, c.buf[:n], addrPort(addr), c.reply)
		if !ok {
			continue
		}
		if len(out) > len(p) {
			// Canonical form grew a message at the limit past sipgo's
			// buffer (an added RFC 2543 branch): too large after all.
			c.e.m.edge.oversizeUDP.Add(1)
			c.e.refuse(&c.st, edgeProblem{code: 513, reason: "Message Too Large"}, "UDP", addrPort(addr).Addr(),
				func(b []byte) { c.reply(b, c.st.replyAddr(addrPort(addr))) })
			continue
		}
		return copy(p, out), addr, nil
	}
}

func (c *edgePacketConn) reply(b []byte, to netip.AddrPort) {
	_, _ = c.PacketConn.WriteTo(b, net.UDPAddrFromAddrPort(to))
}

// WriteTo sends what sipgo sends, less any branch the edge added to an RFC
// 2543 client's request (edge_message.go).
func (c *edgePacketConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	n := len(b)
	if _, err := c.PacketConn.WriteTo(edgeStripBranch(b), addr); err != nil {
		return 0, err
	}
	return n, nil
}
