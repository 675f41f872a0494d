package media

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for SessionConfig.
const (
	// DefaultLearnWindow is how long after its first packet a leg's source
	// may still be learnt; rtpengine waits 3 s.
	DefaultLearnWindow = 3 * time.Second
	// DefaultDTMFTimeout ends an event whose packets stopped without an end
	// packet: six 50 ms update intervals (RFC 4733 §2.5.1.2's usual rate).
	DefaultDTMFTimeout = 300 * time.Millisecond
)

// SessionConfig configures a Session. The zero value works.
type SessionConfig struct {
	// Logger receives the session's rare events (source learnt, remote
	// changed); nil discards. Nothing is logged per packet.
	Logger *slog.Logger
	// LearnWindow: see DefaultLearnWindow. Negative: lock on the first
	// source at once (rtpengine's "immediate").
	LearnWindow time.Duration
	// DTMFTimeout: see DefaultDTMFTimeout.
	DTMFTimeout time.Duration
	// OnDTMF, if set, is called once per digit. It runs on a media
	// goroutine (or in Close, for an event still open then): it must be
	// quick and must not call Close; it may call Stats.
	OnDTMF func(DTMF)
	// OnAudio, if set, is handed each G.711 packet a leg's endpoint sends,
	// decoded to 16-bit linear PCM, whether or not it is relayed (the
	// dialer listens to a callee's early media before anyone hears it).
	// Duplicates and late packets are left out. It runs on the leg's RTP
	// goroutine with a buffer reused for the next packet: copy what it
	// keeps, and return quickly.
	OnAudio func(leg Leg, pcm []int16)
	// Record, if set, records the call (G.711 only).
	Record *RecordConfig
}

// Session relays one call's media between its two legs. Create it with
// NewSession; all methods are safe for concurrent use.
type Session struct {
	pool    *Pool
	log     *slog.Logger
	window  time.Duration
	dtmfTO  time.Duration
	onDTMF  func(DTMF)
	onAudio func(Leg, []int16)
	start   time.Time
	legs    [2]*leg
	rec     *recorder
	wg      sync.WaitGroup
	closed  atomic.Bool

	closeOnce sync.Once
	final     Final
	finalErr  error
}

// leg is one side: its sockets, what its SDP said, what was learnt and
// counted. Fields are grouped by the lock that guards them.
type leg struct {
	id    Leg
	ports *PortPair
	local [2]netip.AddrPort // RTP, RTCP

	cfg     atomic.Pointer[legConfig]
	rtpDst  atomic.Pointer[netip.AddrPort] // where media for this endpoint goes
	rtcpDst atomic.Pointer[netip.AddrPort]
	last    atomic.Int64 // unix ns of the last accepted RTP packet; 0 none

	// pcm is the OnAudio buffer, the RTP reader's own.
	pcm []int16

	// mu: the RTP reader's state.
	mu       sync.Mutex
	rtpLatch latch
	seq      seqState
	packets  uint64
	bytes    uint64
	dups     uint64
	late     uint64

	// drops and relayed counts, from the packet path without the lock.
	relayed, relayedBytes                                   atomic.Uint64
	malformed, foreign, dirDrops, noDest, sendErr, rtcpDrop atomic.Uint64

	// rtcpMu: the RTCP reader's state, the SRs delivered to this
	// endpoint and the RTT measured from its reports.
	rtcpMu      sync.Mutex
	rtcpLatch   latch
	rtcpPackets uint64
	rtcpRelayed uint64
	srOut       srRing
	rtt         time.Duration

	// dtmfMu: DTMF state; held while OnDTMF runs, so digits of a leg are
	// delivered in order.
	dtmfMu     sync.Mutex
	dtmf       dtmfState
	dtmfTimer  *time.Timer
	dtmfClosed bool
	dtmfActive atomic.Bool
}

// Final is what Close returns: the last stats and the recording, if any.
type Final struct {
	Stats     Stats
	Recording *Recording
}

