//go:build e2e

// End-to-end tests of the edge (issue 12): where subscribers register
// from and are reached, digest bound to the Request-URI and the source,
// bans that survive restarts and cannot be turned on the phones behind a
// NAT, aggregated failure events, and trunks known by address, port,
// transport and, optionally, digest.
package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/internal/itest"
)

// rawFrom is a raw UA bound to a given loopback address (127.0.0.0/8 is
// all local, so each test source can have an address of its own).
func rawFrom(t *testing.T, sw *itest.Switch, ip string) *rawUA {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip)})
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

// regReq is a REGISTER of user binding contact for expires seconds.
func regReq(u *rawUA, sw *itest.Switch, user, contact string, expires int) sipReq {
	return sipReq{method: "REGISTER", ruri: "sip:" + sw.SIPAddr, from: user, to: user, callID: randHex(8) + "@raw",
		fromTag: randHex(4), branch: "z9hG4bK" + randHex(8), cseq: 1,
		extra: []string{"Expires: " + itoa(expires)}, contact: contact}
}

// register sends r, answers the 401 with user's credentials (the digest
// uri being uri, or the Request-URI when empty) and returns the final
// answer and the Authorization value it sent.
func (u *rawUA) register(sw *itest.Switch, r sipReq, pw, uri string) (final, authz string) {
	u.t.Helper()
	u.send(u.build(r, "127.0.0.1"))
	ch := u.mustFinal(r.branch)
	if statusCode(ch) != 401 {
		u.t.Fatalf("REGISTER without credentials: %s", ch)
	}
	if uri == "" {
		uri = r.ruri
	}
	authz = digestAuth(u.t, headerLine(ch, "WWW-Authenticate"), "REGISTER", uri, r.from, pw)
	r.branch, r.cseq = "z9hG4bK"+randHex(8), r.cseq+1
	r.extra = append(append([]string{}, r.extra...), "Authorization: "+authz)
	u.send(u.build(r, "127.0.0.1"))
	return u.mustFinal(r.branch), authz
}

// TestE2ERegistrationEdge: a Contact at a carrier trunk's address is
// refused; a phone behind NAT (a Contact nobody can reach) is called at
// the address its REGISTER came from; with registration_networks set, a
// source outside them is refused.
func TestE2ERegistrationEdge(t *testing.T) {
	itest.RequireSIPp(t)
	gw := startGateway(t, "gw_answer")
	sw := trunkSwitch(t, gw, itest.Options{})

	t.Run("Contact at a trunk", func(t *testing.T) {
		before := metric(t, sw, "softswitch_registrations_refused_total")
		u := rawFrom(t, sw, "127.0.0.1")
		res, _ := u.register(sw, regReq(u, sw, caller, "sip:+8821234@"+gw.Addr, 60), password, "")
		if statusCode(res) != 403 || !strings.Contains(res, "trunk cm-a") {
			t.Fatalf("REGISTER pointing at the carrier's gateway: %s", res)
		}
		if metric(t, sw, "softswitch_registrations_refused_total") != before+1 {
			t.Error("refusal not counted")
		}
		if got := sw.ContactsOf(t, caller); len(got) != 0 {
			t.Errorf("bound %v", got)
		}
		// Calling the AOR reaches no carrier: nothing is bound.
		if res := call(t, sw, "uac_notfound", caller); !res.OK() {
			t.Fatalf("call to the AOR: %s", res)
		}
		if n := len(gw.invites(t)); n != 0 {
			t.Fatalf("the carrier got %d INVITEs through a subscriber binding", n)
		}
	})

	t.Run("NAT: reached at the source", func(t *testing.T) {
		phone := rawFrom(t, sw, "127.0.0.1")
		res, _ := phone.register(sw, regReq(phone, sw, callee, "sip:"+callee+"@192.0.2.50:5060", 60), password, "")
		if statusCode(res) != 200 {
			t.Fatalf("REGISTER behind NAT: %s", res)
		}
		done := make(chan itest.SIPpResult, 1)
		go func() { done <- call(t, sw, "uac_busy", callee) }()
		// The INVITE comes to the socket the REGISTER came from, with the
		// Contact as Request-URI; the phone answers busy.
		inv := phone.readRequest("INVITE", 5*time.Second)
		if !strings.HasPrefix(inv, "INVITE sip:"+callee+"@192.0.2.50:5060 ") {
			t.Fatalf("INVITE at the source, Request-URI %q", strings.SplitN(inv, "\r\n", 2)[0])
		}
		phone.send(respond(inv, 486, "Busy Here"))
		if res := <-done; !res.OK() {
			t.Fatalf("caller: %s", res)
		}
	})

	t.Run("outside the allowed networks", func(t *testing.T) {
		only := itest.Start(t, itest.Options{ExtraYAML: "security:\n  registration_networks: [\"10.0.0.0/8\"]\n"})
		u := rawFrom(t, only, "127.0.0.1")
		res, _ := u.register(only, regReq(u, only, caller, "sip:"+caller+"@127.0.0.1:5070", 60), password, "")
		if statusCode(res) != 403 || !strings.Contains(res, "outside the allowed networks") {
			t.Fatalf("REGISTER from outside registration_networks: %s", res)
		}
	})
}

