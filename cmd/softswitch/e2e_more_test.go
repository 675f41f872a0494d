//go:build e2e

// More end-to-end tests: identical answers for known and unknown users,
// source bans, malformed traffic, config errors, subscriber provisioning,
// deterministic CDR rebuild and a crash in the middle of a call.
//
//	SOFTSWITCH_REQUIRE_SIPP=1 go test -tags e2e -count=1 -run 'TestE2E(IdenticalAnswers|BanAfterFailures|MalformedCounted|BadConfig|SubscriberAPI|CDRRebuildDeterministic|KillMidCall)' -v ./cmd/softswitch/
package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"softswitch/internal/itest"
)

// ------------------------------------------------------------ raw SIP UA

// rawUA is a bare UDP socket on 127.0.0.1 that speaks SIP by hand, for
// tests that need to see the switch's answers byte for byte.
type rawUA struct {
	t    *testing.T
	conn *net.UDPConn
	port int
	dst  *net.UDPAddr
}

func newRawUA(t *testing.T, sw *itest.Switch) *rawUA {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	dst, err := net.ResolveUDPAddr("udp4", sw.SIPAddr)
	if err != nil {
		t.Fatal(err)
	}
	return &rawUA{t: t, conn: c, port: c.LocalAddr().(*net.UDPAddr).Port, dst: dst}
}

func (u *rawUA) send(msg string) {
	u.t.Helper()
	if _, err := u.conn.WriteToUDP([]byte(msg), u.dst); err != nil {
		u.t.Fatalf("send: %v", err)
	}
}

var errNoAnswer = errors.New("no answer")

// final reads datagrams until a final (>= 200) response whose Via branch is
// branch arrives, or timeout passes (errNoAnswer). Provisional responses and
// answers to other transactions are skipped.
func (u *rawUA) final(branch string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 65536)
	for {
		if err := u.conn.SetReadDeadline(deadline); err != nil {
			return "", err
		}
		n, _, err := u.conn.ReadFromUDP(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return "", errNoAnswer
			}
			return "", err
		}
		msg := string(buf[:n])
		if !strings.HasPrefix(msg, "SIP/2.0 ") || !strings.Contains(msg, "branch="+branch) {
			continue
		}
		if code := statusCode(msg); code >= 200 {
			return msg, nil
		}
	}
}

// mustFinal is final that fails the test without an answer.
func (u *rawUA) mustFinal(branch string) string {
	u.t.Helper()
	res, err := u.final(branch, 5*time.Second)
	if err != nil {
		u.t.Fatalf("no final response for branch %s: %v", branch, err)
	}
	return res
}

