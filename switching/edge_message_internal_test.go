package switching

import (
	"bytes"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// testEdge is an edge with the defaults and no guard, logging nowhere.
func testEdge(t testing.TB, cfg EdgeConfig) *edge {
	t.Helper()
	e := newEdge(cfg, nil, &Metrics{}, slog.New(slog.DiscardHandler))
	e.linger = 0
	return e
}

// crlf turns the test's "\n" line ends into SIP's CRLF (RFC 3261 §7).
func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

// datagramResult is what the edge did with one datagram.
type datagramResult struct {
	out    []byte // passed on to sipgo, nil if not
	answer []byte // the answer sent, nil if none
	to     netip.AddrPort
}

func runDatagram(t testing.TB, e *edge, msg []byte, src netip.AddrPort) datagramResult {
	t.Helper()
	var st edgeMsg
	var r datagramResult
	out, ok := e.datagram(&st, msg, src, func(b []byte, to netip.AddrPort) {
		r.answer, r.to = append([]byte(nil), b...), to
	})
	if ok {
		r.out = append([]byte(nil), out...)
	}
	return r
}

var testSrc = netip.MustParseAddrPort("192.0.2.7:40000")

const optionsHead = "OPTIONS sip:6000@127.0.0.1 SIP/2.0\n" +
	"Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bKtest1\n" +
	"Max-Forwards: 70\n" +
	"From: <sip:a@example.com>;tag=1\n" +
	"To: <sip:6000@127.0.0.1>\n" +
	"Call-ID: c1\n" +
	"CSeq: 1 OPTIONS\n"

// TestEdgeDatagram: what the edge passes on to sipgo (and in what form),
// and what it answers instead, one datagram at a time.
func TestEdgeDatagram(t *testing.T) {
	cases := []struct {
		name string
		msg  string
		// pass: the datagram goes on to sipgo; contains are substrings
		// of what goes on, lacks what must not be in it.
		pass            bool
		contains, lacks []string
		// code and reason of the answer, when not passed on; code 0:
		// dropped without an answer.
		code   int
		reason string
	}{
		{name: "a plain OPTIONS goes through as it is", msg: optionsHead + "Content-Length: 0\n\n", pass: true,
			contains: []string{string(crlf(optionsHead))}},
		{name: "folded header lines are unfolded (RFC 3261 §7.3.1)",
			msg:  strings.Replace(optionsHead, "Call-ID: c1\n", "Call-ID:\n c1\n", 1) + "Subject: one\n  two\n\tthree\nContent-Length: 0\n\n",
			pass: true, contains: []string{"Call-ID: c1\r\n", "Subject: one two three\r\n"}},
		{name: "white space around separators goes (RFC 4475 §3.1.1.1 wsinv)",
			msg: "INVITE sip:6000@127.0.0.1 SIP/2.0\n" +
				"TO :\n sip:6000@127.0.0.1 ;   tag    = 1918181833n\n" +
				"from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\n  ;\n  tag = 98asjd8\n" +
				"MaX-fOrWaRdS: 0068\nCall-ID: wsinv\ncseq: 0009\n  INVITE\n" +
				"Via  : SIP  /   2.0\n /UDP\n    192.0.2.2;branch=390skdjuw\n" +
				"v:  SIP  / 2.0  / TCP     spindle.example.com   ;\n  branch  =   z9hG4bK9ikj8  ,\n SIP  /    2.0   / UDP  192.168.255.111   ; branch=\n z9hG4bK30239\n" +
				"m:\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\n      newvalue ;\n  secondparam ; q = 0.33\n" +
				"Content-Length: 0\n\n",
			pass: true,
			contains: []string{
				"TO: sip:6000@127.0.0.1;tag=1918181833n\r\n",
				"from: \"J Rosenberg \\\\\\\"\" <sip:jdrosen@example.com>;tag=98asjd8\r\n",
				"cseq: 0009 INVITE\r\n",
				"Via: SIP/2.0/UDP 192.0.2.2;branch=390skdjuw\r\n",
				"v: SIP/2.0/TCP spindle.example.com;branch=z9hG4bK9ikj8,SIP/2.0/UDP 192.168.255.111;branch=z9hG4bK30239\r\n",
				"m: \"Quoted string \\\"\\\"\" <sip:jdrosen@example.com>;newparam=newvalue;secondparam;q=0.33\r\n",
			}},
		{name: "spaces inside <> stay, so the To is refused (RFC 4475 §3.1.2.14 badaspec)",
			msg:  strings.Replace(optionsHead, "To: <sip:6000@127.0.0.1>", "To: \"Watson, Thomas\" < sip:t.watson@example.org >", 1) + "Content-Length: 0\n\n",
			code: 400, reason: "Malformed To header field"},
		{name: "keepalive CRLFs are dropped quietly", msg: "\n\n"},
		{name: "octets after Content-Length are discarded (RFC 3261 §18.3, RFC 4475 §3.1.1.8 dblreq)",
			msg: optionsHead + "Content-Length: 0\n\nINVITE sip:x SIP/2.0\n\n", pass: true, lacks: []string{"INVITE"}},
		{name: "no Content-Length: the datagram's end ends the body (RFC 3261 §18.3)",
			msg: optionsHead + "Content-Type: text/plain\n\nhello", pass: true, contains: []string{"\r\n\r\nhello"}},
		{name: "Content-Length past the datagram (RFC 4475 §3.1.2.2 clerr)", msg: optionsHead + "Content-Length: 99\n\nshort",
			code: 400, reason: "Content-Length larger than the message"},
		{name: "negative Content-Length (RFC 4475 §3.1.2.3 ncl)", msg: optionsHead + "Content-Length: -999\n\n",
			code: 400, reason: "Malformed Content-Length header field"},
		{name: "two Content-Lengths (RFC 4475 §3.3.9 mcl01)", msg: optionsHead + "Content-Length: 3\nl: 5\n\nabcde",
			code: 400, reason: "Multiple Content-Length header fields"},
		{name: "Call-ID twice (RFC 4475 §3.3.8 multi01)", msg: optionsHead + "i: c2\nContent-Length: 0\n\n",
			code: 400, reason: "Multiple Call-ID header fields"},
		{name: "extra SP in the Request-Line (RFC 4475 §3.1.2.9 lwsstart)",
			msg:  strings.Replace(optionsHead, "OPTIONS sip:", "OPTIONS  sip:", 1) + "Content-Length: 0\n\n",
			code: 400, reason: "Malformed Request-Line: extra white space"},
		{name: "SP after the version (RFC 4475 §3.1.2.10 trws)",
			msg:  strings.Replace(optionsHead, "SIP/2.0\n", "SIP/2.0 \n", 1) + "Content-Length: 0\n\n",
			code: 400, reason: "Malformed Request-Line: trailing white space"},
		{name: "white space in the Request-URI (RFC 4475 §3.1.2.8 lwsruri)",
			msg:  strings.Replace(optionsHead, "sip:6000@127.0.0.1 SIP", "sip:6000@127.0.0.1; lr SIP", 1) + "Content-Length: 0\n\n",
			code: 400, reason: "Malformed Request-URI: white space"},
		{name: "no SIP-Version", msg: strings.Replace(optionsHead, " SIP/2.0\n", "\n", 1) + "Content-Length: 0\n\n",
			code: 400, reason: "Malformed Request-Line: no SIP-Version"},
		{name: "SIP/7.0 gets 505 in SIP/2.0 (RFC 4475 §3.1.2.16 badvers)",
			msg:  strings.Replace(optionsHead, " SIP/2.0\n", " SIP/7.0\n", 1) + "Content-Length: 0\n\n",
			code: 505, reason: "Version Not Supported"},
		{name: "the version is case-insensitive (RFC 3261 §7.1)",
			msg: strings.Replace(optionsHead, " SIP/2.0\n", " sip/2.0\n", 1) + "Content-Length: 0\n\n", pass: true},
		{name: "a method that is not a token",
			msg:  strings.Replace(optionsHead, "OPTIONS sip:", "OPT<IONS sip:", 1) + "Content-Length: 0\n\n",
			code: 400, reason: "method is not a token"},
		{name: "the Request-URI in <> (RFC 4475 §3.1.2.7 ltgtruri)",
			msg:  strings.Replace(optionsHead, "OPTIONS sip:6000@127.0.0.1 SIP", "OPTIONS <sip:6000@127.0.0.1> SIP", 1) + "Content-Length: 0\n\n",
			code: 400, reason: "enclosed in <>"},
		{name: "headers in the Request-URI (RFC 4475 §3.1.2.11 escruri)",
			msg:  strings.Replace(optionsHead, "sip:6000@127.0.0.1 SIP", "sip:6000@127.0.0.1?Route=%3Csip:x%3E SIP", 1) + "Content-Length: 0\n\n",
			code: 400, reason: "headers not allowed"},
		{name: "a '?' in the user part is no header (RFC 4475 §3.1.1.2 intmeth)",
			msg: strings.Replace(optionsHead, "sip:6000@127.0.0.1 SIP", "sip:crazy?,/;;*@127.0.0.1 SIP", 1) + "Content-Length: 0\n\n", pass: true},
		{name: "an unknown scheme is 416 (RFC 3261 §8.2.2.1, RFC 4475 §3.3.3 novelsc)",
			msg:  strings.Replace(optionsHead, "sip:6000@127.0.0.1 SIP", "soap.beep://192.0.2.103:3002 SIP", 1) + "Content-Length: 0\n\n",
			code: 416, reason: "Unsupported URI Scheme"},
		{name: "an unquoted display name with a comma (RFC 4475 §3.1.2.15 baddn)",
			msg:  strings.Replace(optionsHead, "From: <sip:a@example.com>", "From: Bell, Alexander <sip:a@example.com>", 1) + "Content-Length: 0\n\n",
			code: 400, reason: "Malformed From header field"},
		{name: "an unterminated quote (RFC 4475 §3.1.2.6 quotbal)",
			msg:  strings.Replace(optionsHead, "To: <sip:6000@127.0.0.1>", "To: \"Mr. J. User <sip:6000@127.0.0.1>", 1) + "Content-Length: 0\n\n",
			code: 400, reason: "Malformed To header field"},
		{name: "CSeq over 2**31-1 (RFC 3261 §8.1.1.5, RFC 4475 §3.1.2.4 scalar02)",
			msg:  strings.Replace(optionsHead, "CSeq: 1 OPTIONS", "CSeq: 36893488147419103232 OPTIONS", 1) + "Content-Length: 0\n\n",
			code: 400, reason: "Malformed CSeq header field"},
		{name: "Max-Forwards over 255 (RFC 3261 §20.22)",
			msg:  strings.Replace(optionsHead, "Max-Forwards: 70", "Max-Forwards: 300", 1) + "Content-Length: 0\n\n",
			code: 400, reason: "Max-Forwards out of range"},
		{name: "a line without a colon", msg: optionsHead + "Foobar roobar\nContent-Length: 0\n\n",
			code: 400, reason: "no colon"},
		{name: "no empty line after the header fields", msg: optionsHead + "Content-Length: 0\n",
			code: 400, reason: "no empty line"},
		{name: "an ACK is never answered (RFC 3261 §17.1.1.3)",
			msg: "ACK sip:6000@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bKa\nContent-Length: -1\n\n"},
		{name: "without a Via there is nowhere to answer (RFC 3261 §18.2.2)",
			msg: "OPTIONS sip:6000@127.0.0.1 SIP/2.0\nCall-ID: x\nContent-Length: -1\n\n"},
		{name: "a response over 699 is dropped (RFC 4475 §3.1.2.19 bigcode)",
			msg: "SIP/2.0 4294967301 better not break the receiver\nVia: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2\nContent-Length: 0\n\n"},
		{name: "a response with an empty reason goes through (RFC 4475 §3.1.1.13 noreason)",
			msg:  "SIP/2.0 100 \nVia: SIP/2.0/UDP 192.0.2.105;branch=z9hG4bK2\nCall-ID: x\nCSeq: 1 INVITE\nFrom: <sip:a@b>;tag=1\nTo: <sip:c@d>\nContent-Length: 0\n\n",
			pass: true},
		{name: "garbage is dropped", msg: "\xff\xfe\x00garbage"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := testEdge(t, EdgeConfig{})
			r := runDatagram(t, e, crlf(tc.msg), testSrc)
			if tc.pass {
				if r.out == nil {
					t.Fatalf("not passed on; answered:\n%s", r.answer)
				}
				if _, err := sip.ParseMessage(r.out); err != nil {
					t.Fatalf("passed on, but sipgo cannot parse it: %v\n%s", err, r.out)
				}
				for _, c := range tc.contains {
					if !bytes.Contains(r.out, []byte(c)) {
						t.Errorf("passed on without %q:\n%s", c, r.out)
					}
				}
				for _, c := range tc.lacks {
					if bytes.Contains(r.out, []byte(c)) {
						t.Errorf("passed on with %q:\n%s", c, r.out)
					}
				}
				return
			}
			if r.out != nil {
				t.Fatalf("passed on, want code %d:\n%s", tc.code, r.out)
			}
			if tc.code == 0 {
				if r.answer != nil {
					t.Fatalf("answered, want a silent drop:\n%s", r.answer)
				}
				return
			}
			want := "SIP/2.0 " + itoa(tc.code) + " "
			if !bytes.HasPrefix(r.answer, []byte(want)) {
				t.Fatalf("answer %q, want %q...", firstLine(r.answer), want)
			}
			if !bytes.Contains(firstLine(r.answer), []byte(tc.reason)) {
				t.Errorf("reason %q does not say %q", firstLine(r.answer), tc.reason)
			}
		})
	}
}

