//go:build e2e

// RFC 4475's torture messages against the real binary, over UDP and TCP,
// inside a network namespace that has only loopback.
//
//	SOFTSWITCH_REQUIRE_SIPP=1 go test -tags e2e -count=1 -run 'TestE2ETortureCorpus' -v ./cmd/softswitch/
package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"softswitch/internal/itest"
)

// tortureAnswer is what a message must get on one transport: the final
// response's code (0: none at all), a text its reason phrase must hold,
// and, on TCP, whether the switch then closes the connection.
type tortureAnswer struct {
	code   int
	reason string
	closed bool
	// malformed: the message is broken, so softswitch_sip_malformed_total
	// must count it.
	malformed bool
}

// tortureCase is one message of the corpus (switching/testdata/rfc4475,
// RFC 4475 Appendix A as sipgo ships it) and what the switch must do with
// it. tcp, when set, differs from udp: a message framed by its datagram
// has no frame on a stream.
type tortureCase struct {
	file    string
	section string
	udp     tortureAnswer
	tcp     *tortureAnswer
	why     string
}

// Policy answers: the switch challenges INVITE with 407 and REGISTER with
// 401 before it serves them (RFC 3261 §22; authentication comes first,
// §8.2), serves OPTIONS itself (§11), and knows the methods of RFC 3261
// and of the SIP extensions IANA lists, serving INVITE, ACK, CANCEL, BYE,
// REGISTER, OPTIONS and UPDATE (405 with Allow for the others, §8.2.1).
var tortureCases = []tortureCase{
	// RFC 4475 §3.1.1: valid messages, to be processed as normal ones.
	{file: "valid/wsinv", section: "3.1.1.1", udp: tortureAnswer{code: 481},
		why: "a valid INVITE (folding, white space around every separator, compact forms): the edge unfolds it and takes the white space out (RFC 3261 §7.3.1, §25.1) so sipgo reads it right. Its To has a tag, which sipgo read as no tag before: a request inside a dialog the switch does not have, 481 (RFC 3261 §12.2.2)"},
	{file: "valid/intmeth", section: "3.1.1.2", udp: tortureAnswer{code: 501},
		why: "an unknown method, every token character in it: RFC 3261 §8.2.1, §21.5.2 Not Implemented"},
	{file: "valid/esc01", section: "3.1.1.3", udp: tortureAnswer{code: 407}, why: "valid %-escapes: a normal INVITE"},
	{file: "valid/escnull", section: "3.1.1.4", udp: tortureAnswer{code: 401}, why: "escaped NULs in URIs: a normal REGISTER"},
	{file: "valid/esc02", section: "3.1.1.5", udp: tortureAnswer{code: 501},
		why: "the method is RE%47IST%45R, not REGISTER (% is a token character, not an escape, there): unknown, 501"},
	{file: "valid/lwsdisp", section: "3.1.1.6", udp: tortureAnswer{code: 200}, why: "no LWS between display name and <: a normal OPTIONS"},
	{file: "valid/longreq", section: "3.1.1.7", udp: tortureAnswer{code: 407}, why: "long values: a normal INVITE"},
	{file: "valid/dblreq", section: "3.1.1.8", udp: tortureAnswer{code: 401},
		tcp: &tortureAnswer{code: 401, closed: true},
		why: "the REGISTER is answered; the INVITE after its Content-Length is noise in a datagram (RFC 3261 §18.3). On TCP it is the next message (its own 407), and the 5 octets its Content-Length leaves over are a message without Content-Length: the connection is closed"},
	{file: "valid/semiuri", section: "3.1.1.9", udp: tortureAnswer{code: 200}, why: "; in the user part: a normal OPTIONS"},
	{file: "valid/transports", section: "3.1.1.10", udp: tortureAnswer{code: 200}, why: "unknown transports in lower Vias: a normal OPTIONS"},
	{file: "valid/mpart01", section: "3.1.1.11", udp: tortureAnswer{code: 405},
		why: "a multipart MESSAGE (RFC 3428): a known method the switch does not serve, 405 with Allow"},
	{file: "valid/unreason", section: "3.1.1.12", udp: tortureAnswer{},
		why: "a response matching no transaction: dropped (RFC 3261 §18.1.2), never answered"},
	{file: "valid/noreason", section: "3.1.1.13", udp: tortureAnswer{}, why: "a response with an empty reason phrase matching no transaction: dropped"},

	// §3.1.2: invalid messages.
	{file: "invalid/badinv01", section: "3.1.2.1", udp: tortureAnswer{code: 400, reason: "Via", malformed: true},
		why: "extraneous separators in Via and Contact: 400 naming the field"},
	{file: "invalid/clerr", section: "3.1.2.2", udp: tortureAnswer{code: 400, reason: "Content-Length", malformed: true},
		tcp: &tortureAnswer{closed: true},
		why: "Content-Length larger than the datagram: 400 (RFC 3261 §18.3). On a stream the rest may still come: the switch waits, then closes the connection at sip.edge.tcp_idle_timeout"},
	{file: "invalid/ncl", section: "3.1.2.3", udp: tortureAnswer{code: 400, reason: "Content-Length", malformed: true},
		tcp: &tortureAnswer{code: 400, reason: "Content-Length", closed: true, malformed: true},
		why: "negative Content-Length: 400; on TCP the framing is lost, so the connection is closed"},
	{file: "invalid/scalar02", section: "3.1.2.4", udp: tortureAnswer{code: 400, reason: "CSeq", malformed: true},
		why: "CSeq over 2**31-1 (and Max-Forwards, Expires too large): 400 for the CSeq"},
	{file: "invalid/scalarlg", section: "3.1.2.5", udp: tortureAnswer{malformed: true},
		why: "a response with out-of-range values: dropped"},
	{file: "invalid/quotbal", section: "3.1.2.6", udp: tortureAnswer{code: 400, reason: "To", malformed: true},
		why: "an unterminated quoted string in To: 400 naming To"},
	{file: "invalid/ltgtruri", section: "3.1.2.7", udp: tortureAnswer{code: 400, reason: "Request-URI", malformed: true},
		why: "the Request-URI in <>: 400"},
	{file: "invalid/lwsruri", section: "3.1.2.8", udp: tortureAnswer{code: 400, reason: "Request-", malformed: true},
		why: "white space inside the Request-URI: 400"},
	{file: "invalid/lwsstart", section: "3.1.2.9", udp: tortureAnswer{code: 400, reason: "Request-Line", malformed: true},
		why: "several SPs between Request-Line elements: rejected as malformed (the RFC allows it; the liberal choice must then not forward them)"},
	{file: "invalid/trws", section: "3.1.2.10", udp: tortureAnswer{code: 400, reason: "trailing white space", malformed: true},
		why: "SPs after the SIP-Version: rejected as malformed, as the RFC allows"},
	{file: "invalid/escruri", section: "3.1.2.11", udp: tortureAnswer{code: 400, reason: "Request-URI", malformed: true},
		why: "escaped headers in the Request-URI (RFC 3261 §19.1.1 forbids them there): 400, the RFC's \"reasonable\" answer"},
	{file: "invalid/baddate", section: "3.1.2.12", udp: tortureAnswer{code: 407},
		why: "a Date in EST: the switch reads no Date, so it is the liberal element the RFC allows; the INVITE is challenged"},
	{file: "invalid/regbadct", section: "3.1.2.13", udp: tortureAnswer{code: 401},
		why: "a Contact URI with an escaped header outside <>: a registrar authenticates (RFC 3261 §10.3 step 3) before it reads Contact (step 6), so the first answer is the challenge"},
	{file: "invalid/badaspec", section: "3.1.2.14", udp: tortureAnswer{code: 400, reason: "To", malformed: true},
		why: "spaces inside <> in To: 400"},
	{file: "invalid/baddn", section: "3.1.2.15", udp: tortureAnswer{code: 400, reason: "From", malformed: true},
		tcp: &tortureAnswer{closed: true},
		why: "unquoted display names with non-token characters: 400, naming the first (From). sipgo's copy lost the empty line after the header fields: a datagram ends anyway, but on a stream the header section never ends, and the connection is closed at the idle timeout"},
	{file: "invalid/badvers", section: "3.1.2.16", udp: tortureAnswer{code: 505},
		why: "SIP/7.0: 505 Version Not Supported, itself SIP/2.0 (RFC 3261 §21.5.6)"},
	{file: "invalid/mismatch01", section: "3.1.2.17", udp: tortureAnswer{code: 400, reason: "CSeq", malformed: true},
		why: "OPTIONS with CSeq INVITE: 400 (RFC 3261 §8.1.1.5)"},
	{file: "invalid/mismatch02", section: "3.1.2.18", udp: tortureAnswer{code: 501},
		why: "an unknown method with another in CSeq: 501, which the RFC prefers to 400"},
	{file: "invalid/bigcode", section: "3.1.2.19", udp: tortureAnswer{malformed: true},
		why: "a response code over 699: dropped"},

	// §3.2, §3.3, §3.4: transaction and application semantics.
	{file: "invalid/badbranch", section: "3.2.1", udp: tortureAnswer{code: 200},
		why: "branch z9hG4bK with nothing after it: sipgo falls back to RFC 2543 matching (From tag, Call-ID, CSeq), one of the RFC's two choices; a normal OPTIONS"},
	{file: "invalid/insuf", section: "3.3.1", udp: tortureAnswer{code: 400, reason: "Missing", malformed: true},
		why: "no Call-ID, From or To: 400 (RFC 3261 §8.1.1)"},
	{file: "invalid/unkscm", section: "3.3.2", udp: tortureAnswer{code: 416},
		why: "an unknown Request-URI scheme: 416 (RFC 3261 §8.2.2.1)"},
	{file: "invalid/novelsc", section: "3.3.3", udp: tortureAnswer{code: 416},
		why: "soap.beep: a scheme the switch never serves, so 416, as the RFC says"},
	{file: "invalid/unksm2", section: "3.3.4", udp: tortureAnswer{code: 400, reason: "To"},
		why: "a REGISTER whose To (the address of record) is isbn: a registrar answers 400, a To must be SIP or SIPS (RFC 3261 §10.2)"},
	{file: "invalid/bext01", section: "3.3.5", udp: tortureAnswer{code: 420},
		why: "Require of unknown extensions: 420 Bad Extension listing them in Unsupported (RFC 3261 §8.2.2.3); Proxy-Require is for proxies"},
	{file: "invalid/invut", section: "3.3.6", udp: tortureAnswer{code: 415},
		why: "a body of unknown type: the B2BUA is the endpoint of the A-leg, and answers 415 with Accept (RFC 3261 §8.2.3)"},
	{file: "invalid/regaut01", section: "3.3.7", udp: tortureAnswer{code: 401},
		why: "Authorization of an unknown scheme: a registrar that authenticates issues a challenge of its own, 401"},
	{file: "invalid/multi01", section: "3.3.8", udp: tortureAnswer{code: 400, reason: "Multiple", malformed: true},
		why: "Call-ID, To, From, Max-Forwards and CSeq each twice: 400 (RFC 3261 §7.3)"},
	{file: "invalid/mcl01", section: "3.3.9", udp: tortureAnswer{code: 400, reason: "Content-Length", malformed: true},
		tcp: &tortureAnswer{code: 400, reason: "Content-Length", closed: true, malformed: true},
		why: "two Content-Length values: no frame; 400, and on TCP the connection is closed"},
	{file: "invalid/bcast", section: "3.3.10", udp: tortureAnswer{},
		why: "a 200 whose second Via is 255.255.255.255: a response matching no transaction, dropped, never forwarded"},
	{file: "invalid/zeromf", section: "3.3.11", udp: tortureAnswer{code: 200},
		why: "Max-Forwards 0 on an OPTIONS to the switch: the switch is the endpoint and serves it (a proxy would answer 483)"},
	{file: "invalid/cparam01", section: "3.3.12", udp: tortureAnswer{code: 401}, why: "a Contact parameter: a normal REGISTER"},
	{file: "invalid/cparam02", section: "3.3.13", udp: tortureAnswer{code: 401}, why: "a URI parameter in Contact: a normal REGISTER"},
	{file: "invalid/regescrt", section: "3.3.14", udp: tortureAnswer{code: 401}, why: "an escaped header in a Contact in <>: a normal REGISTER"},
	{file: "invalid/sdp01", section: "3.3.15", udp: tortureAnswer{code: 406},
		why: "Accept without SDP on an INVITE, whose answer is SDP: 406 Not Acceptable (RFC 3261 §21.4.7)"},
	{file: "invalid/inv2543", section: "3.4.1", udp: tortureAnswer{code: 407},
		tcp: &tortureAnswer{code: 400, reason: "Content-Length", closed: true, malformed: true},
		why: "RFC 2543 syntax (no branch, no From tag, no Max-Forwards, no Content-Length): taken as RFC 3261 §8.2 and §17.2.3 say, and challenged. On a stream a message without Content-Length has no end (§18.3): 400, closed"},
	{file: "invalid/test", section: "-", udp: tortureAnswer{malformed: true},
		why: "sipgo's own: a Request-Line without SIP-Version and no Via to answer to: dropped and counted"},
}