func statusCode(msg string) int {
	f := strings.Fields(strings.SplitN(msg, "\r\n", 2)[0])
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// sipReq describes one hand-built request.
type sipReq struct {
	method, ruri, from, to  string // from/to: user parts
	callID, fromTag, branch string
	cseq                    int
	extra                   []string // extra header lines
	body                    string
	contact                 string // the Contact URI; default the UA's own address
}

func (u *rawUA) build(r sipReq, host string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s SIP/2.0\r\n", r.method, r.ruri)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport\r\n", u.port, r.branch)
	b.WriteString("Max-Forwards: 70\r\n")
	fmt.Fprintf(&b, "From: <sip:%s@%s>;tag=%s\r\n", r.from, host, r.fromTag)
	fmt.Fprintf(&b, "To: <sip:%s@%s>\r\n", r.to, host)
	fmt.Fprintf(&b, "Call-ID: %s\r\n", r.callID)
	fmt.Fprintf(&b, "CSeq: %d %s\r\n", r.cseq, r.method)
	if r.contact != "" {
		fmt.Fprintf(&b, "Contact: <%s>\r\n", r.contact)
	} else {
		fmt.Fprintf(&b, "Contact: <sip:%s@127.0.0.1:%d>\r\n", r.from, u.port)
	}
	for _, h := range r.extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("User-Agent: softswitch-itest-raw\r\n")
	if r.body != "" {
		b.WriteString("Content-Type: application/sdp\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(r.body), r.body)
	return b.String()
}

// ack builds the ACK for a non-2xx final response to INVITE (RFC 3261
// §17.1.1.3: same branch, To tag of the response).
func (u *rawUA) ack(r sipReq, host, res string) string {
	to := headerLine(res, "To")
	var b strings.Builder
	fmt.Fprintf(&b, "ACK %s SIP/2.0\r\n", r.ruri)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport\r\n", u.port, r.branch)
	b.WriteString("Max-Forwards: 70\r\n")
	fmt.Fprintf(&b, "From: <sip:%s@%s>;tag=%s\r\n", r.from, host, r.fromTag)
	fmt.Fprintf(&b, "To: %s\r\n", to)
	fmt.Fprintf(&b, "Call-ID: %s\r\n", r.callID)
	fmt.Fprintf(&b, "CSeq: %d ACK\r\n", r.cseq)
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.String()
}

// headerLine returns the value of the first header called name (case
// insensitive), or "".
func headerLine(msg, name string) string {
	for _, l := range strings.Split(msg, "\r\n")[1:] {
		if l == "" {
			break
		}
		k, v, ok := strings.Cut(l, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

var digestParamRe = regexp.MustCompile(`([a-zA-Z]+)=("([^"]*)"|[^,\s]+)`)

func digestParams(v string) map[string]string {
	out := map[string]string{}
	v = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), "Digest"))
	for _, m := range digestParamRe.FindAllStringSubmatch(v, -1) {
		val := m[2]
		if strings.HasPrefix(val, `"`) {
			val = m[3]
		}
		out[strings.ToLower(m[1])] = val
	}
	return out
}

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// digestAuth answers challenge (a WWW-/Proxy-Authenticate value) per RFC
// 7616 with qop=auth, nc=00000001.
func digestAuth(t *testing.T, challenge, method, uri, user, pw string) string {
	t.Helper()
	p := digestParams(challenge)
	realm, nonce := p["realm"], p["nonce"]
	if realm == "" || nonce == "" {
		t.Fatalf("challenge without realm/nonce: %q", challenge)
	}
	if alg := p["algorithm"]; alg != "" && !strings.EqualFold(alg, "MD5") {
		t.Fatalf("challenge algorithm %q, want MD5", alg)
	}
	if !strings.Contains(p["qop"], "auth") {
		t.Fatalf("challenge qop %q, want auth", p["qop"])
	}
	cnonce := randHex(8)
	nc := "00000001"
	ha1 := md5hex(user + ":" + realm + ":" + pw)
	ha2 := md5hex(method + ":" + uri)
	resp := md5hex(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2)
	return fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5, qop=auth, nc=%s, cnonce="%s"`,
		user, realm, nonce, uri, resp, nc, cnonce)
}

// normalise blanks the per-request values of a response: Via branch, tags,
// Call-ID, CSeq number, nonce (and opaque), Date, and the user parts.
func normalise(msg string, users ...string) string {
	repl := []struct {
		re  *regexp.Regexp
		out string
	}{
		{regexp.MustCompile(`branch=[^;,\s]+`), "branch=BRANCH"},
		{regexp.MustCompile(`tag=[^;,>\s]+`), "tag=TAG"},
		{regexp.MustCompile(`(?mi)^(Call-ID|i):.*$`), "Call-ID: CALLID\r"},
		{regexp.MustCompile(`(?mi)^CSeq:\s*\d+`), "CSeq: N"},
		{regexp.MustCompile(`nonce="[^"]*"`), `nonce="NONCE"`},
		{regexp.MustCompile(`opaque="[^"]*"`), `opaque="OPAQUE"`},
		{regexp.MustCompile(`(?mi)^Date:.*$`), "Date: DATE\r"},
	}
	for _, r := range repl {
		msg = r.re.ReplaceAllString(msg, r.out)
	}
	for _, u := range users {
		msg = strings.ReplaceAll(msg, "sip:"+u+"@", "sip:USER@")
	}
	return msg
}

// metric returns the value of an un-labelled metric line.
func metric(t *testing.T, sw *itest.Switch, name string) float64 {
	t.Helper()
	for _, l := range strings.Split(sw.Metrics(t), "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && f[0] == name {
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return v
		}
	}
	t.Fatalf("metric %s not in /metrics", name)
	return 0
}

func healthz(t *testing.T, sw *itest.Switch) int {
	t.Helper()
	code, _, err := sw.Do(http.MethodGet, "/healthz", nil)
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	return code
}