func firstLine(b []byte) []byte {
	l, _, _ := bytes.Cut(b, []byte("\r\n"))
	return l
}

// TestEdgeAnswer: a stateless answer copies Via, From, To (with a tag
// added), Call-ID and CSeq (RFC 3261 §8.2.6), and goes to the source IP at
// the Via's port, or at the source port with rport (RFC 3581 §4).
func TestEdgeAnswer(t *testing.T) {
	cases := []struct {
		name, via string
		to        netip.AddrPort
	}{
		{"Via port", "Via: SIP/2.0/UDP 192.0.2.99:5070;branch=z9hG4bKa", netip.MustParseAddrPort("192.0.2.7:5070")},
		{"no port: 5060", "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKa", netip.MustParseAddrPort("192.0.2.7:5060")},
		{"rport: the source port", "Via: SIP/2.0/UDP 10.0.0.1:5070;rport;branch=z9hG4bKa", testSrc},
		{"IPv6 sent-by without port", "Via: SIP/2.0/UDP [2001:db8::1];branch=z9hG4bKa", netip.MustParseAddrPort("192.0.2.7:5060")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := testEdge(t, EdgeConfig{})
			msg := strings.Replace(optionsHead, "Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bKtest1", tc.via+"\nVia: SIP/2.0/TCP second.example.com", 1) + "Content-Length: -1\n\n"
			r := runDatagram(t, e, crlf(msg), testSrc)
			if r.to != tc.to {
				t.Errorf("answered to %s, want %s", r.to, tc.to)
			}
			for _, h := range []string{tc.via + "\r\n", "Via: SIP/2.0/TCP second.example.com\r\n", "From: <sip:a@example.com>;tag=1\r\n",
				"To: <sip:6000@127.0.0.1>;tag=", "Call-ID: c1\r\n", "CSeq: 1 OPTIONS\r\n", "Content-Length: 0\r\n\r\n"} {
				if !bytes.Contains(r.answer, []byte(h)) {
					t.Errorf("answer without %q:\n%s", h, r.answer)
				}
			}
		})
	}
}

