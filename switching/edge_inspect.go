package switching

import (
	"bytes"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// EdgeConfig is what the SIP front door takes before any SIP processing
// (config: sip.edge, docs/configuration.md). Zero fields take the
// defaults.
type EdgeConfig struct {
	// MaxMessageBytes is the largest message taken on any transport.
	// Default and most 32768 (sipgo's UDP read buffer).
	MaxMessageBytes int
	// TCPMaxConnections and TCPMaxConnectionsPerSource cap open TCP
	// connections, in all and per source IP. Defaults 4096 and 64.
	TCPMaxConnections          int
	TCPMaxConnectionsPerSource int
	// TCPIdleTimeout closes a TCP connection that has not finished a
	// message in that time. Default 10s.
	TCPIdleTimeout time.Duration
	// ErrorAnswersPerSecond bounds the edge's error answers per source IP.
	// Default 10.
	ErrorAnswersPerSecond int
}

func (c EdgeConfig) withDefaults() EdgeConfig {
	if c.MaxMessageBytes <= 0 || c.MaxMessageBytes > int(sip.TransportBufferReadSize) {
		c.MaxMessageBytes = int(sip.TransportBufferReadSize)
	}
	if c.TCPMaxConnections <= 0 {
		c.TCPMaxConnections = 4096
	}
	if c.TCPMaxConnectionsPerSource <= 0 {
		c.TCPMaxConnectionsPerSource = 64
	}
	if c.TCPIdleTimeout <= 0 {
		c.TCPIdleTimeout = 10 * time.Second
	}
	if c.ErrorAnswersPerSecond <= 0 {
		c.ErrorAnswersPerSecond = 10
	}
	return c
}

// edge sits between the sockets and sipgo's transports (edge_udp.go,
// edge_tcp.go). sipgo parses inside its transport layer and has no hook to
// answer what it cannot parse (it logs and drops it), to bound a TCP
// connection or to survive an accept error, so the edge wraps the
// net.PacketConn and net.Listener handed to ServeUDP and ServeTCP: it sees
// every message first, frames it (RFC 3261 §18.3), writes it out
// canonically (edge_message.go), refuses what sipgo could not take with an
// answer that says why, and hands sipgo only messages that sipgo's own
// parser has read.
//
// Why wrappers and not sipgo's read filter (WithTransportLayerReadFilter):
// the filter sees a TCP stream in whatever chunks reads return, so it
// cannot frame; it has no connection to answer on or to close; and an
// error from it ends the UDP listener's read loop, which is the switch's
// SIP service. A wrapper sees whole datagrams, owns the stream, its
// deadlines and its close, and is the only place an accept error can be
// kept from sipgo.
type edge struct {
	cfg EdgeConfig
	// parser is built as sipgo.NewUA builds the transports' (sip.NewParser
	// with its defaults): a message the edge passes on is one sipgo parses.
	parser *sip.Parser
	// silenced says whether a request from ip with this User-Agent gets
	// no answer at all (a banned source, a scanner: Guard.silences).
	silenced func(ip, userAgent string) bool
	limiter  *answerLimiter
	m        *Metrics
	log      *slog.Logger
	logged   *logEvery
	now      func() time.Time
	// linger is how long a TCP connection the edge ends is kept open for
	// answers already under way (edgeLinger).
	linger time.Duration
	// overload learns the receive queue's wait from each datagram.
	overload *Overload
	// tagPrefix starts the To tag of every stateless answer, so the ACK
	// of one is known without a transaction and dropped (absorbAck).
	tagPrefix string
}

func newEdge(cfg EdgeConfig, silenced func(ip, userAgent string) bool, m *Metrics, log *slog.Logger) *edge {
	cfg = cfg.withDefaults()
	if silenced == nil {
		silenced = func(string, string) bool { return false }
	}
	return &edge{cfg: cfg, parser: sip.NewParser(), silenced: silenced,
		limiter: newAnswerLimiter(cfg.ErrorAnswersPerSecond, time.Now),
		m:       m, log: log, logged: &logEvery{interval: 10 * time.Second}, now: time.Now, linger: edgeLinger,
		tagPrefix: "e" + strconv.FormatUint(rand.Uint64()>>32, 36) + "-"}
}

// check is what the edge asks of a framed, canonical message beyond its
// start line and framing: single-valued header fields once, sipgo's parser
// content, Max-Forwards in range.
func (e *edge) check(st *edgeMsg) edgeProblem {
	if st.request {
		if k := st.repeated(); k != "" {
			return badRequest("Multiple " + properHeaderName(k) + " header fields")
		}
		if p := st.headerSyntax(); p.code != 0 {
			return p
		}
	}
	msg, err := e.parser.ParseSIP(st.out)
	if err != nil {
		return e.diagnose(st)
	}
	if req, ok := msg.(*sip.Request); ok {
		// RFC 3261 §20.22: Max-Forwards is 0 to 255 (RFC 4475 §3.1.2.4
		// "scalar02"). sipgo takes any 32-bit number.
		if mf := req.MaxForwards(); mf != nil && mf.Val() > 255 {
			return badRequest("Max-Forwards out of range")
		}
	}
	return edgeProblem{}
}

// finish gives a request of an RFC 2543 client the branch sipgo needs
// (edge_message.go), and checks sipgo still reads the message then: a top
// Via sipgo took as it was may not take a parameter.
func (e *edge) finish(st *edgeMsg) edgeProblem {
	if !st.request || !st.addRFC2543Branch() {
		return edgeProblem{}
	}
	if _, err := e.parser.ParseSIP(st.out); err != nil {
		return badRequest("Malformed Via header field")
	}
	return edgeProblem{}
}

// diagnose names the header field sipgo's parser failed on, by parsing
// each alone with sipgo's own header parsers.
func (e *edge) diagnose(st *edgeMsg) edgeProblem {
	if p := st.headerSyntax(); p.code != 0 {
		return p
	}
	parsers := sip.HeadersParser(sip.DefaultHeadersParser())
	for _, h := range st.headers {
		line := st.out[h.name.from:h.value.to]
		if _, err := parsers.ParseHeader(nil, line); err != nil {
			name := properHeaderName(h.kind)
			if h.kind == "" {
				name = string(st.bytes(h.name))
			}
			return badRequest("Malformed " + name + " header field")
		}
	}
	return badRequest("Malformed message")
}

// properHeaderName is the header name of RFC 3261 §20 for a kind.
func properHeaderName(kind string) string {
	switch kind {
	case "call-id":
		return "Call-ID"
	case "cseq":
		return "CSeq"
	case "min-se":
		return "Min-SE"
	}
	parts := strings.Split(kind, "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "-")
}

// refuse handles a message the edge will not pass on: counts it, and
// answers it with p's code and reason through send when it is a request
// that may be answered: not an ACK (RFC 3261 §17.1.1.3 never answers one)
// nor a response (§18.1.2: a response matching no transaction is
// dropped), with a Via to answer to (§18.2.2), from a source the guard
// does not silence, within the source's answer rate.
func (e *edge) refuse(st *edgeMsg, p edgeProblem, transport string, src netip.Addr, send func([]byte)) {
	if p.malformed {
		e.m.Malformed()
	}
	if ok, held := e.logged.allow(e.now()); ok {
		e.log.Warn("SIP message refused at the edge (logged at most every 10s)", "transport", transport,
			"source", src.String(), "code", p.code, "reason", p.reason, "not_logged_before", held)
	}
	if !st.request || st.method.to == 0 || bytes.Equal(st.bytes(st.method), []byte("ACK")) {
		return
	}
	if _, ok := st.first("via"); !ok {
		return
	}
	ua := ""
	if h, ok := st.first("user-agent"); ok {
		ua = string(st.bytes(h.value))
	}
	if e.silenced(src.String(), ua) {
		return
	}
	if !e.limiter.allow(src) {
		e.m.edge.errorAnswersDenied.Add(1)
		return
	}
	ok, ans := st.answer(nil, p.code, p.reason, e.tagPrefix)
	if !ok {
		return
	}
	e.m.edge.errorAnswers.Add(1)
	e.m.response(p.code)
	send(ans)
}

// answer builds the stateless answer to the request in st (RFC 3261
// §8.2.6: the Via fields, From, To with a tag, Call-ID and CSeq copied, in
// their canonical form) into dst. ok is false when the request has no Via.
func (st *edgeMsg) answer(dst []byte, code int, reason, tagPrefix string) (ok bool, out []byte) {
	out = dst
	out = append(out, "SIP/2.0 "...)
	out = strconv.AppendInt(out, int64(code), 10)
	out = append(out, ' ')
	out = append(out, reason...)
	out = append(out, '\r', '\n')
	vias := 0
	for _, h := range st.headers {
		var name string
		switch h.kind {
		case "via":
			name = "Via"
			vias++
		case "from":
			name = "From"
		case "to":
			name = "To"
		case "call-id":
			name = "Call-ID"
		case "cseq":
			name = "CSeq"
		default:
			continue
		}
		out = append(out, name...)
		out = append(out, ':', ' ')
		out = append(out, st.bytes(h.value)...)
		if h.kind == "to" {
			// §8.2.6.2: the UAS adds a To tag; this answer ends the
			// transaction, so any unique tag will do.
			if _, has := headerParam(st.bytes(h.value), "tag", true); !has {
				out = append(out, ";tag="...)
				out = append(out, tagPrefix...)
				out = strconv.AppendUint(out, rand.Uint64(), 36)
			}
		}
		out = append(out, '\r', '\n')
	}
	out = append(out, "Content-Length: 0\r\n\r\n"...)
	return vias > 0, out
}

// replyAddr is where a UDP answer to st goes (RFC 3261 §18.2.2, RFC 3581
// §4): the source address, at the top Via's port (5060 when it names
// none), or at the source port when the Via asks for rport. The source IP
// always, never a host the Via names: the edge answers only whoever sent.
func (st *edgeMsg) replyAddr(src netip.AddrPort) netip.AddrPort {
	via, ok := st.first("via")
	if !ok {
		return src
	}
	top := firstListElement(st.bytes(via.value))
	if v, ok := headerParam(top, "rport", false); ok && len(v) == 0 {
		return src
	}
	sentBy, _, _ := bytes.Cut(top, []byte(";"))
	_, sentBy, _ = bytes.Cut(sentBy, []byte(" "))
	port := uint16(5060)
	if i := bytes.LastIndexByte(sentBy, ':'); i >= 0 && !bytes.HasSuffix(sentBy, []byte("]")) {
		if n, err := strconv.Atoi(string(sentBy[i+1:])); err == nil && n > 0 && n < 65536 {
			port = uint16(n)
		}
	}
	return netip.AddrPortFrom(src.Addr(), port)
}

// datagram takes one UDP datagram from src. It returns what sipgo is to
// read, or ok false when the edge answered (through reply) or dropped it.
// st holds the returned bytes until the next call.
func (e *edge) datagram(st *edgeMsg, data []byte, src netip.AddrPort, reply func([]byte, netip.AddrPort)) (out []byte, ok bool) {
	if isKeepalive(data) {
		// RFC 5626 §3.5.1's CRLF, or padding: nothing to read.
		return nil, false
	}
	send := func(b []byte) { reply(b, st.replyAddr(src)) }
	if len(data) > e.cfg.MaxMessageBytes {
		e.m.edge.oversizeUDP.Add(1)
		e.refuse(st, e.oversize(st, data), "UDP", src.Addr(), send)
		return nil, false
	}
	end := headerEnd(data)
	if end < 0 {
		p := st.parseHead(bytes.TrimRight(data, "\r\n"))
		if p.code == 0 {
			// A broken header field is the more telling answer.
			if p = e.diagnose(st); p.reason == "Malformed message" {
				p.reason = "Malformed message: no empty line after the header fields"
			}
		}
		e.refuse(st, p, "UDP", src.Addr(), send)
		return nil, false
	}
	if p := st.parseHead(data[:end-4]); p.code != 0 {
		e.refuse(st, p, "UDP", src.Addr(), send)
		return nil, false
	}
	body := data[end:]
	n, present, p := st.contentLength()
	switch {
	case p.code != 0:
	case present && n > len(body):
		// RFC 3261 §18.3: a datagram shorter than its Content-Length is
		// answered 400 (RFC 4475 §3.1.2.2 "clerr").
		p = badRequest("Content-Length larger than the message")
	case present:
		// §18.3: octets past Content-Length are discarded (RFC 4475
		// §3.1.1.8 "dblreq"). Without one the datagram's end ends the
		// body (§18.3, RFC 4475 §3.4.1 "inv2543").
		body = body[:n]
	}
	if p.code != 0 {
		e.refuse(st, p, "UDP", src.Addr(), send)
		return nil, false
	}
	st.appendBody(body)
	// Before check, which parses the message as sipgo will: while
	// overloaded, a shed INVITE and the ACK of a stateless answer cost the
	// edge's framing only.
	if e.shed(st, send) || e.absorbAck(st) {
		return nil, false
	}
	if p := e.check(st); p.code != 0 {
		e.refuse(st, p, "UDP", src.Addr(), send)
		return nil, false
	}
	if p := e.finish(st); p.code != 0 {
		e.refuse(st, p, "UDP", src.Addr(), send)
		return nil, false
	}
	return st.out, true
}

// absorbAck drops the ACK of a stateless answer of the edge's (its To tag
// starts with tagPrefix): the answer ended its transaction (RFC 3261
// §17.2.1 leaves the ACK of a non-2xx to the transaction, and there is
// none), so sipgo would parse it only to find nothing to match.
func (e *edge) absorbAck(st *edgeMsg) bool {
	if !st.request || !bytes.Equal(st.bytes(st.method), []byte("ACK")) {
		return false
	}
	to, ok := st.first("to")
	if !ok {
		return false
	}
	tag, ok := headerParam(st.bytes(to.value), "tag", true)
	if !ok || !bytes.HasPrefix(tag, []byte(e.tagPrefix)) {
		return false
	}
	e.m.edge.acksAbsorbed.Add(1)
	return true
}

// shed answers a new INVITE 503 here, statelessly (RFC 3261 §8.2.7),
// while the switch is overloaded (Overload): a shed call then costs the
// edge's framing and no parse, transaction or goroutine of sipgo's, which
// is what lets the switch keep up with the calls it does take. In-dialog
// requests (a To tag) and every other method pass. The caller's ACK of
// the 503 matches no transaction and is absorbed.
func (e *edge) shed(st *edgeMsg, send func([]byte)) bool {
	o := e.overload
	if o == nil || !o.shedding.Load() || !st.request || !bytes.Equal(st.bytes(st.method), []byte("INVITE")) {
		return false
	}
	if to, ok := st.first("to"); !ok {
		return false
	} else if _, tagged := headerParam(st.bytes(to.value), "tag", true); tagged {
		return false
	}
	ok, ans := st.answer(nil, 503, "Service Unavailable (Overloaded)", e.tagPrefix)
	if !ok {
		return false
	}
	// Retry-After (RFC 3261 §20.33) before the final empty line.
	ans = append(ans[:len(ans)-len("Content-Length: 0\r\n\r\n")], "Retry-After: "...)
	ans = strconv.AppendInt(ans, int64(o.retryAfter()), 10)
	ans = append(ans, "\r\nContent-Length: 0\r\n\r\n"...)
	o.shed.Add(1)
	e.m.response(503)
	send(ans)
	return true
}

// oversize reads what it can of a message over the size limit, for the
// answer: 413 when its header section fits and its body is what is too
// large (RFC 3261 §21.4.11), else 513 Message Too Large (§21.5.9).
func (e *edge) oversize(st *edgeMsg, data []byte) edgeProblem {
	p := edgeProblem{code: 513, reason: "Message Too Large", closeStream: true}
	head := data
	if end := headerEnd(data); end > 0 && end <= e.cfg.MaxMessageBytes {
		head = data[:end-4]
		p = edgeProblem{code: 413, reason: "Request Entity Too Large", closeStream: true}
	} else {
		// Only whole lines within the limit are read.
		head = head[:min(len(head), e.cfg.MaxMessageBytes)]
		if i := bytes.LastIndex(head, []byte("\r\n")); i >= 0 {
			head = head[:i]
		}
	}
	st.parseHead(head)
	return p
}

// isKeepalive: only CR, LF, SP and NUL octets.
func isKeepalive(b []byte) bool {
	for _, c := range b {
		if c != '\r' && c != '\n' && c != ' ' && c != 0 {
			return false
		}
	}
	return true
}

// addrPort is the address of a net.Addr from a socket, unmapped.
func addrPort(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.UDPAddr:
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	case *net.TCPAddr:
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
