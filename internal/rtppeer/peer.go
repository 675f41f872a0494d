package rtppeer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
)

// Static payload types of RFC 3551 §6 used here.
const (
	PCMU uint8 = 0
	PCMA uint8 = 8
)

// Options configures a Peer.
type Options struct {
	// Logger receives debug lines about malformed input; nil discards.
	Logger *slog.Logger
	// RTCP also binds the RTCP socket on port+1 (RFC 3550 §11: RTP on an
	// even port, RTCP on the next odd one). With port 0 an even/odd pair is
	// searched for.
	RTCP bool
	// KeepPackets keeps every received RTP packet (header, payload copy,
	// source, latency) in StreamStats.Packets for checks on content.
	KeepPackets bool
	// ReadBuffer sets SO_RCVBUF when > 0.
	ReadBuffer int
}

// Peer is one RTP endpoint. Its methods are safe for concurrent use.
type Peer struct {
	log  *slog.Logger
	rtp  *net.UDPConn
	rtcp *net.UDPConn // nil without Options.RTCP
	keep bool

	mu      sync.Mutex
	stats   Stats
	seqs    map[uint32]*seqState
	changed chan struct{} // signalled (non-blocking) after each datagram

	readers sync.WaitGroup
	closeMu sync.Once
}

// portPairTries bounds the search for an even/odd pair with port 0.
const portPairTries = 64

// Listen binds the RTP socket on ip:port (port 0: any) and starts
// receiving. With opts.RTCP the RTCP socket is bound on port+1 as well.
func Listen(ctx context.Context, ip netip.Addr, port int, opts Options) (*Peer, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Peer{
		log:     log,
		keep:    opts.KeepPackets,
		seqs:    map[uint32]*seqState{},
		changed: make(chan struct{}, 1),
		stats:   Stats{Streams: map[uint32]StreamStats{}},
	}
	var err error
	if opts.RTCP {
		p.rtp, p.rtcp, err = bindPair(ctx, ip, port)
	} else {
		p.rtp, err = bindUDP(ctx, netip.AddrPortFrom(ip, uint16(port)))
	}
	if err != nil {
		return nil, err
	}
	for _, c := range []*net.UDPConn{p.rtp, p.rtcp} {
		if c != nil && opts.ReadBuffer > 0 {
			if err := c.SetReadBuffer(opts.ReadBuffer); err != nil {
				p.Close()
				return nil, fmt.Errorf("rtppeer: SO_RCVBUF: %w", err)
			}
		}
	}
	p.readers.Add(1)
	go p.readRTP()
	if p.rtcp != nil {
		p.readers.Add(1)
		go p.readRTCP()
	}
	return p, nil
}

func bindUDP(ctx context.Context, ap netip.AddrPort) (*net.UDPConn, error) {
	var lc net.ListenConfig
	c, err := lc.ListenPacket(ctx, "udp", ap.String())
	if err != nil {
		return nil, fmt.Errorf("rtppeer: bind %s: %w", ap, err)
	}
	return c.(*net.UDPConn), nil
}

// bindPair binds RTP on an even port and RTCP on the odd one above it.
func bindPair(ctx context.Context, ip netip.Addr, port int) (*net.UDPConn, *net.UDPConn, error) {
	if port != 0 {
		if port%2 != 0 {
			return nil, nil, fmt.Errorf("%w: RTP port %d is odd", ErrPortPair, port)
		}
		r, err := bindUDP(ctx, netip.AddrPortFrom(ip, uint16(port)))
		if err != nil {
			return nil, nil, err
		}
		c, err := bindUDP(ctx, netip.AddrPortFrom(ip, uint16(port+1)))
		if err != nil {
			r.Close()
			return nil, nil, err
		}
		return r, c, nil
	}
	for range portPairTries {
		r, err := bindUDP(ctx, netip.AddrPortFrom(ip, 0))
		if err != nil {
			return nil, nil, err
		}
		got := r.LocalAddr().(*net.UDPAddr).Port
		if got%2 == 0 && got < 65535 {
			if c, err := bindUDP(ctx, netip.AddrPortFrom(ip, uint16(got+1))); err == nil {
				return r, c, nil
			}
		}
		r.Close()
	}
	return nil, nil, ErrPortPair
}

// Addr is the bound RTP address.
func (p *Peer) Addr() netip.AddrPort { return p.rtp.LocalAddr().(*net.UDPAddr).AddrPort() }

// RTCPAddr is the bound RTCP address; invalid without Options.RTCP.
func (p *Peer) RTCPAddr() netip.AddrPort {
	if p.rtcp == nil {
		return netip.AddrPort{}
	}
	return p.rtcp.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Close closes the sockets and waits for the receivers to stop.
func (p *Peer) Close() error {
	var err error
	p.closeMu.Do(func() {
		err = p.rtp.Close()
		if p.rtcp != nil {
			err = errors.Join(err, p.rtcp.Close())
		}
		p.readers.Wait()
	})
	return err
}

// SendRaw sends b as one datagram from the RTP socket, as is: for malformed
// input tests.
func (p *Peer) SendRaw(ctx context.Context, dst netip.AddrPort, b []byte) error {
	return p.write(ctx, p.rtp, dst, b)
}

func (p *Peer) write(ctx context.Context, c *net.UDPConn, dst netip.AddrPort, b []byte) error {
	// No write deadline from ctx: a UDP send does not block for long, and a
	// deadline set here would leak into concurrent sends on the same socket.
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := c.WriteToUDPAddrPort(b, dst); err != nil {
		if errors.Is(err, net.ErrClosed) {
			return ErrClosed
		}
		return fmt.Errorf("rtppeer: send to %s: %w", dst, err)
	}
	return nil
}

// signal wakes Wait; it never blocks the receiver.
func (p *Peer) signal() {
	select {
	case p.changed <- struct{}{}:
	default:
	}
}
