package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"softswitch/internal/rtppeer"
)

// The engine owns one UDP socket per endpoint (two per call) as raw
// non-blocking fds: one goroutine sends every packet with sendto(2) on a
// schedule, and a few receive goroutines poll an epoll set every --poll
// interval and read each ready socket once. Latency does not depend on when
// a reader gets around to a socket: the kernel stamps each datagram on
// arrival (SO_TIMESTAMPNS, CLOCK_REALTIME) and the sender stamps the payload
// with the same clock just before sendto. Polling instead of blocking means
// one epoll_wait per hundred packets and no wakeup per packet, which would
// otherwise be charged to whichever process sends to us (the relay).
// Sockets see 50 pps each, so a read nearly always returns one datagram and
// batch reads (recvmmsg) would not save syscalls; what matters is no
// goroutine per socket and no allocation per packet.

// ErrEngine is returned for settings the engine cannot run.
var ErrEngine = errors.New("engine")

const (
	rtpHeaderLen = 12
	// Payload layout after the RTP header: the rtppeer stamp (magic and
	// send time), the call index, and a flags octet; the rest is silence.
	offCall  = rtppeer.StampSize
	offFlags = offCall + 4
	metaLen  = offFlags + 1

	flagMeasured = 1 << 0 // sent inside the measurement window
	flagBtoA     = 1 << 1 // sent by the B endpoint

	epollBatch = 512
	// lateAfter: a packet leaving this long after its slot counts as late,
	// a sign that the generator (or the machine) is the bottleneck.
	lateAfter = time.Millisecond
	// slipAfter: further behind than one packet time, the schedule slips.
	slipAfter = 20 * time.Millisecond
)

type engineConfig struct {
	IP       netip.Addr
	PT       uint8
	Ptime    time.Duration
	Warmup   time.Duration
	Duration time.Duration
	Drain    time.Duration
	Readers  int
	Poll     time.Duration // reader sleep when nothing is ready
	Tick     time.Duration // shortest sender sleep
	RcvBuf   int
	PID      int // relay process to meter; 0: none
}

// endpoint is one socket. Fields under "sender" are touched only by the
// sender goroutine, those under "receiver" only by the reader that owns the
// fd; both are read after the goroutines are joined.
type endpoint struct {
	fd    int
	local netip.AddrPort
	call  uint32
	flags byte // flagBtoA for B endpoints

	// sender
	dst       unix.SockaddrInet4
	pkt       []byte
	seq       uint16
	ts        uint32
	sent      uint64
	sentMeas  uint64
	sendErrs  uint64
	lastErrno unix.Errno

	// receiver
	recv      uint64
	recvMeas  uint64
	misrouted uint64
}

type engine struct {
	log *slog.Logger
	cfg engineConfig
	eps []*endpoint // A0, B0, A1, B1, ...
	// byFD maps an fd to its endpoint; fds are small dense integers.
	byFD []*endpoint
}

// newEngine binds 2*calls sockets on cfg.IP.
func newEngine(log *slog.Logger, cfg engineConfig, calls int) (*engine, error) {
	if calls <= 0 || cfg.Ptime <= 0 || cfg.Duration <= 0 || cfg.Readers <= 0 {
		return nil, fmt.Errorf("%w: calls %d ptime %v duration %v readers %d", ErrEngine, calls, cfg.Ptime, cfg.Duration, cfg.Readers)
	}
	if !cfg.IP.Is4() {
		return nil, fmt.Errorf("%w: IPv4 endpoints only (%v)", ErrEngine, cfg.IP)
	}
	e := &engine{log: log, cfg: cfg}
	for i := range 2 * calls {
		ep, err := bindEndpoint(cfg.IP, cfg.RcvBuf)
		if err != nil {
			e.close()
			return nil, fmt.Errorf("%w: endpoint %d of %d: %w", ErrEngine, i, 2*calls, err)
		}
		ep.call = uint32(i / 2)
		if i%2 == 1 {
			ep.flags = flagBtoA
		}
		e.eps = append(e.eps, ep)
		for len(e.byFD) <= ep.fd {
			e.byFD = append(e.byFD, nil)
		}
		e.byFD[ep.fd] = ep
	}
	return e, nil
}

