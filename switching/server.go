package switching

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// ServerConfig is what the SIP front end needs to listen.
type ServerConfig struct {
	// Listen is host:port for both UDP and TCP.
	Listen string
	// UserAgent is sent in requests and responses.
	UserAgent string
	// UDPBufferBytes sizes the UDP socket's receive and send buffers; the
	// 208 KB kernel default drops packets under load.
	UDPBufferBytes int
	// UDPReaders is how many sockets (SO_REUSEPORT) read the SIP UDP port;
	// 0 or 1 means one. UDPShards, above 1, spreads what they receive
	// over that many goroutines by sender (udpshards.go).
	UDPShards  int
	UDPReaders int
	// Overload, when set, measures the receive queue and sheds new calls
	// (overload.go).
	Overload *Overload
	// SweepInterval is how often expired bindings are unbound.
	SweepInterval time.Duration
	// Edge bounds what the transports take before SIP processing
	// (edge_inspect.go); zero fields take the defaults.
	Edge EdgeConfig
}

// Server is the SIP front end: transports, the registrar and the B2BUA.
type Server struct {
	cfg   ServerConfig
	ua    *sipgo.UserAgent
	srv   *sipgo.Server
	cli   *sipgo.Client
	out   net.PacketConn // where the switch's own requests leave from
	reg   *Registrar
	b2b   *B2BUA
	guard *Guard
	edge  *edge
	m     *Metrics
	log   *slog.Logger
	ready chan struct{}
}

// NewSIPStack builds sipgo's user agent, server and client on one logger.
// The logger is wrapped so that messages sipgo fails to parse are counted.
func NewSIPStack(cfg ServerConfig, m *Metrics, log *slog.Logger) (*Stack, error) {
	host, portStr, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("sip.listen: %w", err)
	}
	port, _ := strconv.Atoi(portStr)
	// sipgo refuses to send a UDP message over MTU-200 bytes and keeps the
	// limit in a package variable. RFC 3261 §18.2.2 sends a response over
	// the transport its request came on, so a large response (long
	// headers, big SDP) must leave as fragmented UDP rather than vanish.
	sip.UDPMTUSize = 65535
	sipLog := slog.New(newMalformedCounter(log.Handler(), m))
	// The transport layer logs parse failures on its own logger, so it
	// gets the counting one too.
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(cfg.UserAgent), sipgo.WithUserAgentHostname(host),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(sipLog)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(sipLog)))
	if err != nil {
		return nil, err
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(sipLog))
	if err != nil {
		return nil, err
	}
	// The requests the switch sends (B-leg INVITEs, ACK, BYE, keepalives)
	// leave from a UDP socket of their own, whose responses come back to
	// it (rport, RFC 3581). sipgo would open one itself with the kernel's
	// default receive buffer (~208 KB), which overflows at a few hundred
	// calls per second and drops answers; this one gets the configured
	// buffers and its own reader.
	out, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, fmt.Errorf("sip outbound udp socket on %s: %w", host, err)
	}
	if u, ok := out.(*net.UDPConn); ok && cfg.UDPBufferBytes > 0 {
		_ = u.SetReadBuffer(cfg.UDPBufferBytes)
		_ = u.SetWriteBuffer(cfg.UDPBufferBytes)
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientLogger(sipLog), sipgo.WithClientHostname(host), sipgo.WithClientPort(port),
		sipgo.WithClientConnectionAddr(out.LocalAddr().String()))
	if err != nil {
		out.Close()
		return nil, err
	}
	dua := &sipgo.DialogUA{Client: cli, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", Host: host, Port: port}}}
	return &Stack{UA: ua, Server: srv, Client: cli, Dialogs: dua, out: out}, nil
}

// Stack is the sipgo user agent, server, client and dialog helper of the
// switch, and the UDP socket its own requests leave from.
type Stack struct {
	UA      *sipgo.UserAgent
	Server  *sipgo.Server
	Client  *sipgo.Client
	Dialogs *sipgo.DialogUA
	out     net.PacketConn
}