// TestEdgeRFC2543Branch: a request with no branch and no From tag gets a
// branch sipgo can key its transaction on, the same for its
// retransmission and its ACK (RFC 3261 §17.2.3), and every answer loses it
// again (§8.2.6.2).
func TestEdgeRFC2543Branch(t *testing.T) {
	invite := "INVITE sip:UserB@example.com SIP/2.0\nVia: SIP/2.0/UDP iftgw.example.com\n" +
		"From: <sip:+13035551111@ift.client.example.net;user=phone>\nTo: sip:+16505552222@ss1.example.net;user=phone\n" +
		"Call-ID: inv2543.1717@ift.client.example.com\nCSeq: 56 INVITE\nContent-Type: application/sdp\n\nv=0\n"
	ack := strings.Replace(strings.Replace(invite, "INVITE sip", "ACK sip", 1), "56 INVITE", "56 ACK", 1)
	e := testEdge(t, EdgeConfig{})
	a := runDatagram(t, e, crlf(invite), testSrc)
	b := runDatagram(t, e, crlf(invite), testSrc)
	c := runDatagram(t, e, crlf(ack), testSrc)
	branch := func(out []byte) string {
		req, err := sip.ParseMessage(out)
		if err != nil {
			t.Fatalf("sipgo cannot parse %q: %v", out, err)
		}
		v, _ := req.(*sip.Request).Via().Params.Get("branch")
		return v
	}
	got := branch(a.out)
	if !strings.HasPrefix(got, "z9hG4bK-rfc2543-") || len(got) != len("z9hG4bK-rfc2543-")+16 {
		t.Fatalf("branch %q, want z9hG4bK-rfc2543- and 16 hex digits", got)
	}
	if branch(b.out) != got || branch(c.out) != got {
		t.Errorf("retransmission %q and ACK %q, want the INVITE's %q", branch(b.out), branch(c.out), got)
	}
	resp := []byte("SIP/2.0 407 Proxy Authentication Required\r\nVia: SIP/2.0/UDP iftgw.example.com;branch=" + got + ";received=192.0.2.7\r\nContent-Length: 0\r\n\r\n")
	if out := edgeStripBranch(resp); bytes.Contains(out, []byte("branch")) || !bytes.Contains(out, []byte("Via: SIP/2.0/UDP iftgw.example.com;received=192.0.2.7\r\n")) {
		t.Errorf("answer after stripping:\n%s", out)
	}
	withTag := strings.Replace(invite, "user=phone>\n", "user=phone>;tag=1\n", 1)
	if d := runDatagram(t, e, crlf(withTag), testSrc); bytes.Contains(d.out, []byte("rfc2543")) {
		t.Errorf("a From tag is enough for sipgo; no branch should be added:\n%s", d.out)
	}
}

