package switching_test

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tortureMessage loads testdata/torture/name.sip and makes it sendable.
// The files are stored with LF line ends for readability; RFC 3261 §7
// requires CRLF, so every LF becomes CRLF. "Content-Length: AUTO" is
// replaced by the body's real length (after CRLF conversion, which
// changes it), and LONGVALUE by a 1,000-byte token, to exercise long
// header values (RFC 4475 §3.1.1.2 "longreq") without a 10 KB fixture.
func tortureMessage(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "torture", name+".sip"))
	if err != nil {
		t.Fatal(err)
	}
	msg := bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n"))
	msg = bytes.ReplaceAll(msg, []byte("LONGVALUE"), bytes.Repeat([]byte("x"), 1000))
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		bodyLen := len(msg) - (i + 4)
		msg = autoLength.ReplaceAll(msg, []byte("${1}"+strconv.Itoa(bodyLen)))
	}
	return msg
}

var autoLength = regexp.MustCompile(`(?im)^((?:content-length|l)[ \t]*:[ \t]*)AUTO`)

// TestTorture sends RFC 4475-style torture messages over UDP, one client
// socket each, to an in-process switch, checks each answer, then that the
// switch still answers OPTIONS. The RFC's own corpus runs against the real
// binary in cmd/softswitch/e2e_torture_test.go; these are smaller,
// rewritten to loopback, and quick.
func TestTorture(t *testing.T) {
	sw := startSwitch(t, noBan)
	cases := []struct {
		name string // file under testdata/torture, without .sip
		// code is the final response the message must get, 0 for none.
		code int
		// malformed: the message is broken and must be counted in the
		// malformed metric, answered or not (RFC 3261 §18.3 lets a
		// receiver drop what it cannot frame; an operator must still see
		// it).
		malformed bool
	}{
		// RFC 4475 §3.1.1.1 "wsinv": LWS everywhere, line folding, mixed
		// case and compact header names, escaped quotes, unknown headers.
		// Its To has a tag: an in-dialog request matching no dialog gets
		// 481 (RFC 3261 §12.2.2).
		{name: "valid-wsinv", code: 481},
		// §3.1.1.2 "intmeth": an extension method of every token
		// character, unknown: 501 (RFC 3261 §8.2.1, §21.5.2).
		{name: "valid-intmeth", code: 501},
		// §3.1.1.3 "esc01": %-escapes in the Request-URI, To and Contact;
		// an INVITE is challenged (RFC 3261 §22.3).
		{name: "valid-esc01", code: 407},
		// §3.1.1.6 "lwsdisp": no LWS between display name and "<".
		{name: "valid-lwsdisp", code: 200},
		// §3.1.1.9 "semiuri": ";" in the Request-URI user part, and a
		// header folded over three lines.
		{name: "valid-semiuri", code: 200},
		// §3.3.4 "unksm2": unknown URI schemes in To/From/Contact do not
		// stop an OPTIONS whose Request-URI is SIP.
		{name: "valid-unkscm-header", code: 200},
		// §3.3.14 "regescrt": an escaped header in a REGISTER Contact.
		{name: "valid-regescrt", code: 401},
		// §3.1.1.7 "longreq" in spirit: 1,000-byte values in the URI, Via
		// parameter, tags, Call-ID and an extension header.
		{name: "valid-longvalues", code: 200},
		// RFC 3261 §15.1.2: a BYE matching no dialog gets 481.
		{name: "valid-bye-nodialog", code: 481},

		// §3.1.2.2 "clerr": Content-Length larger than the datagram.
		{name: "invalid-clerr", code: 400, malformed: true},
		// §3.1.2.3 "ncl": negative Content-Length.
		{name: "invalid-ncl", code: 400, malformed: true},
		// RFC 3261 §8.1.1: Call-ID is mandatory (§3.3.1 "insuf").
		{name: "invalid-nocallid", code: 400, malformed: true},
		// RFC 3261 §8.1.1.5: CSeq is a 32-bit unsigned integer.
		{name: "invalid-negcseq", code: 400, malformed: true},
		// §3.1.2.4 "scalar02": CSeq, Max-Forwards and Expires overflow.
		{name: "invalid-scalarlg", code: 400, malformed: true},
		// §3.1.2.6 "quotbal": an unterminated quoted display name.
		{name: "invalid-quotbal", code: 400, malformed: true},
		// RFC 3261 §8.2.2.1: "http:" is not a scheme the switch serves.
		{name: "invalid-badscheme", code: 416},
		// §3.1.2.7 "ltgtruri": the Request-URI enclosed in <>.
		{name: "invalid-ltgtruri", code: 400, malformed: true},
		// RFC 3261 §8.1.1.7: Via is mandatory; sipgo answers 400 to the
		// source address, as there is no Via to follow.
		{name: "invalid-novia", code: 400, malformed: true},
		// §3.1.2.17 "mismatch01": CSeq method differs from the method.
		{name: "invalid-mismatch", code: 400, malformed: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn := dialUDP(t, sw.addr)
			port := conn.LocalAddr().(*net.UDPAddr).Port
			// Rewrite every Via sent-by and Contact host to 127.0.0.1
			// before sending. The RFC 4475 originals name outside hosts
			// (example.com, 192.0.2.x): responses follow the top Via
			// (RFC 3261 §18.2.2) and the B2BUA may send to a Contact, so
			// unrewritten they would leave the machine, or wait on DNS,
			// and the test would never see them. See toLoopback.
			msg := toLoopback(tortureMessage(t, tc.name), port)
			before := sw.metrics.MalformedCount()
			if _, err := conn.Write(msg); err != nil {
				t.Fatalf("send: %v", err)
			}
			wait := 2 * time.Second
			if tc.code == 0 {
				wait = 500 * time.Millisecond
			}
			code, got := firstFinal(conn, wait)
			t.Logf("answer: code=%d got=%v malformed=%d->%d", code, got, before, sw.metrics.MalformedCount())
			if code != tc.code {
				t.Fatalf("got %d (answered: %v), want %d\n%s", code, got, tc.code, msg)
			}
			// The counter is bumped before the answer leaves (or, for a
			// drop, from sipgo's log call); poll briefly anyway, bounded.
			if tc.malformed && !waitFor(time.Second, func() bool { return sw.metrics.MalformedCount() > before }) {
				t.Fatalf("malformed counter stayed at %d\n%s", before, msg)
			}
		})
	}
	probe := dialUDP(t, sw.addr)
	if err := checkAlive(probe, sw.addr, &probeCounter{}); err != nil {
		t.Fatalf("switch not answering after torture: %v", err)
	}
}

// firstFinal reads from conn until a final response (RFC 3261 §7.2:
// 200–699) arrives or d passes, skipping provisional ones such as 100
// Trying (§17.2.1). It reports the code and whether one came.
func firstFinal(conn *net.UDPConn, d time.Duration) (int, bool) {
	const maxRead = 32
	buf := make([]byte, 65535)
	_ = conn.SetReadDeadline(time.Now().Add(d))
	for range maxRead {
		n, err := conn.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return 0, false
			}
			if strings.Contains(err.Error(), "refused") {
				return 0, false
			}
			return 0, false
		}
		if code, ok := statusCode(buf[:n]); ok && code >= 200 {
			return code, true
		}
	}
	return 0, false
}

// waitFor polls cond every 10ms for at most d.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}