// tortureTimings: how long an answer may take, and how long silence must
// last for "no answer".
const (
	tortureAnswerWait  = 3 * time.Second
	tortureSilenceWait = 600 * time.Millisecond
	tortureIdleTimeout = 2 * time.Second
)

// Every message of the corpus, over UDP and over TCP, gets what the table
// says, the broken ones are counted, and the switch still serves a normal
// OPTIONS afterwards. It runs in a network namespace with only loopback:
// answers go where the message's Via says (RFC 3261 §18.2.2), and the
// messages name outside hosts.
func TestE2ETortureCorpus(t *testing.T) {
	if !itest.Isolated(t) {
		return
	}
	root, err := itest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "switching", "testdata", "rfc4475")
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.dat"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(tortureCases) {
		t.Fatalf("the corpus has %d messages and the table %d: every message needs its expected answer", len(files), len(tortureCases))
	}
	// Each transport gets switches of its own: a server transaction
	// outlives its answer (Timer J, 32s over UDP; an INVITE's waits for
	// its ACK, RFC 3261 §17.2), and its key is Via branch, sent-by and
	// method, not the transport. For the same reason messages that share a
	// key (RFC 4475's reuse branches such as z9hG4bKkdjuw) go to different
	// switches: to one element they would be retransmissions of each
	// other (§17.2.3), answered once.
	opts := itest.Options{SIPYAML: fmt.Sprintf("edge:\n  tcp_idle_timeout: %s\n  error_answers_per_second: 1000\n", tortureIdleTimeout)}
	groups := tortureGroups(t, dir)
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			for _, group := range groups {
				sw := itest.Start(t, opts)
				for _, tc := range group {
					t.Run(strings.ReplaceAll(tc.file, "/", "-"), func(t *testing.T) {
						msg, err := os.ReadFile(filepath.Join(dir, tc.file+".dat"))
						if err != nil {
							t.Fatal(err)
						}
						want := tc.udp
						if transport == "tcp" && tc.tcp != nil {
							want = *tc.tcp
						}
						// Wait long enough for the answer the case expects; for
						// none, long enough to call it silence; for a close,
						// past the idle timeout.
						wait := tortureSilenceWait
						if want.code != 0 {
							wait = tortureAnswerWait
						}
						if transport == "tcp" && want.closed && want.code == 0 {
							wait = tortureIdleTimeout + 3*time.Second
						}
						before := metric(t, sw, "softswitch_sip_malformed_total")
						var got tortureOutcome
						if transport == "udp" {
							got = tortureUDP(t, sw, msg, wait)
						} else {
							got = tortureTCP(t, sw, msg, wait, want.closed)
						}
						t.Logf("RFC 4475 §%s: %s", tc.section, got)
						checkTorture(t, tc, want, got)
						if want.malformed {
							itest.Eventually(t, 2*time.Second, "softswitch_sip_malformed_total to count "+tc.file, func() bool {
								return metric(t, sw, "softswitch_sip_malformed_total") > before
							})
						}
					})
				}
				for _, tr := range []string{"udp", "tcp"} {
					if got := tortureOptions(t, sw, tr); got.code != 200 {
						t.Errorf("a normal OPTIONS over %s after the corpus: %s, want 200", tr, got)
					}
				}
			}
		})
	}
}

