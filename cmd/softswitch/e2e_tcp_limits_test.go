//go:build e2e

// The SIP front door under a TCP flood and oversize messages (issue 12,
// item B): connection caps, the idle timeout, the message size limit, and
// an accept loop that outlives descriptor exhaustion.
//
//	SOFTSWITCH_REQUIRE_SIPP=1 go test -tags e2e -count=1 -run 'TestE2ETCP' -v ./cmd/softswitch/
package main

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"softswitch/internal/itest"
)

// Limits small enough to reach in a test.
const (
	limitsPerSource   = 4
	limitsTotal       = 6
	limitsIdleTimeout = time.Second
	limitsMaxMessage  = 4096
)

// A flood of connections, half messages and oversize ones is refused,
// each refusal counted, and the switch then still registers a phone
// (SIPp over UDP) and answers OPTIONS over TCP.
func TestE2ETCPLimits(t *testing.T) {
	itest.RequireSIPp(t)
	sw := itest.Start(t, itest.Options{SIPYAML: "edge:\n" +
		"  tcp_max_connections: " + strconv.Itoa(limitsTotal) + "\n" +
		"  tcp_max_connections_per_source: " + strconv.Itoa(limitsPerSource) + "\n" +
		"  tcp_idle_timeout: " + limitsIdleTimeout.String() + "\n" +
		"  max_message_bytes: " + strconv.Itoa(limitsMaxMessage) + "\n"})

	t.Run("caps", func(t *testing.T) {
		// Each connection sends a whole OPTIONS and gets its 200: a
		// connection that has sent a message is not timed out, so the
		// slots stay taken.
		var open []net.Conn
		for i := range limitsPerSource {
			c := limitsDial(t, sw, "127.0.0.1")
			if code := limitsOptions(t, c); code != 200 {
				t.Fatalf("connection %d from 127.0.0.1: OPTIONS got %d, want 200", i+1, code)
			}
			open = append(open, c)
		}
		before := labelledMetric(t, sw, `softswitch_sip_tcp_refused_total{limit="source"}`)
		extra := limitsDial(t, sw, "127.0.0.1")
		if !limitsClosed(extra, 2*time.Second) {
			t.Fatalf("connection %d from one source stayed open; want it closed (sip.edge.tcp_max_connections_per_source %d)", limitsPerSource+1, limitsPerSource)
		}
		if got := labelledMetric(t, sw, `softswitch_sip_tcp_refused_total{limit="source"}`); got != before+1 {
			t.Errorf(`softswitch_sip_tcp_refused_total{limit="source"} went from %v to %v, want +1`, before, got)
		}
		// Other sources have slots of their own, up to the total.
		for _, src := range []string{"127.0.0.2", "127.0.0.3"} {
			c := limitsDial(t, sw, src)
			if code := limitsOptions(t, c); code != 200 {
				t.Fatalf("a connection from %s: OPTIONS got %d, want 200", src, code)
			}
			open = append(open, c)
		}
		if c := limitsDial(t, sw, "127.0.0.4"); !limitsClosed(c, 2*time.Second) {
			t.Fatalf("connection %d in all stayed open; want it closed (sip.edge.tcp_max_connections %d)", limitsTotal+1, limitsTotal)
		}
		if got := labelledMetric(t, sw, `softswitch_sip_tcp_refused_total{limit="total"}`); got < 1 {
			t.Errorf(`softswitch_sip_tcp_refused_total{limit="total"} = %v, want >= 1`, got)
		}
		if got := metric(t, sw, "softswitch_sip_tcp_connections"); got != limitsTotal {
			t.Errorf("softswitch_sip_tcp_connections = %v, want %d", got, limitsTotal)
		}
		for _, c := range open {
			c.Close()
		}
		itest.Eventually(t, 5*time.Second, "the closed connections to give their slots back", func() bool {
			return metric(t, sw, "softswitch_sip_tcp_connections") == 0
		})
	})

	t.Run("idle", func(t *testing.T) {
		before := metric(t, sw, "softswitch_sip_tcp_idle_closed_total")
		cases := []struct {
			name string
			send string
		}{
			{"nothing", ""},
			{"half a message", "OPTIONS sip:" + sw.SIPAddr + " SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKhalf\r\n"},
			{"a header section whose body never comes", limitsRequest(sw, "OPTIONS", "half-body", 100, "")},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c := limitsDial(t, sw, "127.0.0.1")
				start := time.Now()
				if tc.send != "" {
					if _, err := c.Write([]byte(tc.send)); err != nil {
						t.Fatal(err)
					}
				}
				if !limitsClosed(c, limitsIdleTimeout+4*time.Second) {
					t.Fatalf("still open %s after connecting; want it closed at sip.edge.tcp_idle_timeout (%s)", time.Since(start).Round(time.Millisecond), limitsIdleTimeout)
				}
				if d := time.Since(start); d < limitsIdleTimeout*9/10 {
					t.Errorf("closed after %s, before the idle timeout (%s)", d, limitsIdleTimeout)
				}
			})
		}
		if got := metric(t, sw, "softswitch_sip_tcp_idle_closed_total"); got < before+float64(len(cases)) {
			t.Errorf("softswitch_sip_tcp_idle_closed_total went from %v to %v, want +%d", before, got, len(cases))
		}
	})

	t.Run("oversize", func(t *testing.T) {
		big := strings.Repeat("x", limitsMaxMessage)
		cases := []struct {
			name, transport, msg string
			code                 int
		}{
			// RFC 3261 §21.4.11: the body is what is too large.
			{"UDP body", "udp", limitsRequest(sw, "OPTIONS", "big-udp-body", len(big), big), 413},
			// §21.5.9: the message is, header fields and all.
			{"UDP header fields", "udp", strings.Replace(limitsRequest(sw, "OPTIONS", "big-udp-head", 0, ""), "Max-Forwards", "X-Long: "+big+"\r\nMax-Forwards", 1), 513},
			{"TCP body", "tcp", limitsRequest(sw, "OPTIONS", "big-tcp-body", len(big), big), 413},
			{"TCP body announced", "tcp", limitsRequest(sw, "OPTIONS", "big-tcp-announced", 1<<20, ""), 413},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := labelledMetric(t, sw, `softswitch_sip_oversize_total{transport="`+tc.transport+`"}`)
				var got string
				if tc.transport == "udp" {
					got = limitsUDP(t, sw, tc.msg)
				} else {
					c := limitsDial(t, sw, "127.0.0.1")
					if _, err := c.Write([]byte(tc.msg)); err != nil {
						t.Fatal(err)
					}
					got = limitsRead(c, 3*time.Second)
					if !limitsClosed(c, 4*time.Second) {
						t.Errorf("the connection stayed open after an oversize message; the rest of it cannot be read")
					}
				}
				if want := "SIP/2.0 " + strconv.Itoa(tc.code) + " "; !strings.HasPrefix(got, want) {
					t.Fatalf("got %q, want %q...", firstLineOf(got), want)
				}
				if after := labelledMetric(t, sw, `softswitch_sip_oversize_total{transport="`+tc.transport+`"}`); after != before+1 {
					t.Errorf("softswitch_sip_oversize_total{transport=%q} went from %v to %v, want +1", tc.transport, before, after)
				}
			})
		}
	})

	t.Run("still serving", func(t *testing.T) {
		mustRegister(t, sw, "6000", "127.0.0.1:5999", 60)
		c := limitsDial(t, sw, "127.0.0.1")
		if code := limitsOptions(t, c); code != 200 {
			t.Fatalf("OPTIONS over TCP after the flood: %d, want 200", code)
		}
	})
}