// OutboundAddr is the address the switch's own requests (B-leg INVITEs,
// in-dialog BYEs and refreshes, keepalives) leave from; its answers leave
// from the listen address.
func (s *Stack) OutboundAddr() netip.AddrPort {
	ap := s.out.LocalAddr().(*net.UDPAddr).AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// NewServer assembles the front end.
func NewServer(cfg ServerConfig, st *Stack, reg *Registrar, b2b *B2BUA, guard *Guard, m *Metrics, log *slog.Logger) *Server {
	s := &Server{cfg: cfg, ua: st.UA, srv: st.Server, cli: st.Client, out: st.out, reg: reg, b2b: b2b, guard: guard, m: m, log: log, ready: make(chan struct{})}
	s.edge = newEdge(cfg.Edge, guard.silences, m, log.With("component", "sip-edge"))
	s.edge.overload = cfg.Overload
	s.srv.OnRegister(s.onRegister)
	s.srv.OnOptions(s.onOptions)
	s.srv.OnNoRoute(s.onNoRoute)
	b2b.Serve(s.srv)
	return s
}

// Ready is closed once both transports listen.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Run listens on UDP and TCP until ctx ends. Every socket sipgo serves
// is seen through the edge first (edge_inspect.go): it frames, bounds and
// canonicalizes what arrives and answers what sipgo could not take.
func (s *Server) Run(ctx context.Context) error {
	pcs, err := listenUDP(ctx, s.cfg.Listen, max(1, s.cfg.UDPReaders), s.cfg.UDPBufferBytes)
	if err != nil {
		return err
	}
	pc := pcs[0]
	closeUDP := func() {
		for _, c := range pcs {
			c.Close()
		}
	}
	lc := net.ListenConfig{}
	ln, err := lc.Listen(ctx, "tcp", pc.LocalAddr().String())
	if err != nil {
		closeUDP()
		return fmt.Errorf("sip tcp listen %s: %w", s.cfg.Listen, err)
	}
	// Each socket is read by sipgo through the edge; or, with shards, the
	// sockets' datagrams are spread over shards by sender, each framed,
	// checked and parsed on its own goroutine (udpshards.go).
	conns := pcs
	if s.cfg.UDPShards > 1 {
		shards := newUDPShards(pcs, s.cfg.UDPShards, s.cfg.Overload)
		go shards.run()
		conns = make([]net.PacketConn, 0, len(shards.shards))
		for _, sh := range shards.shards {
			conns = append(conns, sh)
		}
	}
	errs := make(chan error, 2+len(conns))
	for _, c := range conns {
		go func() { errs <- s.srv.ServeUDP(s.edge.packetConn(c)) }()
	}
	go func() { errs <- s.srv.ServeTCP(s.edge.listener(ln)) }()
	go func() { errs <- s.srv.ServeUDP(s.edge.packetConn(s.out)) }()
	go s.sweep(ctx)
	// Ready means requests can leave: sipgo adds a served socket to its
	// connection pool on its own goroutine, and a request sent before that
	// would try to bind the socket's address a second time.
	s.awaitServed(pc.LocalAddr().String(), s.out.LocalAddr().String())
	close(s.ready)
	s.log.Info("sip listening", "udp", pc.LocalAddr().String(), "udp_readers", len(pcs), "udp_shards", s.cfg.UDPShards, "tcp", ln.Addr().String())
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	drainCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.b2b.Shutdown(drainCtx)
	closeUDP()
	ln.Close()
	s.out.Close()
	s.ua.Close()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// awaitServed waits, briefly, until sipgo's UDP transport holds each of
// addrs in its connection pool.
func (s *Server) awaitServed(addrs ...string) {
	deadline := time.Now().Add(2 * time.Second)
	for _, a := range addrs {
		for time.Now().Before(deadline) {
			if c, err := s.ua.TransportLayer().GetConnection("udp", a); err == nil {
				c.Ref(-1)
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func (s *Server) sweep(ctx context.Context) {
	every(ctx, s.cfg.SweepInterval, s.reg.SweepExpired)
}

// every runs fn each interval until ctx ends. A slow fn delays the next
// run rather than stacking runs up.
func every(ctx context.Context, interval time.Duration, fn func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn(ctx)
		}
	}
}

func (s *Server) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	s.m.request("REGISTER")
	if !s.guard.Admit(req, tx) {
		return
	}
	s.reg.Handle(context.Background(), req, tx)
}

// onOptions answers keepalives and capability queries (RFC 3261 §11).
func (s *Server) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	s.m.request("OPTIONS")
	if !s.guard.Admit(req, tx) {
		return
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER"))
	s.m.response(200)
	_ = tx.Respond(res)
}

func (s *Server) onNoRoute(req *sip.Request, tx sip.ServerTransaction) {
	s.m.request(string(req.Method))
	if !s.guard.Admit(req, tx) {
		return
	}
	res := sip.NewResponseFromRequest(req, 405, "Method Not Allowed", nil)
	res.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER"))
	s.m.response(405)
	_ = tx.Respond(res)
}
