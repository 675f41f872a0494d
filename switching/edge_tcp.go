package switching

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// edgeListener is the TCP listener sipgo serves, seen through the edge.
// sipgo's accept loop returns on the first error, and Server.Run then
// stops the whole SIP front end: one EMFILE (descriptors exhausted by a
// connection flood) would take the switch off the air. Accept here backs
// off and goes on instead, as net/http's Server does, and only a closed
// listener ends it. It also caps open connections, in all and per source
// IP, closing an extra one as soon as it is accepted, before it costs a
// goroutine and buffers.
type edgeListener struct {
	net.Listener
	e *edge

	mu        sync.Mutex
	total     int
	perSource map[netip.Addr]int

	acceptLog *logEvery
	refuseLog *logEvery
}

// listener wraps ln.
func (e *edge) listener(ln net.Listener) *edgeListener {
	return &edgeListener{Listener: ln, e: e, perSource: make(map[netip.Addr]int),
		acceptLog: &logEvery{interval: 10 * time.Second}, refuseLog: &logEvery{interval: 10 * time.Second}}
}

// Accept returns the next connection within the caps. Errors other than
// a closed listener are logged (once per 10s), counted, and waited out:
// 5ms doubling to 1s, so a process out of descriptors does not spin.
func (l *edgeListener) Accept() (net.Conn, error) {
	var backoff time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil, err
			}
			l.e.m.edge.acceptErrors.Add(1)
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			if ok, held := l.acceptLog.allow(l.e.now()); ok {
				l.e.log.Error("sip tcp accept failed; backing off and going on (logged at most every 10s)",
					"error", err, "backoff", backoff, "failures_not_logged", held)
			}
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		src := addrPort(c.RemoteAddr())
		if limit := l.admit(src.Addr()); limit != "" {
			// Counted before the close, so whoever sees the connection
			// refused also finds it counted.
			if limit == "total" {
				l.e.m.edge.tcpRefusedTotal.Add(1)
			} else {
				l.e.m.edge.tcpRefusedSource.Add(1)
			}
			_ = c.Close()
			if ok, held := l.refuseLog.allow(l.e.now()); ok {
				l.e.log.Warn("sip tcp connection refused over the cap (logged at most every 10s)",
					"source", src.Addr().String(), "limit", limit, "refusals_not_logged", held)
			}
			continue
		}
		l.e.m.edge.tcpOpen.Add(1)
		return l.e.conn(c, src, func() { l.release(src.Addr()) }), nil
	}
}

// admit takes a slot for a connection from a, or names the cap it is over.
func (l *edgeListener) admit(a netip.Addr) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.e.cfg.TCPMaxConnections {
		return "total"
	}
	if l.perSource[a] >= l.e.cfg.TCPMaxConnectionsPerSource {
		return "source"
	}
	l.total++
	l.perSource[a]++
	return ""
}

func (l *edgeListener) release(a netip.Addr) {
	l.e.m.edge.tcpOpen.Add(-1)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.perSource[a]--; l.perSource[a] <= 0 {
		delete(l.perSource, a)
	}
}

// edgeConn is one accepted TCP connection seen through the edge. Read
// frames the stream itself (RFC 3261 §18.3: header section, then
// Content-Length octets) and gives sipgo whole canonical messages only;
// it closes the connection when a message cannot be framed, is over the
// size limit, or is not finished within the idle timeout. sipgo reads
// from one goroutine per connection; writes (sipgo's answers and the
// edge's) may come from others.
type edgeConn struct {
	net.Conn
	e       *edge
	src     netip.AddrPort
	release func()
	closed  sync.Once

	chunk []byte // one read from the socket
	in    []byte // received, not yet framed
	st    edgeMsg
	// headLen and bodyLen, once the header section of the message being
	// framed is read: its length and its Content-Length; headProblem is
	// what was wrong in it, answered once the message is all in.
	headLen, bodyLen int
	headProblem      edgeProblem
	// pending is what sipgo has still to read of the last framed message.
	pending []byte
	// deadline bounds the message being received, or the first one; it
	// is zero between messages once one was whole.
	deadline time.Time
	whole    bool
}

func (e *edge) conn(c net.Conn, src netip.AddrPort, release func()) *edgeConn {
	return &edgeConn{Conn: c, e: e, src: src, release: release, chunk: make([]byte, 4096),
		deadline: e.now().Add(e.cfg.TCPIdleTimeout)}
}

// edgeKeepBuffer is the most a connection keeps of its buffers between
// messages.
const edgeKeepBuffer = 8 << 10

// edgeLinger is how long a connection the edge ends stays open, read no
// more, before it is closed (edge.linger; tests shorten it): sipgo hands each message to a goroutine of
// its own, which finds the connection to answer on in sipgo's pool, and
// the pool lets go of it when Read reports the end. The messages passed
// on before the one that ended the connection deserve their answers (RFC
// 4475 §3.1.1.8 "dblreq" on a stream: the REGISTER is answered, then the
// octets after the INVITE end the connection).
const edgeLinger = time.Second

// hangUp ends the connection from the edge's side: after edgeLinger it
// closes it, and Read then returns io.EOF, so sipgo lets go of it as if
// the peer had closed it. It runs on sipgo's reader, whose only job this
// connection is.
func (c *edgeConn) hangUp() {
	time.Sleep(c.e.linger)
	_ = c.Close()
}

// Close closes the connection and gives its slot back, once; the edge
// and sipgo both close it, and only the first close does anything.
func (c *edgeConn) Close() error {
	var err error
	c.closed.Do(func() {
		err = c.Conn.Close()
		c.release()
	})
	return err
}