// challengeThenFail sends a request without credentials, expects code (401 or
// 407), answers with digest credentials for user/pw and returns both responses.
func challengeThenFail(t *testing.T, u *rawUA, sw *itest.Switch, method, user, to string, code int, pw string) (challenge, final string) {
	t.Helper()
	host := "127.0.0.1"
	ruri := "sip:" + sw.SIPAddr
	body := ""
	authHdr, chHdr := "Authorization", "WWW-Authenticate"
	if method == "INVITE" {
		ruri = "sip:" + to + "@" + sw.SIPAddr
		body = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
		authHdr, chHdr = "Proxy-Authorization", "Proxy-Authenticate"
	}
	r := sipReq{method: method, ruri: ruri, from: user, to: to, callID: randHex(8) + "@127.0.0.1",
		fromTag: randHex(4), branch: "z9hG4bK" + randHex(8), cseq: 1, body: body}
	if method == "REGISTER" {
		r.extra = []string{"Expires: 60"}
	}
	u.send(u.build(r, host))
	challenge = u.mustFinal(r.branch)
	if got := statusCode(challenge); got != code {
		t.Fatalf("%s from %s without credentials: got %d, want %d:\n%s", method, user, got, code, challenge)
	}
	if method == "INVITE" {
		u.send(u.ack(r, host, challenge))
	}
	ch := headerLine(challenge, chHdr)
	if ch == "" {
		t.Fatalf("%d without %s:\n%s", code, chHdr, challenge)
	}
	r2 := r
	r2.branch, r2.cseq = "z9hG4bK"+randHex(8), 2
	r2.extra = append(append([]string{}, r.extra...), authHdr+": "+digestAuth(t, ch, method, ruri, user, pw))
	u.send(u.build(r2, host))
	final = u.mustFinal(r2.branch)
	if method == "INVITE" {
		u.send(u.ack(r2, host, final))
	}
	return challenge, final
}

// -------------------------------------------------------------- tests

// Known and unknown users get byte-identical answers (after removing the
// per-request values): neither the challenge nor the refusal tells whether
// a user exists.
func TestE2EIdenticalAnswers(t *testing.T) {
	itest.RequireSIPp(t)
	sw := itest.Start(t, itest.Options{})
	for _, tc := range []struct {
		method string
		code   int
		header string
	}{
		{"REGISTER", 401, "WWW-Authenticate"},
		{"INVITE", 407, "Proxy-Authenticate"},
	} {
		t.Run(tc.method, func(t *testing.T) {
			u := newRawUA(t, sw)
			to := "6001"
			kCh, kFin := challengeThenFail(t, u, sw, tc.method, "6000", map[bool]string{true: to, false: "6000"}[tc.method == "INVITE"], tc.code, "wrong-password")
			uCh, uFin := challengeThenFail(t, u, sw, tc.method, "9999", map[bool]string{true: to, false: "9999"}[tc.method == "INVITE"], tc.code, "1234")

			// the challenge must be a real one
			p := digestParams(headerLine(kCh, tc.header))
			if p["realm"] != "softswitch.test" || !strings.EqualFold(p["algorithm"], "MD5") || !strings.Contains(p["qop"], "auth") {
				t.Errorf("challenge params %v: want realm softswitch.test, algorithm MD5, qop auth", p)
			}
			nk := normalise(kCh, "6000", "9999")
			nu := normalise(uCh, "6000", "9999")
			t.Logf("normalised %d:\n%s", tc.code, nk)
			if nk != nu {
				t.Errorf("%d for known and unknown user differ after normalising:\n--- known 6000 ---\n%s\n--- unknown 9999 ---\n%s", tc.code, nk, nu)
			}
			if got := statusCode(kFin); got != 403 {
				t.Errorf("known user, wrong password: got %d, want 403:\n%s", got, kFin)
			}
			if got := statusCode(uFin); got != 403 {
				t.Errorf("unknown user: got %d, want 403:\n%s", got, uFin)
			}
			nk, nu = normalise(kFin, "6000", "9999"), normalise(uFin, "6000", "9999")
			t.Logf("normalised 403:\n%s", nk)
			if nk != nu {
				t.Errorf("403 for known and unknown user differ after normalising:\n--- known 6000 ---\n%s\n--- unknown 9999 ---\n%s", nk, nu)
			}
		})
	}
}