func bindEndpoint(ip netip.Addr, rcvbuf int) (*endpoint, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if rcvbuf > 0 {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, rcvbuf)
	}
	// Arrival time of each datagram as a control message (socket(7)).
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: ip.As4()}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	in4, ok := sa.(*unix.SockaddrInet4)
	if !ok {
		unix.Close(fd)
		return nil, fmt.Errorf("%w: getsockname %T", ErrEngine, sa)
	}
	return &endpoint{fd: fd, local: netip.AddrPortFrom(netip.AddrFrom4(in4.Addr), uint16(in4.Port))}, nil
}

func (e *engine) close() {
	for _, ep := range e.eps {
		unix.Close(ep.fd)
	}
}

// pairs returns the endpoint addresses per call.
func (e *engine) pairs() []endpointPair {
	out := make([]endpointPair, len(e.eps)/2)
	for i := range out {
		out[i] = endpointPair{A: e.eps[2*i].local, B: e.eps[2*i+1].local}
	}
	return out
}

// attach points each endpoint at its relay address and builds its packet
// template: RTP v2, the payload type, an SSRC per endpoint, silence.
func (e *engine) attach(rp []relayPair) error {
	if len(rp)*2 != len(e.eps) {
		return fmt.Errorf("%w: %d relay pairs for %d calls", ErrEngine, len(rp), len(e.eps)/2)
	}
	samples := int(e.cfg.Ptime * 8000 / time.Second) // G.711: 8 kHz, 1 octet/sample
	if samples < metaLen {
		return fmt.Errorf("%w: ptime %v too short for the stamp", ErrEngine, e.cfg.Ptime)
	}
	for i, ep := range e.eps {
		dst := rp[i/2].A
		if ep.flags&flagBtoA != 0 {
			dst = rp[i/2].B
		}
		if !dst.Addr().Is4() {
			return fmt.Errorf("%w: relay address %v is not IPv4", ErrEngine, dst)
		}
		ep.dst = unix.SockaddrInet4{Port: int(dst.Port()), Addr: dst.Addr().As4()}
		ep.pkt = make([]byte, rtpHeaderLen+samples)
		ep.pkt[0] = 0x80 // V=2, no padding, no extension, no CSRC (RFC 3550 §5.1)
		ep.pkt[1] = e.cfg.PT & 0x7f
		binary.BigEndian.PutUint32(ep.pkt[8:], 0x10000000+uint32(i)) // SSRC
		fill := rtppeer.Silence(e.cfg.PT)
		for j := rtpHeaderLen; j < len(ep.pkt); j++ {
			ep.pkt[j] = fill
		}
		pl := ep.pkt[rtpHeaderLen:]
		binary.BigEndian.PutUint32(pl[offCall:], ep.call)
		ep.seq = uint16(i * 7919) // arbitrary distinct starts (RFC 3550 §5.1: random)
		ep.ts = uint32(i) * 104729
	}
	return nil
}

// window holds measurements taken at the start and end of the measured part.
type window struct {
	wall    time.Duration
	target  time.Duration // CPU of cfg.PID
	others  time.Duration // CPU of every other process
	self    time.Duration
	rcvbuf  uint64
	loadavg string
	err     error
}

type runResult struct {
	win       window
	hist      [2]*hist // by direction: 0 A→B, 1 B→A
	maxLag    time.Duration
	late      uint64 // measured packets sent more than lateAfter behind schedule
	slips     int
	slipped   time.Duration // total schedule shift
	foreign   uint64        // datagrams that were not ours
	truncated bool          // ctx ended early
}