// TestEdgeOversize: over max_message_bytes, 413 when the header section
// fits and the body is too much (RFC 3261 §21.4.11), 513 otherwise
// (§21.5.9); counted apart from malformed messages.
func TestEdgeOversize(t *testing.T) {
	cases := []struct {
		name string
		msg  string
		code int
	}{
		{"a body too large", optionsHead + "Content-Type: text/plain\nContent-Length: 2000\n\n" + strings.Repeat("x", 2000), 413},
		{"header fields too large", optionsHead + "X-Long: " + strings.Repeat("y", 2000) + "\nContent-Length: 0\n\n", 513},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := testEdge(t, EdgeConfig{MaxMessageBytes: 1024})
			r := runDatagram(t, e, crlf(tc.msg), testSrc)
			if r.out != nil || !bytes.HasPrefix(r.answer, []byte("SIP/2.0 "+itoa(tc.code)+" ")) {
				t.Fatalf("passed=%v answer %q, want %d", r.out != nil, firstLine(r.answer), tc.code)
			}
			if e.m.edge.oversizeUDP.Load() != 1 || e.m.MalformedCount() != 0 {
				t.Errorf("oversize %d malformed %d, want 1 and 0", e.m.edge.oversizeUDP.Load(), e.m.MalformedCount())
			}
		})
	}
}