// readRequest reads datagrams until a request of method arrives.
func (u *rawUA) readRequest(method string, timeout time.Duration) string {
	u.t.Helper()
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 65536)
	for {
		_ = u.conn.SetReadDeadline(deadline)
		n, _, err := u.conn.ReadFromUDP(buf)
		if err != nil {
			u.t.Fatalf("no %s: %v", method, err)
		}
		if msg := string(buf[:n]); strings.HasPrefix(msg, method+" ") {
			return msg
		}
	}
}

// respond builds a response to a request, adding a To tag.
func respond(req string, code int, reason string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "SIP/2.0 %d %s\r\n", code, reason)
	for _, l := range strings.Split(req, "\r\n")[1:] {
		name := strings.ToLower(strings.TrimSpace(strings.SplitN(l, ":", 2)[0]))
		switch name {
		case "via", "from", "call-id", "cseq":
			b.WriteString(l + "\r\n")
		case "to":
			b.WriteString(l + ";tag=" + randHex(4) + "\r\n")
		}
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.String()
}

// TestE2EUnregisterTransportCase: RFC 3261 §19.1.4 compares transport
// without case, so ";transport=udp" removes the binding stored as
// ";transport=UDP" (it used to answer 200 and leave it).
func TestE2EUnregisterTransportCase(t *testing.T) {
	sw := itest.Start(t, itest.Options{})
	u := rawFrom(t, sw, "127.0.0.1")
	contact := fmt.Sprintf("sip:%s@127.0.0.1:%d", caller, u.port)
	if res, _ := u.register(sw, regReq(u, sw, caller, contact+";transport=UDP", 60), password, ""); statusCode(res) != 200 {
		t.Fatalf("REGISTER: %s", res)
	}
	if got := sw.ContactsOf(t, caller); len(got) != 1 {
		t.Fatalf("bindings %v", got)
	}
	for _, c := range []string{contact + ";transport=udp", contact} {
		if res, _ := u.register(sw, regReq(u, sw, caller, c, 0), password, ""); statusCode(res) != 200 {
			t.Fatalf("unREGISTER %s: %s", c, res)
		}
		if got := sw.ContactsOf(t, caller); len(got) != 0 {
			t.Fatalf("after Expires: 0 with %s the binding is still there: %v", c, got)
		}
		if res, _ := u.register(sw, regReq(u, sw, caller, contact+";transport=UDP", 60), password, ""); statusCode(res) != 200 {
			t.Fatalf("REGISTER again: %s", res)
		}
	}
}