// run sends for warmup+duration, keeps reading for Drain, and returns the
// counts; the endpoints keep their per-socket counters.
func (e *engine) run(ctx context.Context) (runResult, error) {
	n := len(e.eps)
	ptime := int64(e.cfg.Ptime)
	rounds := func(d time.Duration) int64 { return int64(d) / ptime }
	warmSlots := rounds(e.cfg.Warmup) * int64(n)
	totalSlots := warmSlots + rounds(e.cfg.Duration)*int64(n)

	var stop atomic.Bool
	readers := make([]*reader, e.cfg.Readers)
	for r := range readers {
		rd, err := newReader(e)
		if err != nil {
			for _, x := range readers[:r] {
				unix.Close(x.epfd)
			}
			return runResult{}, err
		}
		readers[r] = rd
	}
	for i, ep := range e.eps {
		if err := readers[i%len(readers)].add(ep.fd); err != nil {
			return runResult{}, err
		}
	}
	var wg sync.WaitGroup
	for _, rd := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rd.loop(&stop)
		}()
	}

	start := rtppeer.MonoNow() + int64(5*time.Millisecond)
	due := func(slot int64) int64 { return start + slot*ptime/int64(n) }
	var res runResult
	// The meter snapshots when the sender reaches the window's first and
	// last slot, on its own goroutine so that /proc reads delay no packet.
	edges := make(chan struct{}, 2)
	windows := make(chan window, 2)
	go e.meter(edges, windows)

	next := int64(0)
	for next < totalSlots {
		now := rtppeer.MonoNow()
		// Behind by more than a packet time (the machine is saturated, or
		// we were descheduled): slip the schedule rather than catch up in
		// a burst that no set of phones would send. Offered pps then falls
		// short of nominal, which the report shows.
		if behind := now - due(next); next < totalSlots && behind > int64(slipAfter) {
			start += behind
			res.slipped += time.Duration(behind)
			res.slips++
		}
		if next < totalSlots {
			if lag := time.Duration(now - due(next)); lag > res.maxLag {
				res.maxLag = lag // the first packet of a round is the latest
			}
		}
		for next < totalSlots && due(next) <= now {
			if next == warmSlots {
				edges <- struct{}{}
			}
			ep := e.eps[next%int64(n)]
			e.sendOne(ep, next >= warmSlots)
			if next >= warmSlots && now-due(next) > int64(lateAfter) {
				res.late++
			}
			next++
		}
		if next >= totalSlots {
			break
		}
		if ctx.Err() != nil {
			res.truncated = true
			break
		}
		// Sleep at least one tick: a wakeup per packet (every 10 µs at
		// 100k pps) would cost more CPU than the sends. Packets due within
		// the tick go out together on the next round, a burst of at most
		// tick*pps packets, still spread over the 20 ms.
		if d := time.Duration(due(next) - rtppeer.MonoNow()); d > 0 {
			time.Sleep(max(d, e.cfg.Tick))
		}
	}
	if next <= warmSlots { // interrupted before the window: an empty one
		edges <- struct{}{}
	}
	edges <- struct{}{}
	close(edges)
	ws := <-windows
	we := <-windows
	sleepCtx(ctx, e.cfg.Drain)
	stop.Store(true)
	wg.Wait()

	res.win = window{
		wall:    we.wall - ws.wall,
		target:  we.target - ws.target,
		self:    we.self - ws.self,
		others:  we.others - ws.others,
		rcvbuf:  we.rcvbuf - ws.rcvbuf,
		loadavg: ws.loadavg + "→" + we.loadavg,
		err:     errors.Join(ws.err, we.err),
	}
	res.hist = [2]*hist{new(hist), new(hist)}
	for _, rd := range readers {
		res.hist[0].merge(rd.hist[0])
		res.hist[1].merge(rd.hist[1])
		res.foreign += rd.foreign
		unix.Close(rd.epfd)
	}
	return res, nil
}