// max_auth_failures failures from one source ban it: later requests get no
// answer at all.
func TestE2EBanAfterFailures(t *testing.T) {
	itest.RequireSIPp(t)
	sw := itest.Start(t, itest.Options{ExtraYAML: "security:\n  max_auth_failures: 3\n  failure_window: 1m\n  ban_duration: 1m\n"})
	u := newRawUA(t, sw)
	for i := 1; i <= 3; i++ {
		_, fin := challengeThenFail(t, u, sw, "REGISTER", "6000", "6000", 401, "wrong-"+itoa(i))
		if got := statusCode(fin); got != 403 {
			t.Fatalf("bad REGISTER #%d: got %d, want 403:\n%s", i, got, fin)
		}
	}
	r := sipReq{method: "REGISTER", ruri: "sip:" + sw.SIPAddr, from: "6000", to: "6000", callID: randHex(8) + "@127.0.0.1",
		fromTag: randHex(4), branch: "z9hG4bK" + randHex(8), cseq: 1, extra: []string{"Expires: 60"}}
	u.send(u.build(r, "127.0.0.1"))
	if res, err := u.final(r.branch, 1500*time.Millisecond); !errors.Is(err, errNoAnswer) {
		t.Fatalf("4th REGISTER from a banned source was answered (err=%v):\n%s", err, res)
	}
	if v := metric(t, sw, "softswitch_auth_bans_total"); v != 1 {
		t.Errorf("softswitch_auth_bans_total = %v, want 1", v)
	}
	if v := metric(t, sw, "softswitch_banned_drops_total"); v < 1 {
		t.Errorf("softswitch_banned_drops_total = %v, want >= 1", v)
	}
	if v := metric(t, sw, "softswitch_auth_failures_total"); v != 3 {
		t.Errorf("softswitch_auth_failures_total = %v, want 3", v)
	}
	if code := healthz(t, sw); code != 200 {
		t.Errorf("/healthz = %d after a ban, want 200", code)
	}
}

// Garbage is counted, a request lacking Call-ID gets 400, and the switch
// keeps serving.
func TestE2EMalformedCounted(t *testing.T) {
	itest.RequireSIPp(t)
	sw := itest.Start(t, itest.Options{})
	u := newRawUA(t, sw)
	before := metric(t, sw, "softswitch_sip_malformed_total")

	junk := make([]byte, 300)
	_, _ = rand.Read(junk)
	junk[0] = 0xff // never "SIP/2.0" nor a method
	if _, err := u.conn.WriteToUDP(junk, u.dst); err != nil {
		t.Fatal(err)
	}
	u.send("INVITE sip:6001@127.0.0.1 SIP/2") // truncated request line, nothing else

	r := sipReq{method: "OPTIONS", ruri: "sip:" + sw.SIPAddr, from: "6000", to: "6000", callID: "x",
		fromTag: randHex(4), branch: "z9hG4bK" + randHex(8), cseq: 1}
	noCallID := strings.Replace(u.build(r, "127.0.0.1"), "Call-ID: x\r\n", "", 1)
	if strings.Contains(noCallID, "Call-ID") {
		t.Fatal("test bug: Call-ID still present")
	}
	u.send(noCallID)
	res, err := u.final(r.branch, 3*time.Second)
	if err != nil {
		t.Errorf("OPTIONS without Call-ID: %v, want 400", err)
	} else if got := statusCode(res); got != 400 {
		t.Errorf("OPTIONS without Call-ID: got %d, want 400:\n%s", got, res)
	}

	itest.Eventually(t, 3*time.Second, "softswitch_sip_malformed_total to grow by >= 3", func() bool {
		return metric(t, sw, "softswitch_sip_malformed_total")-before >= 3
	})

	counted := metric(t, sw, "softswitch_sip_malformed_total")
	ok := sipReq{method: "OPTIONS", ruri: "sip:" + sw.SIPAddr, from: "6000", to: "6000", callID: randHex(8) + "@127.0.0.1",
		fromTag: randHex(4), branch: "z9hG4bK" + randHex(8), cseq: 1}
	u.send(u.build(ok, "127.0.0.1"))
	if res := u.mustFinal(ok.branch); statusCode(res) != 200 {
		t.Errorf("valid OPTIONS after garbage: got %d, want 200:\n%s", statusCode(res), res)
	}
	if v := metric(t, sw, "softswitch_sip_malformed_total"); v != counted {
		t.Errorf("a valid OPTIONS moved softswitch_sip_malformed_total from %v to %v", counted, v)
	}
	if code := healthz(t, sw); code != 200 {
		t.Errorf("/healthz = %d, want 200", code)
	}
}

