package media

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
)

// Default port range, as rtpengine's port-min/port-max.
const (
	DefaultMinPort = 30000
	DefaultMaxPort = 40000
)

// PoolConfig configures a Pool.
type PoolConfig struct {
	// Addr is the local IP the sockets are bound to. It is the address
	// packets arrive on, not necessarily the one advertised in SDP (behind
	// a 1:1 NAT the switch advertises its public address).
	Addr netip.Addr
	// Min and Max bound the ports, both included. RTP takes the even ports
	// from Min, RTCP the odd port above each (RFC 3550 §11); Min must be
	// even. Zero means DefaultMinPort / DefaultMaxPort.
	Min, Max int
	// ReadBuffer, if > 0, is the SO_RCVBUF asked for each socket.
	ReadBuffer int
	// Logger receives binding failures at debug level; nil discards.
	Logger *slog.Logger
}

// Pool hands out pairs of bound UDP sockets (RTP on an even port, RTCP on
// the odd one above). It is safe for concurrent use.
type Pool struct {
	addr    netip.Addr
	min     int
	pairs   int
	readBuf int
	log     *slog.Logger

	mu          sync.Mutex
	used        []bool // by pair index
	next        int    // where the next search starts (round robin)
	inUse       int
	allocations uint64
	exhaustions uint64
	bindFails   uint64
}

// PoolStats is a snapshot of a pool's counters.
type PoolStats struct {
	Capacity     int    // port pairs in the range
	InUse        int    // pairs allocated and not yet released
	Allocations  uint64 // successful Allocate calls
	Exhaustions  uint64 // Allocate calls that returned ErrNoPorts
	BindFailures uint64 // pairs skipped because a port was taken by another process
}

// PortPair is one allocated RTP/RTCP socket pair. Release it through the
// pool that allocated it.
type PortPair struct {
	RTP, RTCP *net.UDPConn
	index     int
	pool      *Pool
	released  bool // guarded by pool.mu
}

// RTPAddr is the local address of the RTP socket.
func (p *PortPair) RTPAddr() netip.AddrPort { return p.RTP.LocalAddr().(*net.UDPAddr).AddrPort() }

// RTCPAddr is the local address of the RTCP socket.
func (p *PortPair) RTCPAddr() netip.AddrPort { return p.RTCP.LocalAddr().(*net.UDPAddr).AddrPort() }

// NewPool validates cfg and returns an empty pool. No socket is bound
// until Allocate.
func NewPool(cfg PoolConfig) (*Pool, error) {
	if cfg.Min == 0 && cfg.Max == 0 {
		cfg.Min, cfg.Max = DefaultMinPort, DefaultMaxPort
	}
	switch {
	case !cfg.Addr.IsValid():
		return nil, &ConfigError{Field: "Addr", Reason: "must be an IP address"}
	case cfg.Min < 1024 || cfg.Min%2 != 0:
		return nil, &ConfigError{Field: "Min", Reason: "must be an even port ≥ 1024, got " + strconv.Itoa(cfg.Min)}
	case cfg.Max > 65535 || cfg.Max < cfg.Min+1:
		return nil, &ConfigError{Field: "Max", Reason: "must be above Min and ≤ 65535, got " + strconv.Itoa(cfg.Max)}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pairs := (cfg.Max - cfg.Min + 1) / 2
	return &Pool{
		addr:    cfg.Addr.Unmap(),
		min:     cfg.Min,
		pairs:   pairs,
		readBuf: cfg.ReadBuffer,
		log:     log,
		used:    make([]bool, pairs),
	}, nil
}

// Addr is the IP the pool binds to.
func (p *Pool) Addr() netip.Addr { return p.addr }

// Allocate binds the next free pair, searching round robin from where the
// last search ended so that a released port rests as long as possible
// before reuse (late packets of an old call then find no new one). A pair
// whose ports another process holds is skipped. It returns ErrNoPorts
// when no pair can be bound, and ctx's error if ctx ends first.
func (p *Pool) Allocate(ctx context.Context) (*PortPair, error) {
	var lc net.ListenConfig
	network := "udp4"
	if p.addr.Is6() {
		network = "udp6"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for tried := 0; tried < p.pairs; tried++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		i := p.next
		p.next = (p.next + 1) % p.pairs
		if p.used[i] {
			continue
		}
		port := p.min + 2*i
		rtp, err := p.bind(ctx, &lc, network, port)
		if err != nil {
			p.skip(port, err)
			continue
		}
		rtcp, err := p.bind(ctx, &lc, network, port+1)
		if err != nil {
			rtp.Close()
			p.skip(port+1, err)
			continue
		}
		p.used[i] = true
		p.inUse++
		p.allocations++
		return &PortPair{RTP: rtp, RTCP: rtcp, index: i, pool: p}, nil
	}
	p.exhaustions++
	return nil, ErrNoPorts
}

func (p *Pool) bind(ctx context.Context, lc *net.ListenConfig, network string, port int) (*net.UDPConn, error) {
	pc, err := lc.ListenPacket(ctx, network, netip.AddrPortFrom(p.addr, uint16(port)).String())
	if err != nil {
		return nil, err
	}
	c := pc.(*net.UDPConn)
	if p.readBuf > 0 {
		_ = c.SetReadBuffer(p.readBuf) // best effort: the kernel caps it at rmem_max
	}
	return c, nil
}

func (p *Pool) skip(port int, err error) {
	p.bindFails++
	if !errors.Is(err, syscall.EADDRINUSE) {
		p.log.Warn("media: cannot bind RTP port", "addr", p.addr, "port", port, "err", err)
		return
	}
	p.log.Debug("media: port in use by another process, skipped", "addr", p.addr, "port", port)
}

// Release closes the pair's sockets (if still open) and returns the pair
// to the pool. Releasing twice is harmless.
func (p *Pool) Release(pp *PortPair) {
	if pp == nil || pp.pool != p {
		return
	}
	pp.RTP.Close()
	pp.RTCP.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	if pp.released {
		return
	}
	pp.released = true
	p.used[pp.index] = false
	p.inUse--
}

// Stats returns a snapshot of the pool's counters.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return PoolStats{
		Capacity:     p.pairs,
		InUse:        p.inUse,
		Allocations:  p.allocations,
		Exhaustions:  p.exhaustions,
		BindFailures: p.bindFails,
	}
}