// tortureGroups splits the table so that no two requests in a group share
// a server transaction key (RFC 3261 §17.2.3: top Via branch with the
// magic cookie, sent-by, CSeq method with ACK as INVITE).
func tortureGroups(t *testing.T, dir string) [][]tortureCase {
	t.Helper()
	var (
		groups [][]tortureCase
		keys   []map[string]bool
	)
	for _, tc := range tortureCases {
		msg, err := os.ReadFile(filepath.Join(dir, tc.file+".dat"))
		if err != nil {
			t.Fatal(err)
		}
		key := tortureTxKey(msg)
		g := 0
		for g < len(groups) && key != "" && keys[g][key] {
			g++
		}
		if g == len(groups) {
			groups, keys = append(groups, nil), append(keys, map[string]bool{})
		}
		groups[g] = append(groups[g], tc)
		if key != "" {
			keys[g][key] = true
		}
	}
	return groups
}

// tortureTxKey is the RFC 3261 server transaction key of a request, ""
// for a response or a request without an RFC 3261 branch (whose key holds
// its Call-ID, unique in the corpus).
func tortureTxKey(msg []byte) string {
	if bytes.HasPrefix(msg, []byte("SIP/")) {
		return ""
	}
	top, _, _ := strings.Cut(tortureHeader(msg, "Via", "v"), ",")
	params := strings.Split(top, ";")
	sentBy := strings.Fields(params[0])
	branch := ""
	for _, p := range params[1:] {
		if k, v, ok := strings.Cut(p, "="); ok && strings.EqualFold(strings.TrimSpace(k), "branch") {
			branch = strings.TrimSpace(v)
		}
	}
	if len(sentBy) == 0 || len(branch) <= len("z9hG4bK") || !strings.HasPrefix(branch, "z9hG4bK") {
		return ""
	}
	method := strings.Fields(tortureHeader(msg, "CSeq"))
	m := ""
	if len(method) == 2 {
		m = method[1]
	}
	if m == "ACK" {
		m = "INVITE"
	}
	return branch + "|" + strings.ToLower(sentBy[len(sentBy)-1]) + "|" + m
}