// Write sends what sipgo sends, less any branch the edge added to an RFC
// 2543 client's request (edge_message.go).
func (c *edgeConn) Write(b []byte) (int, error) {
	n := len(b)
	if _, err := c.Conn.Write(edgeStripBranch(b)); err != nil {
		return 0, err
	}
	return n, nil
}

// Read returns the next bytes of framed, canonical messages. When the
// edge closes the connection it returns io.EOF, which sipgo takes as the
// peer closing.
func (c *edgeConn) Read(p []byte) (int, error) {
	for len(c.pending) == 0 {
		if !c.frame() {
			c.hangUp()
			return 0, io.EOF
		}
		if len(c.pending) > 0 {
			break
		}
		if err := c.Conn.SetReadDeadline(c.deadline); err != nil {
			return 0, err
		}
		n, err := c.Conn.Read(c.chunk)
		if n > 0 {
			if c.deadline.IsZero() {
				// The first octet of a message starts its clock.
				c.deadline = c.e.now().Add(c.e.cfg.TCPIdleTimeout)
			}
			c.in = append(c.in, c.chunk[:n]...)
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.e.m.edge.tcpIdleClosed.Add(1)
			if ok, held := c.e.logged.allow(c.e.now()); ok {
				c.e.log.Warn("sip tcp connection closed: no whole message within sip.edge.tcp_idle_timeout (logged at most every 10s)",
					"source", c.src.String(), "buffered_bytes", len(c.in), "not_logged_before", held)
			}
			c.hangUp()
			return 0, io.EOF
		}
		if err != nil {
			return 0, err
		}
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// frame takes the next message out of c.in once it is all there, and
// sets c.pending to what sipgo is to read; it answers or drops what it
// does not pass on and reads on. It returns false when the connection
// must be closed: the stream has no message boundary left to find.
func (c *edgeConn) frame() bool {
	max := c.e.cfg.MaxMessageBytes
	for {
		if c.headLen == 0 {
			c.skipKeepalives()
			if len(c.in) == 0 {
				if c.whole {
					c.deadline = time.Time{}
				}
				// Between messages a connection keeps little: buffers a
				// large message grew are let go (a phone's connection
				// may wait for hours).
				if cap(c.in) > edgeKeepBuffer {
					c.in = nil
				}
				if cap(c.st.out) > edgeKeepBuffer {
					c.st.out = nil
				}
				return true
			}
			end := headerEnd(c.in)
			if end < 0 && len(c.in) <= max {
				return true
			}
			if end < 0 || end > max {
				c.e.m.edge.oversizeTCP.Add(1)
				c.refuse(c.e.oversize(&c.st, c.in))
				return false
			}
			c.headProblem = c.st.parseHead(c.in[:end-4])
			n, present, fp := c.st.contentLength()
			switch {
			case fp.code != 0:
				c.refuse(fp)
				return false
			case !present:
				// RFC 3261 §18.3, §20.14: on a stream, Content-Length
				// is what ends a message; without it there is no end
				// (RFC 4475 §3.4.1's "inv2543" is a datagram).
				c.refuse(edgeProblem{code: 400, reason: "Missing Content-Length header field", closeStream: true, malformed: true})
				return false
			case end+n > max:
				c.e.m.edge.oversizeTCP.Add(1)
				c.refuse(edgeProblem{code: 413, reason: "Request Entity Too Large", closeStream: true})
				return false
			}
			c.headLen, c.bodyLen = end, n
		}
		total := c.headLen + c.bodyLen
		if len(c.in) < total {
			// RFC 4475 §3.1.2.2 "clerr" on a stream: nothing to do but
			// wait for the rest, until the idle timeout.
			return true
		}
		body := c.in[c.headLen:total]
		c.headLen, c.bodyLen = 0, 0
		c.whole = true
		if c.headProblem.code != 0 {
			// Framed, so it can be skipped: answer it and read on.
			c.refuse(c.headProblem)
			c.consume(total)
			continue
		}
		c.st.appendBody(body)
		c.consume(total)
		if p := c.e.check(&c.st); p.code != 0 {
			c.refuse(p)
			continue
		}
		if p := c.e.finish(&c.st); p.code != 0 {
			c.refuse(p)
			continue
		}
		c.pending = c.st.out
		return true
	}
}

// skipKeepalives drops the CRLFs before a message (RFC 3261 §7.5) and
// answers each double-CRLF ping with a CRLF pong (RFC 5626 §3.5.1, §4.4.1).
func (c *edgeConn) skipKeepalives() {
	n := 0
	for n+1 < len(c.in) && c.in[n] == '\r' && c.in[n+1] == '\n' {
		n += 2
	}
	if n == 0 {
		return
	}
	for range n / 4 {
		_, _ = c.Conn.Write([]byte("\r\n"))
	}
	c.consume(n)
}

// consume drops the first n octets of c.in.
func (c *edgeConn) consume(n int) {
	c.in = c.in[:copy(c.in, c.in[n:])]
}

// refuse answers (or drops) the message in c.st on this connection.
func (c *edgeConn) refuse(p edgeProblem) {
	if p.closeStream && p.code == 400 {
		c.e.m.edge.tcpFramingClosed.Add(1)
	}
	c.e.refuse(&c.st, p, "TCP", c.src.Addr(), func(b []byte) {
		// The answer is small and the connection fresh; the deadline
		// only keeps a peer that reads nothing from holding this reader.
		_ = c.Conn.SetWriteDeadline(c.e.now().Add(time.Second))
		_, _ = c.Conn.Write(b)
		_ = c.Conn.SetWriteDeadline(time.Time{})
	})
}
