package switching

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// chunkConn is a net.Conn that reads the chunks it was given, one per
// Read, then io.EOF, and keeps what is written to it.
type chunkConn struct {
	chunks [][]byte
	mu     sync.Mutex
	wrote  bytes.Buffer
	closed bool
}

func (c *chunkConn) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	if c.chunks[0] = c.chunks[0][n:]; len(c.chunks[0]) == 0 {
		c.chunks = c.chunks[1:]
	}
	return n, nil
}

func (c *chunkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wrote.Write(p)
}

func (c *chunkConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

func (c *chunkConn) LocalAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5060} }
func (c *chunkConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 40000}
}
func (c *chunkConn) SetDeadline(time.Time) error      { return nil }
func (c *chunkConn) SetReadDeadline(time.Time) error  { return nil }
func (c *chunkConn) SetWriteDeadline(time.Time) error { return nil }

// streamResult is what an edge connection made of a byte stream: the
// messages sipgo read, what the edge wrote back, and whether it closed.
type streamResult struct {
	messages []sip.Message
	wrote    string
	closed   bool
}

// runStream feeds chunks through an edge connection, reads it as sipgo
// does until the end, and parses what sipgo got with sipgo's stream
// parser.
func runStream(t testing.TB, e *edge, chunks ...[]byte) streamResult {
	t.Helper()
	fc := &chunkConn{chunks: chunks}
	c := e.conn(fc, netip.MustParseAddrPort("192.0.2.7:40000"), func() {})
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var r streamResult
	par := sip.NewParser().NewSIPStream()
	if len(got) > 0 {
		if err := par.ParseSIPStream(got, func(m sip.Message) { r.messages = append(r.messages, m) }); err != nil {
			t.Fatalf("sipgo cannot parse what the edge passed on: %v\n%q", err, got)
		}
	}
	fc.mu.Lock()
	r.wrote, r.closed = fc.wrote.String(), fc.closed
	fc.mu.Unlock()
	return r
}

// TestEdgeStream: the edge frames a TCP stream itself (RFC 3261 §18.3)
// however it arrives, answers what it cannot pass on, and closes the
// connection only when the framing is lost.
func TestEdgeStream(t *testing.T) {
	ok := crlf(optionsHead + "Content-Length: 0\n\n")
	withBody := crlf(optionsHead + "Content-Type: text/plain\nContent-Length: 5\n\nhello")
	cases := []struct {
		name     string
		chunks   [][]byte
		messages int
		wrote    string // a substring of what the edge wrote back, "" for nothing
		closed   bool
	}{
		{name: "two messages in one read", chunks: [][]byte{append(append([]byte{}, ok...), withBody...)}, messages: 2},
		{name: "one message a byte at a time", chunks: splitEvery(withBody, 1), messages: 1},
		{name: "a ping gets a pong (RFC 5626 §3.5.1), then the message", chunks: [][]byte{[]byte("\r\n\r\n"), ok}, messages: 1, wrote: "\r\n"},
		{name: "CRLFs before a message are skipped (RFC 3261 §7.5)", chunks: [][]byte{append([]byte("\r\n"), ok...)}, messages: 1},
		{name: "a framed bad message is answered and the stream read on",
			chunks:   [][]byte{crlf(strings.Replace(optionsHead, "OPTIONS sip:", "OPTIONS  sip:", 1) + "Content-Length: 0\n\n"), ok},
			messages: 1, wrote: "SIP/2.0 400 Malformed Request-Line"},
		{name: "no Content-Length: 400 and closed (RFC 3261 §18.3)", chunks: [][]byte{crlf(optionsHead + "\n"), ok},
			wrote: "SIP/2.0 400 Missing Content-Length header field", closed: true},
		{name: "a negative Content-Length: 400 and closed (RFC 4475 §3.1.2.3)", chunks: [][]byte{crlf(optionsHead + "Content-Length: -1\n\n")},
			wrote: "SIP/2.0 400 Malformed Content-Length header field", closed: true},
		{name: "two Content-Lengths: 400 and closed (RFC 4475 §3.3.9)", chunks: [][]byte{crlf(optionsHead + "Content-Length: 1\nl: 2\n\nab")},
			wrote: "SIP/2.0 400 Multiple Content-Length header fields", closed: true},
		{name: "a body over the limit: 413 and closed", chunks: [][]byte{crlf(optionsHead + "Content-Length: 5000\n\n")},
			wrote: "SIP/2.0 413 Request Entity Too Large", closed: true},
		{name: "header fields over the limit: 513 and closed", chunks: [][]byte{crlf(optionsHead + "X-Long: " + strings.Repeat("y", 3000))},
			wrote: "SIP/2.0 513 Message Too Large", closed: true},
		{name: "a message cut short is not passed on", chunks: [][]byte{withBody[:len(withBody)-2]}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := testEdge(t, EdgeConfig{MaxMessageBytes: 2048})
			r := runStream(t, e, tc.chunks...)
			if len(r.messages) != tc.messages {
				t.Errorf("sipgo got %d messages, want %d", len(r.messages), tc.messages)
			}
			if tc.wrote == "" && r.wrote != "" || !strings.Contains(r.wrote, tc.wrote) {
				t.Errorf("the edge wrote %q, want %q", r.wrote, tc.wrote)
			}
			if r.closed != tc.closed {
				t.Errorf("closed %v, want %v", r.closed, tc.closed)
			}
		})
	}
}