// tortureOutcome is what came back for one message.
type tortureOutcome struct {
	answer []byte // the final response, nil if none
	code   int
	reason string
	closed bool // TCP: the switch closed the connection
}

func (o tortureOutcome) String() string {
	s := "no answer"
	if o.answer != nil {
		s = fmt.Sprintf("%d %s", o.code, o.reason)
	}
	if o.closed {
		s += ", connection closed"
	}
	return s
}

func checkTorture(t *testing.T, tc tortureCase, want tortureAnswer, got tortureOutcome) {
	t.Helper()
	if got.code != want.code {
		t.Fatalf("got %s, want %d (RFC 4475 §%s: %s)\nanswer:\n%s", got, want.code, tc.section, tc.why, got.answer)
	}
	if got.answer == nil {
		if got.closed != want.closed {
			t.Fatalf("got %s, want closed=%v (%s)", got, want.closed, tc.why)
		}
		return
	}
	if !bytes.HasPrefix(got.answer, []byte("SIP/2.0 ")) {
		t.Errorf("the answer is not SIP/2.0 (RFC 3261 §7.2):\n%s", got.answer)
	}
	if want.reason != "" && !strings.Contains(got.reason, want.reason) {
		t.Errorf("reason phrase %q does not name %q (RFC 3261 §21.4.1: it should say what was wrong)", got.reason, want.reason)
	}
	if got.closed != want.closed {
		t.Errorf("got %s, want closed=%v (%s)", got, want.closed, tc.why)
	}
	switch got.code {
	case 420:
		// RFC 3261 §8.2.2.3: the unsupported option tags, in Unsupported.
		if u := tortureHeader(got.answer, "Unsupported"); !strings.Contains(u, "nothingSupportsThis") || !strings.Contains(u, "nothingSupportsThisEither") {
			t.Errorf("420 without the option tags in Unsupported (%q):\n%s", u, got.answer)
		}
	case 415, 406:
		if a := tortureHeader(got.answer, "Accept"); !strings.Contains(a, "application/sdp") {
			t.Errorf("%d without Accept: application/sdp:\n%s", got.code, got.answer)
		}
	}
	if bytes.Contains(got.answer, []byte("rfc2543")) {
		t.Errorf("the answer's Via is not the request's (RFC 3261 §8.2.6.2): it carries the branch the edge added\n%s", got.answer)
	}
}