// NewSession allocates a port pair for each leg from pool and starts
// relaying. Packets are relayed as soon as a destination is known for the
// other leg (early media included). It returns ErrNoPorts when the pool
// is exhausted.
func NewSession(ctx context.Context, pool *Pool, cfg SessionConfig) (*Session, error) {
	if pool == nil {
		return nil, &ConfigError{Field: "pool", Reason: "must not be nil"}
	}
	s := &Session{
		pool:   pool,
		log:    cfg.Logger,
		window: cfg.LearnWindow,
		dtmfTO: cfg.DTMFTimeout,
		onDTMF: cfg.OnDTMF, onAudio: cfg.OnAudio,
		start: time.Now(),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case s.window == 0:
		s.window = DefaultLearnWindow
	case s.window < 0:
		s.window = 0
	}
	if s.dtmfTO <= 0 {
		s.dtmfTO = DefaultDTMFTimeout
	}
	for i := range s.legs {
		pp, err := pool.Allocate(ctx)
		if err != nil {
			s.release()
			return nil, err
		}
		l := &leg{id: Leg(i), ports: pp, local: [2]netip.AddrPort{pp.RTPAddr(), pp.RTCPAddr()}}
		l.cfg.Store(newLegConfig(Remote{}))
		l.rtpLatch = newLatch(netip.AddrPort{}, s.window)
		l.rtcpLatch = newLatch(netip.AddrPort{}, s.window)
		s.legs[i] = l
	}
	if cfg.Record != nil {
		rec, err := newRecorder(*cfg.Record, s.start)
		if err != nil {
			s.release()
			return nil, err
		}
		s.rec = rec
	}
	for _, x := range s.legs {
		y := s.legs[x.id.other()]
		s.wg.Add(2)
		go s.rtpLoop(x, y)
		go s.rtcpLoop(x, y)
	}
	return s, nil
}

func (s *Session) release() {
	for _, l := range s.legs {
		if l != nil {
			s.pool.Release(l.ports)
		}
	}
}

// Local returns the switch's RTP and RTCP addresses for leg: the ports to
// write into the SDP sent to that leg's endpoint (with the advertised IP).
func (s *Session) Local(leg Leg) (rtp, rtcp netip.AddrPort) {
	l := s.legs[leg&1]
	return l.local[0], l.local[1]
}

// SetRemote tells the session what leg's SDP (offer or answer, first or
// re-INVITE/UPDATE) says. If the RTP (or RTCP) address changed, media for
// that endpoint goes to the new address at once and its source is learnt
// again; a change of direction or payload types alone keeps what was
// learnt (a hold does not reopen the stream to strangers).
func (s *Session) SetRemote(leg Leg, r Remote) error {
	if s.closed.Load() {
		return ErrClosed
	}
	x := s.legs[leg&1]
	cfg := newLegConfig(r)

	x.mu.Lock()
	old := x.cfg.Swap(cfg)
	if old.rtp != cfg.rtp {
		x.rtpLatch = newLatch(cfg.rtp, s.window)
		x.rtpDst.Store(addrPtr(cfg.rtp))
	}
	x.mu.Unlock()

	x.rtcpMu.Lock()
	if old.rtcp != cfg.rtcp {
		x.rtcpLatch = newLatch(cfg.rtcp, s.window)
		x.rtcpDst.Store(addrPtr(cfg.rtcp))
	}
	x.rtcpMu.Unlock()

	if old.rtp != cfg.rtp || old.remote.Direction != r.Direction {
		s.log.Debug("media: remote set", "leg", x.id, "rtp", cfg.rtp, "rtcp", cfg.rtcp, "direction", r.Direction)
	}
	return nil
}

// addrPtr returns a pointer to a copy of ap, or nil if ap cannot be sent to.
func addrPtr(ap netip.AddrPort) *netip.AddrPort {
	if !usable(ap) {
		return nil
	}
	p := new(netip.AddrPort)
	*p = ap
	return p
}

// LastReceived is when the last RTP packet from leg's endpoint was
// accepted (zero if none yet). The switch compares it with its own clock
// to end calls whose media died; it costs the packet path one atomic
// store.
func (s *Session) LastReceived(leg Leg) time.Time {
	ns := s.legs[leg&1].last.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// Close stops the relay: it closes the sockets, waits for the session's
// goroutines, reports a DTMF event still open, finishes the recording,
// returns the ports to the pool and returns the final stats. Calling it
// again returns the same result.
func (s *Session) Close() (Final, error) {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		for _, l := range s.legs {
			l.ports.RTP.Close()
			l.ports.RTCP.Close()
		}
		s.wg.Wait()
		for _, l := range s.legs {
			s.closeDTMF(l)
		}
		now := time.Now()
		s.final.Stats = s.Stats()
		if s.rec != nil {
			s.final.Recording, s.finalErr = s.rec.finish(now)
			if s.finalErr != nil {
				s.log.Warn("media: recording failed", "path", s.rec.path, "err", s.finalErr)
			}
		}
		s.release()
	})
	return s.final, s.finalErr
}