// TestE2EDigestBinding: credentials whose uri is not the Request-URI are
// refused (RFC 3261 §22.4); an Authorization captured and replayed from
// another address, or replayed with the same nonce count, gets a fresh
// challenge (stale=true), never a registration and never a strike.
func TestE2EDigestBinding(t *testing.T) {
	sw := itest.Start(t, itest.Options{})
	u := rawFrom(t, sw, "127.0.0.1")
	contact := fmt.Sprintf("sip:%s@127.0.0.1:%d", caller, u.port)
	res, _ := u.register(sw, regReq(u, sw, caller, contact, 60), password, "sip:elsewhere.example")
	if statusCode(res) != 403 {
		t.Fatalf("digest uri not the Request-URI: %s", res)
	}
	r := regReq(u, sw, caller, contact, 60)
	res, authz := u.register(sw, r, password, "")
	if statusCode(res) != 200 {
		t.Fatalf("REGISTER: %s", res)
	}
	failures := metric(t, sw, "softswitch_auth_failures_total")
	replay := func(from *rawUA) string {
		r2 := r
		r2.branch, r2.cseq = "z9hG4bK"+randHex(8), 9
		r2.extra = append(append([]string{}, r.extra...), "Authorization: "+authz)
		from.send(from.build(r2, "127.0.0.1"))
		return from.mustFinal(r2.branch)
	}
	for name, from := range map[string]*rawUA{"another address": rawFrom(t, sw, "127.0.0.44"), "the same nonce count": u} {
		res := replay(from)
		if statusCode(res) != 401 || !strings.Contains(headerLine(res, "WWW-Authenticate"), "stale=true") {
			t.Errorf("replayed from %s: %s, want 401 stale=true", name, res)
		}
	}
	if got := metric(t, sw, "softswitch_auth_failures_total"); got != failures {
		t.Errorf("auth failures moved %v → %v: a replay is not a strike", failures, got)
	}
}

// TestE2EBans: a source is banned after its failures, the ban event
// records the real count, the failures are recorded aggregated (one event
// per source per interval, not one per packet), and a restart keeps the
// ban. An address whose phone authenticated lately is not banned by a
// stream of failures as a spoofer would send, and its phone keeps
// registering.
func TestE2EBans(t *testing.T) {
	sw := itest.Start(t, itest.Options{ExtraYAML: "security:\n  max_auth_failures: 5\n  auth_failure_interval: 500ms\n"})
	fail := func(u *rawUA, n int) {
		t.Helper()
		for range n {
			r := regReq(u, sw, "6000", "sip:6000@127.0.0.1:5070", 60)
			u.send(u.build(r, "127.0.0.1"))
			ch, err := u.final(r.branch, 2*time.Second)
			if err != nil {
				return // banned: no answer
			}
			r.branch, r.cseq = "z9hG4bK"+randHex(8), 2
			r.extra = append(r.extra, "Authorization: "+digestAuth(t, headerLine(ch, "WWW-Authenticate"), "REGISTER", r.ruri, "6000", "wrong"))
			u.send(u.build(r, "127.0.0.1"))
			_, _ = u.final(r.branch, 2*time.Second)
		}
	}
	attacker := rawFrom(t, sw, "127.0.0.66")
	fail(attacker, 5)
	probe := func(u *rawUA) bool {
		r := regReq(u, sw, "6000", "sip:6000@127.0.0.1:5070", 60)
		u.send(u.build(r, "127.0.0.1"))
		_, err := u.final(r.branch, time.Second)
		return err == nil
	}
	if probe(attacker) {
		t.Fatal("banned source still answered")
	}
	// The phones: 127.0.0.77 authenticated, then a spoofed stream of
	// failures from it; 127.0.0.78 never authenticated.
	phone := rawFrom(t, sw, "127.0.0.77")
	if res, _ := phone.register(sw, regReq(phone, sw, caller, fmt.Sprintf("sip:%s@127.0.0.77:%d", caller, phone.port), 60), password, ""); statusCode(res) != 200 {
		t.Fatalf("phone: %s", res)
	}
	fail(rawFrom(t, sw, "127.0.0.77"), 20)
	if res, _ := phone.register(sw, regReq(phone, sw, caller, fmt.Sprintf("sip:%s@127.0.0.77:%d", caller, phone.port), 60), password, ""); statusCode(res) != 200 {
		t.Fatalf("the phone after 20 spoofed failures from its address: %s", res)
	}
	fail(rawFrom(t, sw, "127.0.0.78"), 5)
	if probe(rawFrom(t, sw, "127.0.0.78")) {
		t.Fatal("a source without a success was not banned")
	}

	var bans []domain.SourceBanned
	var failed []domain.AuthFailed
	itest.Eventually(t, 5*time.Second, "aggregated failures recorded", func() bool {
		bans, failed = nil, nil
		for _, env := range sw.Events(t) {
			switch env.Type {
			case domain.TypeSourceBanned:
				var e domain.SourceBanned
				_ = json.Unmarshal(env.Payload, &e)
				bans = append(bans, e)
			case domain.TypeAuthFailed:
				var e domain.AuthFailed
				_ = json.Unmarshal(env.Payload, &e)
				failed = append(failed, e)
			}
		}
		total := 0
		for _, f := range failed {
			total += f.Count
		}
		return total == 30
	})
	if len(bans) != 2 || bans[0].Fails != 5 || bans[0].Source != "127.0.0.66" {
		t.Errorf("bans %+v, want 127.0.0.66 and 127.0.0.78 after 5 failures each", bans)
	}
	if len(failed) > 6 {
		t.Errorf("%d auth_failed events for 30 failures from 3 sources, want one per source per interval", len(failed))
	}
	for _, f := range failed {
		if len(f.Users) != 1 || f.Users[0] != "6000" || f.Count < 1 {
			t.Errorf("auth_failed %+v", f)
		}
	}

	sw.Restart(true)
	if probe(rawFrom(t, sw, "127.0.0.66")) {
		t.Fatal("a restart lifted the ban")
	}
	if !probe(rawFrom(t, sw, "127.0.0.79")) {
		t.Fatal("an innocent source is not answered after the restart")
	}
}