// A bad config stops `run` at once with an error naming the field.
func TestE2EBadConfig(t *testing.T) {
	bin := itest.Binary(t)
	sipPort, err := itest.FreeUDPTCPPort()
	if err != nil {
		t.Fatal(err)
	}
	httpPort, err := itest.FreeTCPPort()
	if err != nil {
		t.Fatal(err)
	}
	base := func(sip, subs string) string {
		return fmt.Sprintf("node_id: badcfg\ndata_dir: %q\nsip:\n%s\nhttp:\n  listen: \"127.0.0.1:%d\"\nsubscribers:\n%s",
			filepath.Join(t.TempDir(), "data"), sip, httpPort, subs)
	}
	goodSIP := fmt.Sprintf("  listen: \"127.0.0.1:%d\"\n  realm: test", sipPort)
	oneSub := "  - {user: \"6000\", password: \"1234\"}\n"
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"bad sip.listen", base("  listen: \"localhost-no-port\"\n  realm: test", oneSub), "sip.listen"},
		{"unknown key sip.lisen", base(fmt.Sprintf("  lisen: \"127.0.0.1:%d\"\n  realm: test", sipPort), oneSub), "lisen"},
		{"SHA-512", base(goodSIP+"\n  auth_algorithms: [SHA-512]", oneSub), "sip.auth_algorithms[0]"},
		{"duplicate subscriber", base(goodSIP, oneSub+"  - {user: \"6000\", password: \"5678\"}\n"), "subscribers[1].user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(cfg, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "run", "--config", cfg)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("run with a bad config did not exit within 5s\nconfig:\n%s\nstderr: %s", tc.yaml, stderr.String())
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() == 0 {
				t.Fatalf("run exited with %v, want a non-zero exit; stderr: %s", err, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr does not name %q:\n%s", tc.want, stderr.String())
			}
		})
	}
}

// Subscribers provisioned and removed over the admin API take effect on
// SIP at once.
func TestE2ESubscriberAPI(t *testing.T) {
	itest.RequireSIPp(t)
	sw := itest.Start(t, itest.Options{})
	type provResp struct {
		User    string `json:"user"`
		Changed bool   `json:"changed"`
	}
	post := func() (int, provResp) {
		code, body, err := sw.Do(http.MethodPost, "/api/v1/subscribers", map[string]string{"user": "7000", "password": "pw7000"})
		if err != nil {
			t.Fatalf("POST: %v", err)
		}
		var r provResp
		if code < 300 {
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatalf("POST body %q: %v", body, err)
			}
		}
		return code, r
	}
	if code, r := post(); code != 201 || r.User != "7000" || !r.Changed {
		t.Fatalf("first POST: %d %+v, want 201 {7000 true}", code, r)
	}
	const contact = "127.0.0.1:5091"
	if res := register(t, sw, "register", "7000", "pw7000", contact, 120); !res.OK() {
		t.Fatalf("REGISTER 7000 after provisioning: %s", res)
	}
	if got := sw.ContactsOf(t, "7000"); !contains(got, "sip:7000@"+contact) {
		t.Fatalf("contacts of 7000 = %v, want sip:7000@%s", got, contact)
	}
	if code, r := post(); code != 200 || r.Changed {
		t.Errorf("second POST, same password: %d %+v, want 200 changed=false", code, r)
	}
	code, body, err := sw.Do(http.MethodDelete, "/api/v1/subscribers/7000", nil)
	if err != nil || code != 204 {
		t.Fatalf("DELETE: %d %v %s, want 204", code, err, body)
	}
	itest.Eventually(t, 3*time.Second, "7000's contact gone after DELETE", func() bool {
		return len(sw.ContactsOf(t, "7000")) == 0
	})
	if res := register(t, sw, "register_wrongpw", "7000", "pw7000", contact, 120); !res.OK() {
		t.Fatalf("REGISTER 7000 after DELETE must get 401 then 403: %s", res)
	}
	if got := sw.ContactsOf(t, "7000"); len(got) != 0 {
		t.Errorf("deleted subscriber bound again: %v", got)
	}
	code, body, err = sw.Do(http.MethodDelete, "/api/v1/subscribers/7000", nil)
	if err != nil || code != 404 {
		t.Errorf("second DELETE: %d %v %s, want 404", code, err, body)
	}
}