// Descriptors exhausted: accepting fails with EMFILE. sipgo's accept loop
// returns on the first error, which stopped the switch; the edge backs off
// and goes on, and once descriptors are free again TCP is served.
func TestE2ETCPAcceptErrors(t *testing.T) {
	sw := itest.Start(t, itest.Options{})
	pid := sw.PID()
	var orig unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, nil, &orig); err != nil {
		t.Fatalf("read the switch's descriptor limit: %v", err)
	}
	fds, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	// A few descriptors to spare, then none.
	tight := unix.Rlimit{Cur: uint64(len(fds) + 8), Max: orig.Max}
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &tight, nil); err != nil {
		t.Fatalf("lower the switch's descriptor limit: %v", err)
	}
	var flood []net.Conn
	for range 40 {
		// The kernel completes the handshake from its backlog whether or
		// not the switch can accept.
		c, err := net.DialTimeout("tcp", sw.SIPAddr, 2*time.Second)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		flood = append(flood, c)
	}
	time.Sleep(2 * time.Second)
	if !sw.Running() {
		t.Fatalf("the switch stopped when it ran out of descriptors")
	}
	for _, c := range flood {
		c.Close()
	}
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &orig, nil); err != nil {
		t.Fatalf("restore the switch's descriptor limit: %v", err)
	}
	itest.Eventually(t, 10*time.Second, "OPTIONS over TCP answered again", func() bool {
		c, err := net.DialTimeout("tcp", sw.SIPAddr, time.Second)
		if err != nil {
			return false
		}
		defer c.Close()
		return limitsOptionsCode(c) == 200
	})
	if got := metric(t, sw, "softswitch_sip_tcp_accept_errors_total"); got < 1 {
		t.Errorf("softswitch_sip_tcp_accept_errors_total = %v, want >= 1", got)
	}
	if !sw.Running() {
		t.Fatalf("the switch is not running")
	}
}