// tortureKey is what identifies the answer to msg: its Call-ID, or the
// top Via's branch when it has none.
func tortureKey(msg []byte) []byte {
	if v := tortureHeader(msg, "Call-ID", "i"); v != "" {
		return []byte(v)
	}
	via := tortureHeader(msg, "Via", "v")
	if _, b, ok := strings.Cut(via, "branch="); ok {
		b, _, _ = strings.Cut(b, ";")
		b, _, _ = strings.Cut(b, ",")
		return []byte(strings.TrimSpace(b))
	}
	return []byte(strings.SplitN(string(msg), "\r\n", 2)[0])
}

// tortureHeader is the unfolded value of the first header field named
// one of names (case-insensitive) in msg's header section, or "".
func tortureHeader(msg []byte, names ...string) string {
	head, _, _ := bytes.Cut(msg, []byte("\r\n\r\n"))
	lines := strings.Split(string(head), "\r\n")
	for i := 1; i < len(lines); i++ {
		k, v, ok := strings.Cut(lines[i], ":")
		if !ok {
			continue
		}
		for _, n := range names {
			if strings.EqualFold(strings.TrimSpace(k), n) {
				for i+1 < len(lines) && (strings.HasPrefix(lines[i+1], " ") || strings.HasPrefix(lines[i+1], "\t")) {
					i++
					v += " " + strings.TrimSpace(lines[i])
				}
				return strings.TrimSpace(v)
			}
		}
	}
	return ""
}