// TestE2ETrunkIdentity: a trunk's ACL pins its port and transport (an
// INVITE from the trunk's address on another port is a stranger's and
// gets challenged); a trunk with inbound_auth must also authenticate;
// and a transit call is billed to the trunk's account, never to the From
// it carries.
func TestE2ETrunkIdentity(t *testing.T) {
	itest.RequireSIPp(t)
	out := startGateway(t, "gw_answer")
	port, err := itest.FreeUDPTCPPort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" + trunkYAML("cm-out", out, "") +
		"  - name: customer\n    kind: mno\n    trunks:\n" +
		"      - {name: dialler, address: \"127.0.0.2:5999\", acl: [\"127.0.0.2:" + itoa(port) + "\"], transit: true, account: \"dialler-co\"}\n" +
		"      - {name: secured, address: \"127.0.0.3:5999\", acl: [\"127.0.0.3/32\"], transit: true, inbound_auth: {username: gw-secured, password: s3cret}}\n" +
		"routes:\n  - {prefix: \"86\", trunks: [cm-out]}\n"
	sw := itest.Start(t, itest.Options{ExtraYAML: cfg})
	inbound := func(ip string, port int, scenario string, extra ...string) itest.SIPpResult {
		args := append([]string{"-i", ip, "-m", "1", "-s", "13800138000", "-key", "caller", "6000", "-d", "200"}, extra...)
		p := itest.StartSIPpOnPort(t, port, scenario, append(args, sw.SIPAddr)...)
		return p.Wait(sippTimeout)
	}
	// From the pinned port: a transit call, billed to the trunk's account
	// though its From says 6000.
	if res := inbound("127.0.0.2", port, "gw_inbound"); !res.OK() {
		t.Fatalf("transit call from the pinned port: %s", res)
	}
	c := lastCDR(t, sw, "13800138000")
	if c.Caller != "dialler-co" {
		t.Errorf("transit CDR caller %q, want the trunk's account dialler-co (the From said 6000)", c.Caller)
	}
	// From another port of the same address: not the trunk; challenged.
	other, err := itest.FreeUDPTCPPort()
	if err != nil {
		t.Fatal(err)
	}
	if res := inbound("127.0.0.2", other, "gw_inbound_rejected"); !res.OK() {
		t.Fatalf("from another port: %s", res)
	}
	// The secured trunk: no credentials, 407; the trunk's credentials, in.
	p, _ := itest.FreeUDPTCPPort()
	if res := inbound("127.0.0.3", p, "gw_inbound_rejected"); !res.OK() {
		t.Fatalf("secured trunk without credentials: %s", res)
	}
	p, _ = itest.FreeUDPTCPPort()
	if res := inbound("127.0.0.3", p, "uac", "-au", "gw-secured", "-ap", "s3cret"); !res.OK() {
		t.Fatalf("secured trunk with its credentials: %s", res)
	}
	if n := len(out.invites(t)); n != 2 {
		t.Errorf("the outbound gateway got %d INVITEs, want the 2 transit calls", n)
	}
	// The trunk's credentials from a subscriber's address: refused.
	if res := call(t, sw, "uac_barred", "13800138000", "-au", "gw-secured", "-ap", "s3cret"); !res.OK() {
		t.Fatalf("trunk credentials from elsewhere: %s", res)
	}
}

