package switching

import (
	"context"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// listenUDP opens n UDP sockets on one address with SO_REUSEPORT, so that
// n goroutines read the SIP port instead of one: sipgo reads, frames and
// parses each socket's datagrams on a single goroutine, which made
// reception the serial part of the call path. The kernel picks a socket
// by a hash of the 4-tuple, so every datagram from one peer's socket
// lands on the same reader, in order: per-dialog ordering holds as it did
// with one socket. With n = 1 no option is set. The sockets share the
// port; any of them sends with it as its source.
func listenUDP(ctx context.Context, addr string, n, buffer int) ([]net.PacketConn, error) {
	// Every datagram is stamped with its arrival (SO_TIMESTAMPNS), which
	// the edge reads to measure the receive queue (Overload).
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if n > 1 {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
			}
			if serr == nil {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	var out []net.PacketConn
	for i := range n {
		pc, err := lc.ListenPacket(ctx, "udp", addr)
		if err != nil {
			for _, c := range out {
				c.Close()
			}
			return nil, fmt.Errorf("sip udp listen %s (socket %d of %d): %w", addr, i+1, n, err)
		}
		if u, ok := pc.(*net.UDPConn); ok && buffer > 0 {
			_ = u.SetReadBuffer(buffer)
			_ = u.SetWriteBuffer(buffer)
		}
		if i == 0 {
			addr = pc.LocalAddr().String() // a port 0 is now the one bound
		}
		out = append(out, pc)
	}
	return out, nil
}