// limitsDial connects to the switch's SIP port from the loopback address
// src (127.0.0.0/8 is all local, so each can be a source of its own).
func limitsDial(t *testing.T, sw *itest.Switch, src string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 2 * time.Second}
	c, err := d.Dial("tcp", sw.SIPAddr)
	if err != nil {
		t.Fatalf("dial from %s: %v", src, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// limitsRequest is a request with a body of bodyLen octets (body is sent
// as given: shorter when the test wants it never to arrive).
func limitsRequest(sw *itest.Switch, method, callID string, bodyLen int, body string) string {
	ct := ""
	if bodyLen > 0 {
		ct = "Content-Type: text/plain\r\n"
	}
	return method + " sip:" + sw.SIPAddr + " SIP/2.0\r\n" +
		"Via: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK" + callID + ";rport\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=" + randHex(4) + "\r\nTo: <sip:" + sw.SIPAddr + ">\r\n" +
		"Call-ID: " + callID + "-" + randHex(4) + "\r\nCSeq: 1 " + method + "\r\n" + ct +
		"Content-Length: " + strconv.Itoa(bodyLen) + "\r\n\r\n" + body
}

// limitsOptions sends an OPTIONS on c and returns the final answer's code.
func limitsOptions(t *testing.T, c net.Conn) int {
	t.Helper()
	code := limitsOptionsCode(c)
	if code == 0 {
		t.Fatalf("no answer to OPTIONS on %s", c.LocalAddr())
	}
	return code
}

func limitsOptionsCode(c net.Conn) int {
	msg := "OPTIONS sip:" + c.RemoteAddr().String() + " SIP/2.0\r\n" +
		"Via: SIP/2.0/TCP " + c.LocalAddr().String() + ";branch=z9hG4bK" + randHex(8) + "\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=" + randHex(4) + "\r\nTo: <sip:" + c.RemoteAddr().String() + ">\r\n" +
		"Call-ID: limits-" + randHex(8) + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	if _, err := c.Write([]byte(msg)); err != nil {
		return 0
	}
	return statusCode(limitsRead(c, 3*time.Second))
}

// limitsRead reads from c until a final response has come whole, or d
// passes or c closes; it returns what came.
func limitsRead(c net.Conn, d time.Duration) string {
	_ = c.SetReadDeadline(time.Now().Add(d))
	var got []byte
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if m, _, ok := tortureNextMessage(got); ok && statusCode(string(m)) >= 200 {
			return string(m)
		}
		if err != nil {
			return string(got)
		}
	}
}

// limitsClosed waits up to d for the switch to close c.
func limitsClosed(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			var ne net.Error
			return !(errors.As(err, &ne) && ne.Timeout())
		}
	}
}

// limitsUDP sends msg in one datagram and returns the first answer.
func limitsUDP(t *testing.T, sw *itest.Switch, msg string) string {
	t.Helper()
	u := newRawUA(t, sw)
	u.send(msg)
	_ = u.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 65536)
	n, _, err := u.conn.ReadFromUDP(buf)
	if err != nil {
		return ""
	}
	return string(buf[:n])
}

func firstLineOf(s string) string { l, _, _ := strings.Cut(s, "\r\n"); return l }

// labelledMetric is the value of the metric line whose name and labels
// are series, e.g. `x_total{transport="udp"}`; 0 when absent.
func labelledMetric(t *testing.T, sw *itest.Switch, series string) float64 {
	t.Helper()
	for _, l := range strings.Split(sw.Metrics(t), "\n") {
		if name, v, ok := strings.Cut(l, " "); ok && name == series {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", series, err)
			}
			return f
		}
	}
	return 0
}