// tortureReplyPort is where the switch answers msg over UDP (RFC 3261
// §18.2.2, RFC 3581): the source address at the top Via's port, 5060 when
// it names none; 0 (any port) when the Via asks for rport, since the
// answer then goes back to the source port.
func tortureReplyPort(msg []byte) int {
	via := tortureHeader(msg, "Via", "v")
	top, _, _ := strings.Cut(via, ",")
	if strings.Contains(top, ";rport") {
		return 0
	}
	sentBy, _, _ := strings.Cut(top, ";")
	f := strings.Fields(sentBy)
	if len(f) == 0 {
		return 5060
	}
	host := f[len(f)-1]
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		if p, err := strconv.Atoi(host[i+1:]); err == nil {
			return p
		}
	}
	return 5060
}

// tortureUDP sends msg from 127.0.0.1 at the port its Via names and reads
// what comes back for it within wait. The socket is this message's alone:
// the cases run one at a time, and answers are matched on their Call-ID.
func tortureUDP(t *testing.T, sw *itest.Switch, msg []byte, wait time.Duration) tortureOutcome {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: tortureReplyPort(msg)})
	if err != nil {
		t.Fatalf("bind the port the Via names: %v", err)
	}
	defer conn.Close()
	dst, err := net.ResolveUDPAddr("udp4", sw.SIPAddr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.WriteToUDP(msg, dst); err != nil {
		t.Fatalf("send: %v", err)
	}
	key := tortureKey(msg)
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 65536)
	for {
		n, _, err := conn.ReadFromUDP(buf)
		if err != nil {
			return tortureOutcome{}
		}
		if o, ok := tortureFinal(buf[:n], key); ok {
			return o
		}
	}
}

// tortureFinal reads a final response to the message whose key is key.
func tortureFinal(resp, key []byte) (tortureOutcome, bool) {
	if !bytes.Contains(resp, key) {
		return tortureOutcome{}, false
	}
	line, _, _ := bytes.Cut(resp, []byte("\r\n"))
	f := strings.SplitN(string(line), " ", 3)
	if len(f) < 2 {
		return tortureOutcome{}, false
	}
	code, err := strconv.Atoi(f[1])
	if err != nil || code < 200 {
		return tortureOutcome{}, false
	}
	reason := ""
	if len(f) == 3 {
		reason = f[2]
	}
	return tortureOutcome{answer: append([]byte(nil), resp...), code: code, reason: reason}, true
}