// TestE2EDiskFloor: below journal.min_free_bytes the switch takes no new
// calls or registrations (503 with Retry-After), counts them and reports
// unhealthy with the reason, while a call already up goes on and its end
// is recorded; when space returns it takes new work again, without a
// restart. The data directory is a small tmpfs made for the test.
func TestE2EDiskFloor(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs for the data directory (the tests run as root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	sw := itest.Start(t, itest.Options{DataDir: dir, ExtraYAML: "journal:\n  min_free_bytes: 16777216\n"})
	u := rawFrom(t, sw, "127.0.0.1")
	contact := fmt.Sprintf("sip:%s@127.0.0.1:%d", caller, u.port)
	if res, _ := u.register(sw, regReq(u, sw, caller, contact, 60), password, ""); statusCode(res) != 200 {
		t.Fatalf("REGISTER with room: %s", res)
	}
	uas := startUAS(t, sw, "uas", callee)
	held := itest.StartSIPp(t, "uac", "-m", "1", "-s", callee, "-key", "caller", caller,
		"-au", caller, "-ap", password, "-d", "6000", sw.SIPAddr)
	itest.Eventually(t, 10*time.Second, "the held call answered", func() bool {
		calls := sw.ActiveCalls(t)
		a, _ := map[string]any{}["answered"].(string)
		if len(calls) == 1 {
			a, _ = calls[0]["answered"].(string)
		}
		return a != ""
	})
	// Fill the disk to 8 MiB free.
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	ballast := filepath.Join(dir, "ballast")
	if err := os.WriteFile(ballast, make([]byte, int64(st.Bavail)*st.Bsize-8<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	itest.Eventually(t, 5*time.Second, "unhealthy below the floor", func() bool { return healthz(t, sw) == 503 })
	if _, body, _ := sw.Do(http.MethodGet, "/healthz", nil); !strings.Contains(string(body), "below the floor") {
		t.Errorf("/healthz says %q, want the reason", body)
	}
	if metric(t, sw, "softswitch_disk_low") != 1 {
		t.Error("softswitch_disk_low is not 1 below the floor")
	}
	r := regReq(u, sw, caller, contact, 60)
	u.send(u.build(r, "127.0.0.1"))
	if res := u.mustFinal(r.branch); statusCode(res) != 503 || headerLine(res, "Retry-After") == "" {
		t.Fatalf("REGISTER below the floor: %s, want 503 with Retry-After", res)
	}
	if res := call(t, sw, "uac_unavailable", callee); !res.OK() {
		t.Fatalf("a new call below the floor: %s", res)
	}
	if n := metric(t, sw, "softswitch_low_disk_refusals_total"); n < 2 {
		t.Errorf("low-disk refusals %v, want the REGISTER and the INVITE", n)
	}
	// The call that was up before goes on to its BYE, and its end is
	// recorded: a CDR.
	if res := held.Wait(20 * time.Second); !res.OK() {
		t.Fatalf("the call up before the floor: %s", res)
	}
	uas.Wait(5 * time.Second)
	if c := cdrFor(t, sw, callee); c.Disposition != "answered" {
		t.Errorf("CDR of the held call: %+v", c)
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	itest.Eventually(t, 5*time.Second, "healthy with room again", func() bool { return healthz(t, sw) == 200 })
	if res, _ := u.register(sw, regReq(u, sw, caller, contact, 60), password, ""); statusCode(res) != 200 {
		t.Fatalf("REGISTER with room again: %s", res)
	}
}