func splitEvery(b []byte, n int) [][]byte {
	var out [][]byte
	for len(b) > n {
		out = append(out, b[:n])
		b = b[n:]
	}
	return append(out, b)
}

// fakeListener returns errs from Accept, one each, then conn, then
// net.ErrClosed.
type fakeListener struct {
	errs []error
	conn net.Conn
}

func (l *fakeListener) Accept() (net.Conn, error) {
	if len(l.errs) > 0 {
		err := l.errs[0]
		l.errs = l.errs[1:]
		return nil, err
	}
	if l.conn != nil {
		c := l.conn
		l.conn = nil
		return c, nil
	}
	return nil, net.ErrClosed
}

func (l *fakeListener) Close() error   { return nil }
func (l *fakeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5060} }

// countingHandler counts log records.
type countingHandler struct{ n atomic.Int64 }

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(context.Context, slog.Record) error {
	h.n.Add(1)
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

// TestEdgeAcceptErrors: an accept error (descriptors exhausted, a
// connection aborted before it was accepted) does not end the listener,
// as it would end sipgo's accept loop and the switch's SIP service: the
// edge backs off, logs once per interval, counts, and goes on.
func TestEdgeAcceptErrors(t *testing.T) {
	emfile := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	aborted := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.ECONNABORTED)}
	cases := []struct {
		name string
		errs []error
	}{
		{"descriptors exhausted", []error{emfile, emfile, emfile, emfile}},
		{"connection aborted", []error{aborted}},
		{"no error", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			logs := &countingHandler{}
			e := newEdge(EdgeConfig{}, nil, &Metrics{}, slog.New(logs))
			server, client := net.Pipe()
			defer client.Close()
			l := e.listener(&fakeListener{errs: tc.errs, conn: server})
			c, err := l.Accept()
			if err != nil {
				t.Fatalf("Accept: %v, want the connection after the errors", err)
			}
			defer c.Close()
			if got := e.m.edge.acceptErrors.Load(); got != uint64(len(tc.errs)) {
				t.Errorf("accept errors counted %d, want %d", got, len(tc.errs))
			}
			if want := min(len(tc.errs), 1); logs.n.Load() != int64(want) {
				t.Errorf("%d log records, want %d (once per interval)", logs.n.Load(), want)
			}
			if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
				t.Errorf("a closed listener: %v, want net.ErrClosed", err)
			}
		})
	}
}