// tortureTCP sends msg on a connection of its own and reads the answers
// for wait, or until the switch closes the connection. Once answered (or
// wait has passed), it checks whether the connection is still open.
func tortureTCP(t *testing.T, sw *itest.Switch, msg []byte, wait time.Duration, wantClosed bool) tortureOutcome {
	t.Helper()
	conn, err := net.DialTimeout("tcp", sw.SIPAddr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	if _, err := conn.Write(msg); err != nil {
		t.Fatalf("send: %v", err)
	}
	key := tortureKey(msg)
	var (
		out    tortureOutcome
		stream []byte
		buf    = make([]byte, 65536)
	)
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	for {
		n, err := conn.Read(buf)
		stream = append(stream, buf[:n]...)
		for {
			m, rest, ok := tortureNextMessage(stream)
			if !ok {
				break
			}
			stream = rest
			if o, ok := tortureFinal(m, key); ok && out.answer == nil {
				out = o
			}
		}
		var ne net.Error
		switch {
		case err != nil && errors.As(err, &ne) && ne.Timeout():
			return out
		case err != nil:
			out.closed = true
			return out
		case out.answer != nil:
			// Answered: closed, or open? The switch closes a connection a
			// second after it ends it (edgeLinger), so that answers to
			// earlier messages still get out.
			linger := 200 * time.Millisecond
			if wantClosed {
				linger = 3 * time.Second
			}
			_ = conn.SetReadDeadline(time.Now().Add(linger))
			for {
				if _, err := conn.Read(buf); err != nil {
					out.closed = !(errors.As(err, &ne) && ne.Timeout())
					return out
				}
			}
		}
	}
}

// tortureNextMessage cuts the first whole message (by Content-Length) off
// a TCP stream.
func tortureNextMessage(b []byte) (msg, rest []byte, ok bool) {
	for bytes.HasPrefix(b, []byte("\r\n")) {
		b = b[2:]
	}
	i := bytes.Index(b, []byte("\r\n\r\n"))
	if i < 0 {
		return nil, b, false
	}
	n, _ := strconv.Atoi(tortureHeader(b[:i+4], "Content-Length", "l"))
	if len(b) < i+4+n {
		return nil, b, false
	}
	return b[:i+4+n], b[i+4+n:], true
}

// tortureOptions sends a well-formed OPTIONS and returns the answer.
func tortureOptions(t *testing.T, sw *itest.Switch, transport string) tortureOutcome {
	t.Helper()
	callID := "alive-" + transport + "-" + randHex(6)
	build := func(local string) []byte {
		return []byte("OPTIONS sip:" + sw.SIPAddr + " SIP/2.0\r\n" +
			"Via: SIP/2.0/" + strings.ToUpper(transport) + " " + local + ";branch=z9hG4bK" + randHex(8) + ";rport\r\n" +
			"Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=" + randHex(4) + "\r\nTo: <sip:" + sw.SIPAddr + ">\r\n" +
			"Call-ID: " + callID + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
	}
	if transport == "udp" {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		dst, _ := net.ResolveUDPAddr("udp4", sw.SIPAddr)
		if _, err := conn.WriteToUDP(build(conn.LocalAddr().String()), dst); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 65536)
		_ = conn.SetReadDeadline(time.Now().Add(tortureAnswerWait))
		for {
			n, _, err := conn.ReadFromUDP(buf)
			if err != nil {
				return tortureOutcome{}
			}
			if o, ok := tortureFinal(buf[:n], []byte(callID)); ok {
				return o
			}
		}
	}
	conn, err := net.DialTimeout("tcp", sw.SIPAddr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	if _, err := conn.Write(build(conn.LocalAddr().String())); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(tortureAnswerWait))
	var stream []byte
	buf := make([]byte, 65536)
	for {
		n, err := conn.Read(buf)
		stream = append(stream, buf[:n]...)
		for {
			m, rest, ok := tortureNextMessage(stream)
			if !ok {
				break
			}
			stream = rest
			if o, ok := tortureFinal(m, []byte(callID)); ok {
				return o
			}
		}
		if err != nil {
			return tortureOutcome{closed: true}
		}
	}
}