func runBin(t *testing.T, bin string, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\nstderr: %s", bin, args, err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

// listAndRebuild (switch stopped) returns `cdr list --json` of sw's store
// and checks that a CDR store rebuilt from the journal into a fresh data dir
// lists byte-identically.
func listAndRebuild(t *testing.T, sw *itest.Switch) string {
	t.Helper()
	orig, _ := runBin(t, sw.Bin, "cdr", "list", "--config", sw.ConfigPath, "--json")

	dir2 := t.TempDir()
	runBin(t, sw.Bin, "cdr", "rebuild", "--config", sw.ConfigPath, "--out", filepath.Join(dir2, "cdr"))
	cfg, err := os.ReadFile(sw.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^data_dir: .*$`)
	if !re.Match(cfg) {
		t.Fatalf("config has no data_dir line:\n%s", cfg)
	}
	cfg2 := re.ReplaceAll(cfg, []byte("data_dir: "+strconv.Quote(dir2)))
	cfg2Path := filepath.Join(dir2, "softswitch.yaml")
	if err := os.WriteFile(cfg2Path, cfg2, 0o600); err != nil {
		t.Fatal(err)
	}
	rebuilt, _ := runBin(t, sw.Bin, "cdr", "list", "--config", cfg2Path, "--json")
	if orig != rebuilt {
		t.Errorf("rebuilt CDRs differ from the originals:\n--- original ---\n%s\n--- rebuilt ---\n%s", orig, rebuilt)
	}

	return orig
}

// CDRs are a deterministic function of the journal: rebuilding them into a
// fresh store gives byte-identical `cdr list --json`.
func TestE2ECDRRebuildDeterministic(t *testing.T) {
	itest.RequireSIPp(t)
	sw := itest.Start(t, itest.Options{})

	uas := startUAS(t, sw, "uas", "6001")
	if res := call(t, sw, "uac", "6001", "-d", "500"); !res.OK() {
		t.Fatalf("answered call: %s", res)
	}
	uas.Wait(15 * time.Second)
	busy := startUAS(t, sw, "uas_busy", "6002")
	if res := call(t, sw, "uac_busy", "6002"); !res.OK() {
		t.Fatalf("busy call: %s", res)
	}
	busy.Wait(15 * time.Second)
	if res := call(t, sw, "uac_notfound", "7777"); !res.OK() || !strings.Contains(res.Messages(), "SIP/2.0 404") {
		t.Fatalf("not-found call: %s", res)
	}
	waitNoActiveCalls(t, sw)
	sw.WaitCDRs(t, 3, 10*time.Second)
	if err := sw.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	orig := listAndRebuild(t, sw)

	var got []itest.CDR
	for _, line := range strings.Split(strings.TrimSpace(orig), "\n") {
		var c itest.CDR
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("decode %q: %v", line, err)
		}
		got = append(got, c)
	}
	if len(got) != 3 {
		t.Fatalf("want 3 CDRs, got %d:\n%s", len(got), orig)
	}
	want := map[string]struct {
		disp string
		code int
	}{"6001": {"answered", 200}, "6002": {"busy", 486}, "7777": {"failed", 404}}
	for _, c := range got {
		user := strings.TrimPrefix(strings.SplitN(c.Callee, "@", 2)[0], "sip:")
		w, ok := want[user]
		if !ok {
			t.Errorf("unexpected CDR callee %q: %+v", c.Callee, c)
			continue
		}
		delete(want, user)
		if c.Disposition != w.disp || c.SIPCode != w.code {
			t.Errorf("CDR for %s: %s/%d, want %s/%d", user, c.Disposition, c.SIPCode, w.disp, w.code)
		}
	}
	if len(want) != 0 {
		t.Errorf("no CDR for %v", want)
	}
}

// killMidCall runs an answered call, SIGKILLs the switch while it is up,
// kills both SIPp ends, restarts the switch and returns the one CDR and the
// call id the switch had shown for the live call.
func killMidCall(t *testing.T) (*itest.Switch, itest.CDR, string) {
	t.Helper()
	itest.RequireSIPp(t)
	sw := itest.Start(t, itest.Options{})
	uas := startUAS(t, sw, "uas", callee)
	uac := itest.StartSIPp(t, "uac", "-m", "1", "-s", callee, "-key", "caller", caller,
		"-au", caller, "-ap", password, "-d", "30000", sw.SIPAddr)
	var callID string
	itest.Eventually(t, 10*time.Second, "1 answered call in /api/v1/calls", func() bool {
		calls := sw.ActiveCalls(t)
		if len(calls) != 1 {
			return false
		}
		callID, _ = calls[0]["call_id"].(string)
		a, _ := calls[0]["answered"].(string) // answered before we pull the plug
		return a != ""
	})
	sw.Kill()
	uac.Stop()
	uas.Stop()
	t0 := time.Now()
	sw.Restart(false)

	var cdrs []itest.CDR
	itest.Eventually(t, 10*time.Second-time.Since(t0), "a CDR for the killed call within 10s of the restart", func() bool {
		cdrs = sw.CDRList(t)
		return len(cdrs) > 0
	})
	if len(cdrs) != 1 {
		t.Fatalf("want 1 CDR, got %d: %+v", len(cdrs), cdrs)
	}
	return sw, cdrs[0], callID
}

// A SIGKILL in the middle of an answered call: after the restart the call
// is closed by the switch, with a CDR that says so.
func TestE2EKillMidCall(t *testing.T) {
	sw, c, callID := killMidCall(t)
	if c.CallID != callID {
		t.Errorf("CDR call_id = %q, want the live call's %q", c.CallID, callID)
	}
	if c.EndedBy != "switch" || c.Reason != "Node Restarted" || c.Disposition != "answered" {
		t.Errorf("CDR ended_by=%q reason=%q disposition=%q, want switch / Node Restarted / answered (%+v)", c.EndedBy, c.Reason, c.Disposition, c)
	}
	if c.Answer == nil {
		t.Errorf("answered call's CDR has no answer time")
	} else if c.End.Before(*c.Answer) {
		t.Errorf("CDR end %s before answer %s", c.End, *c.Answer)
	}
	if calls := sw.ActiveCalls(t); len(calls) != 0 {
		t.Errorf("/api/v1/calls after restart = %v, want empty", calls)
	}
}

// The CDR of a call closed after a crash must be as complete as any other:
// a call that has ended has no open legs. domain.Call.End records LegEnded
// for every open leg before CallEnded; a normal answered call's CDR has
// end/sip_code/reason/ended_by on both legs.
func TestE2EKillMidCallLegsClosed(t *testing.T) {
	_, c, _ := killMidCall(t)
	if len(c.Legs) != 2 {
		t.Fatalf("legs = %d, want 2 (a and b1): %+v", len(c.Legs), c.Legs)
	}
	for i, l := range c.Legs {
		raw, _ := c.Raw["legs"].([]any)
		var rl map[string]any
		if i < len(raw) {
			rl, _ = raw[i].(map[string]any)
		}
		if l.End == nil || l.SIPCode == 0 || rl["ended_by"] != "switch" || rl["reason"] != "Node Restarted" {
			t.Errorf("leg %s of an ended call is still open: end=%v sip_code=%d ended_by=%v reason=%v, want an end, the call's code, switch, Node Restarted",
				l.Leg, l.End, l.SIPCode, rl["ended_by"], rl["reason"])
		}
	}
}

// The CDR written for a crash-closed call is as deterministic as any other.
func TestE2ECDRRebuildAfterCrash(t *testing.T) {
	sw, _, _ := killMidCall(t)
	if err := sw.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if out := listAndRebuild(t, sw); strings.Count(out, "\n") != 1 || !strings.Contains(out, `"reason":"Node Restarted"`) {
		t.Errorf("want the one Node Restarted CDR, got:\n%s", out)
	}
}