// TestEdgeRFC4475Corpus: every message of the corpus either goes to sipgo
// in a form sipgo parses, and that the edge leaves as it is when it sees
// it again, or is refused; none makes the edge fail.
func TestEdgeRFC4475Corpus(t *testing.T) {
	for _, name := range rfc4475Files(t) {
		t.Run(name, func(t *testing.T) {
			e := testEdge(t, EdgeConfig{})
			r := runDatagram(t, e, readRFC4475(t, name), testSrc)
			if r.out == nil {
				return
			}
			if _, err := sip.ParseMessage(r.out); err != nil {
				t.Fatalf("passed on, but sipgo cannot parse it: %v", err)
			}
			if again := runDatagram(t, e, r.out, testSrc); !bytes.Equal(again.out, r.out) {
				t.Errorf("canonical form is not stable:\n%q\n%q", r.out, again.out)
			}
		})
	}
}

// TestCollapseLWS: white space around SEMI, EQUAL, COMMA, SLASH and COLON
// goes, runs of it elsewhere become one SP, and quoted strings and <> are
// left alone (RFC 3261 §25.1).
func TestCollapseLWS(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SIP / 2.0 / UDP  host ; branch = z9", "SIP/2.0/UDP host;branch=z9"},
		{`"a  b ; c" <sip:x@y ; lr> ; tag = 1`, `"a  b ; c" <sip:x@y ; lr>;tag=1`},
		{`"esc \" ; q"   <sip:x>`, `"esc \" ; q" <sip:x>`},
		{"a ,  b", "a,b"},
		{"host : 5060", "host:5060"},
		{"token1  token2 <sip:x>", "token1 token2 <sip:x>"},
		{"", ""},
	}
	for _, tc := range cases {
		b := []byte(tc.in)
		if got := string(b[:collapseLWS(b)]); got != tc.want {
			t.Errorf("collapseLWS(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestNameAddr: From and To are one name-addr or addr-spec (RFC 3261 §25.1).
func TestNameAddr(t *testing.T) {
	cases := []struct {
		v  string
		ok bool
	}{
		{`<sip:a@b>;tag=1`, true},
		{`sip:a@b;tag=1`, true},
		{`"Bell, Alexander" <sip:a@b>`, true},
		{`token1~ token2'+_ <sip:a@b>`, true},
		{`"x"<sip:a@b>`, true},
		{`Bell, Alexander <sip:a@b>`, false},
		{`"Mr. J. User <sip:a@b>`, false},
		{`A.G. Bell <sip:a@b`, false},
		{`<sip:a@b>, <sip:c@d>`, false},
		{`Bell@home <sip:a@b>`, false},
	}
	for _, tc := range cases {
		if got := nameAddrOK([]byte(tc.v)); got != tc.ok {
			t.Errorf("nameAddrOK(%q) = %v, want %v", tc.v, got, tc.ok)
		}
	}
}

// TestAnswerLimiter: a burst of answers per source, then the rate; other
// sources have their own buckets; a full table answers no new source.
func TestAnswerLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newAnswerLimiter(5, func() time.Time { return now })
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	steps := []struct {
		advance time.Duration
		src     netip.Addr
		n       int // allows attempted
		want    int // allowed
	}{
		{0, a, 10, 5},                     // the burst
		{0, b, 1, 1},                      // another source's own bucket
		{200 * time.Millisecond, a, 3, 1}, // one token back in 200ms at 5/s
		{2 * time.Second, a, 10, 5},       // full again, no more than the burst
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		got := 0
		for range s.n {
			if l.allow(s.src) {
				got++
			}
		}
		if got != s.want {
			t.Errorf("step %d: %d of %d allowed, want %d", i, got, s.n, s.want)
		}
	}
	full := newAnswerLimiter(1, func() time.Time { return now })
	full.maxSources = 1
	if !full.allow(a) || full.allow(b) {
		t.Errorf("a full table must refuse a new source while the old one's bucket is not full again")
	}
	now = now.Add(2 * time.Second)
	if !full.allow(b) {
		t.Errorf("once the old bucket is full again, its place goes to a new source")
	}
}

// rfc4475Files are the messages of testdata/rfc4475 (RFC 4475 Appendix A
// as sipgo ships it), as "valid/wsinv" and so on.
func rfc4475Files(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "rfc4475", "*", "*.dat"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no RFC 4475 corpus under testdata/rfc4475: %v", err)
	}
	var names []string
	for _, p := range paths {
		rel, _ := filepath.Rel(filepath.Join("testdata", "rfc4475"), p)
		names = append(names, strings.TrimSuffix(filepath.ToSlash(rel), ".dat"))
	}
	return names
}

func readRFC4475(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "rfc4475", filepath.FromSlash(name)+".dat"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