// TestEdgeConnectionCaps: connections over the per-source or the total
// cap are closed as soon as they are accepted; a closed one frees its slot.
func TestEdgeConnectionCaps(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := testEdge(t, EdgeConfig{TCPMaxConnections: 3, TCPMaxConnectionsPerSource: 2})
	l := e.listener(ln)
	defer l.Close()
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	dial := func(from string) net.Conn {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: time.Second}
		c, err := d.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatalf("dial from %s: %v", from, err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// refused waits for the edge to close c: up to 3s when it should (a
	// loaded machine may be slow to accept), 300ms when it should not.
	refused := func(c net.Conn, want bool) bool {
		wait := 300 * time.Millisecond
		if want {
			wait = 3 * time.Second
		}
		_ = c.SetReadDeadline(time.Now().Add(wait))
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		return err != nil && !(errors.As(err, &ne) && ne.Timeout())
	}
	steps := []struct {
		from    string
		refused bool
	}{
		{"127.0.0.1", false},
		{"127.0.0.1", false},
		{"127.0.0.1", true}, // over the per-source cap
		{"127.0.0.2", false},
		{"127.0.0.3", true}, // over the total cap
	}
	var first net.Conn
	for i, s := range steps {
		c := dial(s.from)
		if got := refused(c, s.refused); got != s.refused {
			t.Fatalf("step %d from %s: refused %v, want %v", i, s.from, got, s.refused)
		}
		if !s.refused {
			a := <-accepted
			if first == nil {
				first = a
			}
		}
	}
	if e.m.edge.tcpRefusedSource.Load() != 1 || e.m.edge.tcpRefusedTotal.Load() != 1 || e.m.edge.tcpOpen.Load() != 3 {
		t.Errorf("refused source %d total %d open %d, want 1 1 3", e.m.edge.tcpRefusedSource.Load(), e.m.edge.tcpRefusedTotal.Load(), e.m.edge.tcpOpen.Load())
	}
	first.Close()
	first.Close() // sipgo and the edge may both close; the slot is given back once
	if c := dial("127.0.0.3"); refused(c, false) {
		t.Errorf("a closed connection did not give its slot back")
	}
	<-accepted
	if e.m.edge.tcpOpen.Load() != 3 {
		t.Errorf("open %d, want 3", e.m.edge.tcpOpen.Load())
	}
}

// TestEdgeIdleTimeout: a connection that does not finish a message within
// the idle timeout is closed; one that sent a whole message and waits is
// not (a registered phone keeps its connection, RFC 5626).
func TestEdgeIdleTimeout(t *testing.T) {
	const idle = 200 * time.Millisecond
	half := crlf(optionsHead)
	whole := crlf(optionsHead + "Content-Length: 0\n\n")
	cases := []struct {
		name   string
		send   [][]byte
		closed bool
	}{
		{"nothing at all", nil, true},
		{"half a message", [][]byte{half}, true},
		{"a ping only is no message", [][]byte{[]byte("\r\n\r\n")}, true},
		{"a whole message, then quiet", [][]byte{whole}, false},
		{"a whole message, then a ping", [][]byte{whole, []byte("\r\n\r\n")}, false},
		{"a whole message, then half of one", [][]byte{whole, half}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			e := testEdge(t, EdgeConfig{TCPIdleTimeout: idle})
			l := e.listener(ln)
			defer l.Close()
			go func() {
				c, err := l.Accept()
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, c) // sipgo's reader
				c.Close()
			}()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, b := range tc.send {
				if _, err := c.Write(b); err != nil {
					t.Fatal(err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			// Closed within 3s when it should be (slack for a loaded
			// machine); open after four idle timeouts when it should not.
			wait := 4 * idle
			if tc.closed {
				wait = 3 * time.Second
			}
			_ = c.SetReadDeadline(time.Now().Add(wait))
			buf := make([]byte, 64)
			var err2 error
			for err2 == nil {
				_, err2 = c.Read(buf) // pongs, if any
			}
			var ne net.Error
			closed := !(errors.As(err2, &ne) && ne.Timeout())
			if closed != tc.closed {
				t.Errorf("closed %v (%v), want %v", closed, err2, tc.closed)
			}
			if want := map[bool]uint64{true: 1, false: 0}[tc.closed]; e.m.edge.tcpIdleClosed.Load() != want {
				t.Errorf("idle closes counted %d, want %d", e.m.edge.tcpIdleClosed.Load(), want)
			}
		})
	}
}