// sendOne stamps and sends the endpoint's next packet. Seq and timestamp
// advance per packet (RFC 3550 §5.1: timestamp by the samples per packet).
func (e *engine) sendOne(ep *endpoint, measured bool) {
	p := ep.pkt
	binary.BigEndian.PutUint16(p[2:], ep.seq)
	binary.BigEndian.PutUint32(p[4:], ep.ts)
	pl := p[rtpHeaderLen:]
	flags := ep.flags
	if measured {
		flags |= flagMeasured
	}
	pl[offFlags] = flags
	// CLOCK_REALTIME, the clock of SO_TIMESTAMPNS (so not rtppeer.MonoNow).
	rtppeer.PutStamp(pl, time.Now().UnixNano())
	ep.seq++
	ep.ts += uint32(len(pl))
	if err := unix.Sendto(ep.fd, p, 0, &ep.dst); err != nil {
		ep.sendErrs++
		if errno, ok := err.(unix.Errno); ok {
			ep.lastErrno = errno
		}
		return
	}
	ep.sent++
	if measured {
		ep.sentMeas++
	}
}

// meter snapshots CPU and counters at each edge the sender signals.
func (e *engine) meter(edges <-chan struct{}, out chan<- window) {
	for range edges {
		w := window{wall: time.Duration(rtppeer.MonoNow()), self: selfCPU(), loadavg: loadAvg()}
		if e.cfg.PID > 0 {
			w.target, w.err = procCPU(e.cfg.PID)
		}
		w.rcvbuf, _ = udpRcvbufErrors()
		w.others = othersCPU(e.cfg.PID)
		out <- w
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// reader polls one epoll set and reads each ready socket once per round
// (level-triggered: a socket with more queued is reported again).
type reader struct {
	e       *engine
	epfd    int
	hist    [2]*hist
	foreign uint64
	rx      rxBuf
}

func newReader(e *engine) (*reader, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("%w: epoll: %w", ErrEngine, err)
	}
	r := &reader{e: e, epfd: epfd, hist: [2]*hist{new(hist), new(hist)}}
	r.rx.init()
	return r, nil
}

func (r *reader) add(fd int) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
	if err := unix.EpollCtl(r.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return fmt.Errorf("%w: epoll add: %w", ErrEngine, err)
	}
	return nil
}

func (r *reader) loop(stop *atomic.Bool) {
	events := make([]unix.EpollEvent, epollBatch)
	for !stop.Load() {
		n, err := unix.EpollWait(r.epfd, events, 0)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			r.e.log.Error("epoll_wait", "err", err)
			return
		}
		for i := range n {
			fd := int(events[i].Fd)
			m, at, err := r.rx.recv(fd)
			if err != nil || m <= 0 {
				continue // EAGAIN: nothing after all
			}
			if at == 0 { // no timestamp control message: our own clock
				at = time.Now().UnixNano()
			}
			r.handle(r.e.byFD[fd], r.rx.buf[:m], at)
		}
		if n < len(events) {
			time.Sleep(r.e.cfg.Poll)
		}
	}
}

// handle accounts one datagram received by ep at 'at' (CLOCK_REALTIME ns).
func (r *reader) handle(ep *endpoint, b []byte, at int64) {
	hl := rtpHeaderLen
	if len(b) < hl || b[0]>>6 != 2 {
		r.foreign++
		return
	}
	hl += 4 * int(b[0]&0x0f)              // CSRCs
	if b[0]&0x10 != 0 && len(b) >= hl+4 { // header extension (RFC 3550 §5.3.1)
		hl += 4 + 4*int(binary.BigEndian.Uint16(b[hl+2:]))
	}
	if len(b) < hl+metaLen {
		r.foreign++
		return
	}
	pl := b[hl:]
	sent, ok := rtppeer.ReadStamp(pl)
	if !ok {
		r.foreign++
		return
	}
	flags := pl[offFlags]
	// A packet sent by A must arrive at B of the same call, and back: a
	// relay that crosses calls or reflects a stream shows up here.
	if binary.BigEndian.Uint32(pl[offCall:]) != ep.call || flags&flagBtoA == ep.flags&flagBtoA {
		ep.misrouted++
		return
	}
	ep.recv++
	if flags&flagMeasured != 0 {
		ep.recvMeas++
		dir := 0
		if flags&flagBtoA != 0 {
			dir = 1
		}
		r.hist[dir].add(at - sent)
	}
}
