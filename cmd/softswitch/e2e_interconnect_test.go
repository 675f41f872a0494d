//go:build e2e

// End-to-end tests of calls out through carriers' trunks and in from them
// (issue 4). SIPp plays the carriers' gateways (deploy/sipp/gw_*.xml, see
// docs/testing-gateways.md); each gateway logs every INVITE it receives,
// so a test can assert which gateway got the call and in what format.
package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"softswitch/internal/itest"
)

// gateway is a SIPp playing a carrier's gateway.
type gateway struct {
	*itest.SIPp
	log string
}

func startGateway(t *testing.T, scenario string, args ...string) gateway {
	t.Helper()
	log := filepath.Join(t.TempDir(), "gw.log")
	s := itest.StartSIPp(t, scenario, append([]string{"-trace_logs", "-log_file", log}, args...)...)
	return gateway{SIPp: s, log: log}
}

// invites returns the INVITEs the gateway logged, each as its fields.
func (g gateway) invites(t *testing.T) []map[string]string {
	t.Helper()
	f, err := os.Open(g.log)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "|")
		if parts[0] != "invite" {
			continue
		}
		m := map[string]string{}
		for _, p := range parts[1:] {
			k, v, _ := strings.Cut(p, "=")
			m[k] = v
		}
		out = append(out, m)
	}
	return out
}

// trunkYAML is one trunk item.
func trunkYAML(name string, g gateway, extra string) string {
	return "      - {name: " + name + ", address: \"" + g.Addr + "\"" + extra + "}\n"
}

// callNumber calls number from 6000 with the given UAC scenario.
func callNumber(t *testing.T, sw *itest.Switch, scenario, number string, args ...string) itest.SIPpResult {
	t.Helper()
	return call(t, sw, scenario, number, args...)
}

// lastCDR is the newest CDR whose callee is number.
func lastCDR(t *testing.T, sw *itest.Switch, number string) itest.CDR {
	t.Helper()
	var found *itest.CDR
	itest.Eventually(t, 10*time.Second, "CDR for "+number, func() bool {
		for _, c := range sw.CDRList(t) {
			if c.Callee == number {
				found = &c
			}
		}
		return found != nil
	})
	return *found
}

// routeDecisions returns the call.route_decided payloads of the journal.
func routeDecisions(t *testing.T, sw *itest.Switch) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, env := range sw.Events(t) {
		if env.Type != "call.route_decided" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(env.Payload, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func rawString(c itest.CDR, key string) string {
	s, _ := c.Raw[key].(string)
	return s
}

// TestE2ETrunkRouting: numbers go to the right carrier's gateway by the
// segment table, in the trunk's number format; an MVNO segment goes to the
// MVNO's trunk when it has one, else to its host MNO; an unauthenticated
// INVITE to a number is challenged and reaches no gateway.
func TestE2ETrunkRouting(t *testing.T) {
	itest.RequireSIPp(t)
	cm, ct, mv := startGateway(t, "gw_answer"), startGateway(t, "gw_answer"), startGateway(t, "gw_answer")
	cfg := "carriers:\n" +
		"  - name: china-mobile\n    kind: mno\n    trunks:\n" + trunkYAML("cm-a", cm, ", rewrite: {format: national}") +
		"  - name: china-telecom\n    kind: mno\n    trunks:\n" + trunkYAML("ct-a", ct, "") +
		"  - name: mvno-a\n    kind: mvno\n    host: china-mobile\n    trunks:\n" + trunkYAML("mv-a", mv, ", rewrite: {format: \"+e164\"}") +
		"numbering:\n  segments:\n    - {prefix: \"17030\", carrier: mvno-a, kind: mvno, host: china-mobile}\n" +
		"routes:\n  - {prefix: \"86\", by_carrier: true}\n"
	sw := itest.Start(t, itest.Options{ExtraYAML: cfg})

	tests := []struct {
		name, dialled    string
		gw               gateway
		wantURIUser      string
		carrier, trunk   string
		wantMVNOFallback bool
	}{
		{"mobile to its MNO", "13800138000", cm, "13800138000", "china-mobile", "cm-a", false},
		{"mobile in E.164 to its MNO", "+8613912345678", cm, "13912345678", "china-mobile", "cm-a", false},
		{"MVNO segment to the MVNO's trunk", "17030123456", mv, "+8617030123456", "mvno-a", "mv-a", false},
		{"MVNO without trunks to its host", "17001234567", ct, "8617001234567", "china-telecom", "ct-a", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(tc.gw.invites(t))
			if res := callNumber(t, sw, "uac", tc.dialled); !res.OK() {
				t.Fatalf("call %s: %s", tc.dialled, res)
			}
			inv := tc.gw.invites(t)
			if len(inv) != before+1 {
				t.Fatalf("gateway of %s got %d new INVITEs, want 1", tc.trunk, len(inv)-before)
			}
			if got := inv[len(inv)-1]["dialled"]; got != tc.wantURIUser {
				t.Errorf("gateway saw Request-URI user %q, want %q (the trunk's format)", got, tc.wantURIUser)
			}
			c := lastCDR(t, sw, tc.dialled)
			if rawString(c, "trunk") != tc.trunk {
				t.Errorf("CDR trunk %q, want %q (%v)", rawString(c, "trunk"), tc.trunk, c.Raw)
			}
			if tc.wantMVNOFallback {
				ds := routeDecisions(t, sw)
				if fb, _ := ds[len(ds)-1]["mvno_fallback"].(bool); !fb {
					t.Errorf("route decision did not record the MVNO fallback: %v", ds[len(ds)-1])
				}
			} else if rawString(c, "carrier") != tc.carrier {
				t.Errorf("CDR carrier %q, want %q", rawString(c, "carrier"), tc.carrier)
			}
		})
	}

	t.Run("unauthenticated INVITE reaches no gateway", func(t *testing.T) {
		before := len(cm.invites(t)) + len(ct.invites(t)) + len(mv.invites(t))
		res := itest.RunSIPp(t, sippCtx(t, sippTimeout), "uac_noauth", "-m", "1", "-s", "13800138000",
			"-key", "caller", caller, sw.SIPAddr)
		if !res.OK() {
			t.Fatalf("unauthenticated call: %s", res)
		}
		if after := len(cm.invites(t)) + len(ct.invites(t)) + len(mv.invites(t)); after != before {
			t.Fatalf("an unauthenticated INVITE reached a gateway (%d new INVITEs)", after-before)
		}
	})
}

// TestE2ETrunkFailover: a gateway answering 503 makes the switch try the
// next trunk; a 486 about the callee does not. Every attempt is a leg of
// the CDR.
func TestE2ETrunkFailover(t *testing.T) {
	itest.RequireSIPp(t)
	bad, good := startGateway(t, "gw_code", "-key", "code", "503"), startGateway(t, "gw_answer")
	busy, spare := startGateway(t, "gw_code", "-key", "code", "486"), startGateway(t, "gw_answer")
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" +
		trunkYAML("cm-bad", bad, "") + trunkYAML("cm-good", good, "") +
		trunkYAML("cm-busy", busy, "") + trunkYAML("cm-spare", spare, "") +
		"routes:\n  - {prefix: \"86138\", trunks: [cm-bad, cm-good]}\n  - {prefix: \"86139\", trunks: [cm-busy, cm-spare]}\n"
	sw := itest.Start(t, itest.Options{ExtraYAML: cfg})

	t.Run("503 fails over", func(t *testing.T) {
		if res := callNumber(t, sw, "uac", "13800138000"); !res.OK() {
			t.Fatalf("call: %s", res)
		}
		if len(bad.invites(t)) != 1 || len(good.invites(t)) != 1 {
			t.Fatalf("INVITEs: 503 gateway %d, next gateway %d; want 1 and 1", len(bad.invites(t)), len(good.invites(t)))
		}
		c := lastCDR(t, sw, "13800138000")
		if rawString(c, "trunk") != "cm-good" || c.Disposition != "answered" {
			t.Errorf("CDR trunk %q disposition %q, want cm-good answered", rawString(c, "trunk"), c.Disposition)
		}
		codes := map[string]int{}
		for _, l := range c.Legs {
			if l.Side == "b" {
				legs, _ := c.Raw["legs"].([]any)
				for _, rl := range legs {
					m, _ := rl.(map[string]any)
					if m["leg"] == l.Leg {
						codes[m["trunk"].(string)] = l.SIPCode
					}
				}
			}
		}
		if codes["cm-bad"] != 503 || codes["cm-good"] != 200 {
			t.Errorf("attempt legs by trunk = %v, want cm-bad 503 and cm-good 200", codes)
		}
	})
	t.Run("calls search by trunk", func(t *testing.T) {
		// The failed attempt's trunk finds the call too.
		out, err := exec.Command(sw.Bin, "calls", "search", "--config", sw.ConfigPath, "--trunk", "cm-bad", "--json").Output()
		if err != nil || strings.Count(string(out), "\n") != 1 || !strings.Contains(string(out), `"callee":"13800138000"`) {
			t.Fatalf("calls search --trunk cm-bad: %v\n%s", err, out)
		}
	})
	t.Run("486 does not fail over", func(t *testing.T) {
		if res := callNumber(t, sw, "uac_busy", "13900139000"); !res.OK() {
			t.Fatalf("call: %s", res)
		}
		if len(busy.invites(t)) != 1 || len(spare.invites(t)) != 0 {
			t.Fatalf("INVITEs: busy gateway %d, spare %d; want 1 and 0", len(busy.invites(t)), len(spare.invites(t)))
		}
	})
}

// TestE2ETrunkCapacity: a trunk at max_channels is skipped, and when every
// trunk is full the caller gets 503 with Retry-After.
func TestE2ETrunkCapacity(t *testing.T) {
	itest.RequireSIPp(t)
	g1, g2 := startGateway(t, "gw_answer"), startGateway(t, "gw_answer")
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" +
		trunkYAML("cm-1", g1, ", max_channels: 1") + trunkYAML("cm-2", g2, ", max_channels: 1") +
		"routes:\n  - {prefix: \"86\", trunks: [cm-1, cm-2]}\n"
	sw := itest.Start(t, itest.Options{ExtraYAML: cfg})

	hold := func(number string) *itest.SIPp {
		return itest.StartSIPp(t, "uac", "-m", "1", "-s", number, "-key", "caller", caller, "-au", caller, "-ap", password,
			"-d", "6000", sw.SIPAddr)
	}
	h1 := hold("13800138001")
	itest.Eventually(t, 5*time.Second, "first call up on cm-1", func() bool { return len(g1.invites(t)) == 1 && len(sw.ActiveCalls(t)) == 1 })
	h2 := hold("13800138002")
	itest.Eventually(t, 5*time.Second, "second call on cm-2 (cm-1 full)", func() bool { return len(g2.invites(t)) == 1 })
	if len(g1.invites(t)) != 1 {
		t.Fatalf("the full trunk cm-1 got another INVITE")
	}
	res := callNumber(t, sw, "uac_unavailable", "13800138003")
	if !res.OK() {
		t.Fatalf("third call with every trunk full: %s", res)
	}
	if !strings.Contains(res.Messages(), "Retry-After:") {
		t.Errorf("503 without Retry-After")
	}
	for _, h := range []*itest.SIPp{h1, h2} {
		if r := h.Wait(20 * time.Second); !r.OK() {
			t.Errorf("held call: %s", r)
		}
	}
}

// TestE2ETrunkDownByOptions: a trunk whose gateway misses OPTIONS
// keepalives is marked down by an event and skipped.
func TestE2ETrunkDownByOptions(t *testing.T) {
	itest.RequireSIPp(t)
	live := startGateway(t, "gw_answer")
	deadPort, err := itest.FreeUDPTCPPort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" +
		"      - {name: cm-dead, address: \"127.0.0.1:" + itoa(deadPort) + "\", options_interval: 1s, options_timeout: 500ms}\n" +
		trunkYAML("cm-live", live, "") +
		"routes:\n  - {prefix: \"86\", trunks: [cm-dead, cm-live]}\n"
	sw := itest.Start(t, itest.Options{ExtraYAML: cfg})
	itest.Eventually(t, 10*time.Second, "trunk.health_changed down for cm-dead", func() bool {
		for _, env := range sw.Events(t) {
			if env.Type == "trunk.health_changed" && strings.Contains(string(env.Payload), `"trunk":"cm-dead"`) &&
				strings.Contains(string(env.Payload), `"up":false`) {
				return true
			}
		}
		return false
	})
	if res := callNumber(t, sw, "uac", "13800138000"); !res.OK() {
		t.Fatalf("call: %s", res)
	}
	ds := routeDecisions(t, sw)
	last := ds[len(ds)-1]
	if last["chosen"] != "cm-live" {
		t.Errorf("chosen %v, want cm-live", last["chosen"])
	}
	cands, _ := last["candidates"].([]any)
	if len(cands) == 0 || cands[0].(map[string]any)["skip"] != "down" {
		t.Errorf("cm-dead not skipped as down: %v", cands)
	}
}

// TestE2ECarrierRegistration: the switch registers to a carrier that
// challenges, with the trunk's credentials, and records the outcome.
func TestE2ECarrierRegistration(t *testing.T) {
	itest.RequireSIPp(t)
	reg := startGateway(t, "gw_registrar", "-key", "realm", "carrier.test", "-key", "user", "sw01", "-key", "password", "s3cret",
		"-key", "expires", "60")
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" +
		trunkYAML("cm-reg", reg, ", register: {username: sw01, password: s3cret, expires: 60}") +
		"routes:\n  - {prefix: \"86\", trunks: [cm-reg]}\n"
	sw := itest.Start(t, itest.Options{ExtraYAML: cfg})
	itest.Eventually(t, 15*time.Second, "trunk.registration_changed registered", func() bool {
		for _, env := range sw.Events(t) {
			if env.Type == "trunk.registration_changed" && strings.Contains(string(env.Payload), `"registered":true`) {
				return true
			}
		}
		return false
	})
	data, err := os.ReadFile(reg.log)
	if err != nil || !strings.Contains(string(data), "register_done") {
		t.Fatalf("registrar log has no completed registration: %v\n%s", err, data)
	}
}

// TestE2EInboundDID: a call from a carrier's gateway (trusted by its
// address, no digest) to a DID reaches the subscriber the DID belongs to.
func TestE2EInboundDID(t *testing.T) {
	itest.RequireSIPp(t)
	// The carrier sits on 127.0.0.2: the subscribers' 127.0.0.1 must not
	// fall in its ACL.
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" +
		"      - {name: cm-in, address: \"127.0.0.2:5999\", acl: [\"127.0.0.2/32\"]}\n" +
		"routes:\n  - {prefix: \"86\", trunks: [cm-in]}\n" +
		"dids:\n  - {number: \"861012345678\", user: \"" + callee + "\"}\n"
	sw := itest.Start(t, itest.Options{ExtraYAML: cfg})
	uas := startUAS(t, sw, "uas", callee)
	res := itest.RunSIPp(t, sippCtx(t, sippTimeout), "gw_inbound", "-i", "127.0.0.2", "-m", "1", "-s", "861012345678",
		"-key", "caller", "8613800138000", "-d", "200", sw.SIPAddr)
	if !res.OK() {
		t.Fatalf("inbound DID call: %s", res)
	}
	if r := uas.Wait(10 * time.Second); !r.OK() {
		t.Fatalf("subscriber side: %s", r)
	}
	c := lastCDR(t, sw, callee)
	if c.Caller != "8613800138000" || c.Disposition != "answered" {
		t.Errorf("CDR caller %q disposition %q, want 8613800138000 answered", c.Caller, c.Disposition)
	}
	t.Run("not a DID", func(t *testing.T) {
		res := itest.RunSIPp(t, sippCtx(t, sippTimeout), "gw_inbound_rejected", "-i", "127.0.0.2", "-m", "1", "-s", "861099999999",
			"-key", "caller", "8613800138000", sw.SIPAddr)
		if !res.OK() {
			t.Fatalf("call to a number that is no DID: %s", res)
		}
	})
}

// TestE2EInterconnectAPI: the admin API lists carriers, trunks (with live
// status), routes and DIDs, and replaces them: every change is an event,
// and routing follows at once.
func TestE2EInterconnectAPI(t *testing.T) {
	itest.RequireSIPp(t)
	g1, g2 := startGateway(t, "gw_answer"), startGateway(t, "gw_answer")
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" + trunkYAML("cm-a", g1, "") +
		"routes:\n  - {prefix: \"86\", trunks: [cm-a]}\n"
	sw := itest.Start(t, itest.Options{ExtraYAML: cfg})

	var doc map[string]any
	code, body, err := sw.Do("GET", "/api/v1/interconnect", nil)
	if err != nil || code != 200 || json.Unmarshal(body, &doc) != nil {
		t.Fatalf("GET /api/v1/interconnect: %d %v %s", code, err, body)
	}
	status, _ := doc["status"].([]any)
	if len(status) != 1 || status[0].(map[string]any)["trunk"] != "cm-a" || status[0].(map[string]any)["up"] != true {
		t.Fatalf("trunk status = %v, want cm-a up", status)
	}

	// Add trunk cm-b and send 86138 to it.
	trunks := doc["trunks"].([]any)
	b := map[string]any{}
	for k, v := range trunks[0].(map[string]any) {
		b[k] = v
	}
	b["name"], b["address"] = "cm-b", g2.Addr
	doc["trunks"] = append(trunks, b)
	doc["routes"] = append(doc["routes"].([]any), map[string]any{"prefix": "86138", "trunks": []string{"cm-b"}})
	delete(doc, "status")
	code, body, err = sw.Do("PUT", "/api/v1/interconnect", doc)
	if err != nil || code != 200 || !strings.Contains(string(body), `"events":2`) {
		t.Fatalf("PUT /api/v1/interconnect: %d %v %s, want 2 events (trunk and route)", code, err, body)
	}
	if res := callNumber(t, sw, "uac", "13800138000"); !res.OK() {
		t.Fatalf("call: %s", res)
	}
	if len(g2.invites(t)) != 1 || len(g1.invites(t)) != 0 {
		t.Fatalf("INVITEs: cm-a %d, cm-b %d; want the new route's cm-b", len(g1.invites(t)), len(g2.invites(t)))
	}

	// A route naming a trunk that does not exist is refused, naming it.
	doc["routes"] = append(doc["routes"].([]any), map[string]any{"prefix": "86139", "trunks": []string{"nope"}})
	code, body, _ = sw.Do("PUT", "/api/v1/interconnect", doc)
	if code != 400 || !strings.Contains(string(body), "nope") {
		t.Fatalf("PUT with an unknown trunk: %d %s, want 400 naming it", code, body)
	}
}

// TestE2ETrunkPolicies: the switch answers a carrier's digest challenge on
// an outbound INVITE with the trunk's credentials (the gateway verifies the
// MD5), presents the caller per the trunk's caller-id policy with
// P-Asserted-Identity, and bars international calls by default.
func TestE2ETrunkPolicies(t *testing.T) {
	itest.RequireSIPp(t)
	gw := startGateway(t, "gw_challenge_401", "-key", "realm", "carrier.test", "-key", "user", "sw01", "-key", "password", "s3cret")
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" +
		trunkYAML("cm-auth", gw, ", auth: {username: sw01, password: s3cret}, caller_id: {pai: true, presentation: \"861012345678\"}") +
		"routes:\n  - {prefix: \"86\", trunks: [cm-auth]}\n  - {prefix: \"1\", trunks: [cm-auth]}\n"
	sw := itest.Start(t, itest.Options{ExtraYAML: cfg})

	t.Run("digest answer and caller id", func(t *testing.T) {
		if res := callNumber(t, sw, "uac", "13800138000"); !res.OK() {
			t.Fatalf("call through a challenging carrier: %s", res)
		}
		inv := gw.invites(t)
		if len(inv) == 0 {
			t.Fatal("gateway logged no INVITE")
		}
		if inv[0]["from"] != "861012345678" || inv[0]["pai_user"] != "861012345678" {
			t.Errorf("From user %q, PAI user %q; want the presentation number 861012345678 in both", inv[0]["from"], inv[0]["pai_user"])
		}
	})
	t.Run("international barred by default", func(t *testing.T) {
		before := len(gw.invites(t))
		if res := callNumber(t, sw, "uac_barred", "0012125551234"); !res.OK() {
			t.Fatalf("international call: %s", res)
		}
		if len(gw.invites(t)) != before {
			t.Fatal("a barred international call reached the gateway")
		}
	})
}

// TestE2ETrunkBackUp: a trunk marked down by missed keepalives is marked up
// again once its gateway answers OPTIONS.
func TestE2ETrunkBackUp(t *testing.T) {
	itest.RequireSIPp(t)
	port, err := itest.FreeUDPTCPPort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" +
		"      - {name: cm-x, address: \"127.0.0.1:" + itoa(port) + "\", options_interval: 500ms, options_timeout: 400ms}\n" +
		"routes:\n  - {prefix: \"86\", trunks: [cm-x]}\n"
	sw := itest.Start(t, itest.Options{ExtraYAML: cfg})
	health := func(up string) func() bool {
		return func() bool {
			for _, env := range sw.Events(t) {
				if env.Type == "trunk.health_changed" && strings.Contains(string(env.Payload), `"up":`+up) {
					return true
				}
			}
			return false
		}
	}
	itest.Eventually(t, 10*time.Second, "cm-x marked down", health("false"))
	gw := itest.StartSIPp(t, "gw_answer", "-p", itoa(port))
	defer gw.Stop()
	itest.Eventually(t, 10*time.Second, "cm-x marked up again", health("true"))
}

// TestE2ETransitTrunk: a trunk marked transit (a customer's dialler
// platform connected by IP) reaches the outbound routes without digest; a
// carrier's trunk without it reaches DIDs only.
func TestE2ETransitTrunk(t *testing.T) {
	itest.RequireSIPp(t)
	out := startGateway(t, "gw_answer")
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" + trunkYAML("cm-out", out, "") +
		"      - {name: carrier-in, address: \"127.0.0.3:5999\", acl: [\"127.0.0.3/32\"]}\n" +
		"  - name: customer\n    kind: mno\n    trunks:\n" +
		"      - {name: dialler, address: \"127.0.0.2:5999\", acl: [\"127.0.0.2/32\"], transit: true}\n" +
		"routes:\n  - {prefix: \"86\", trunks: [cm-out]}\n"
	sw := itest.Start(t, itest.Options{ExtraYAML: cfg})
	res := itest.RunSIPp(t, sippCtx(t, sippTimeout), "gw_inbound", "-i", "127.0.0.2", "-m", "1", "-s", "13800138000",
		"-key", "caller", "861012345678", "-d", "200", sw.SIPAddr)
	if !res.OK() {
		t.Fatalf("call from the transit trunk: %s", res)
	}
	if len(out.invites(t)) != 1 {
		t.Fatalf("outbound gateway got %d INVITEs, want 1", len(out.invites(t)))
	}
	res = itest.RunSIPp(t, sippCtx(t, sippTimeout), "gw_inbound_rejected", "-i", "127.0.0.3", "-m", "1", "-s", "13800138000",
		"-key", "caller", "861012345678", sw.SIPAddr)
	if !res.OK() {
		t.Fatalf("call from a carrier trunk to a number that is no DID: %s", res)
	}
	if len(out.invites(t)) != 1 {
		t.Fatalf("a carrier's call reached the outbound gateway")
	}
}

// TestE2ETrunkFailoverOnTimeout: a gateway that does not answer at all
// (nothing listens) is given up after sip.trunk_attempt_timeout and the
// next trunk takes the call; the dead attempt is a 408 leg of the CDR.
func TestE2ETrunkFailoverOnTimeout(t *testing.T) {
	itest.RequireSIPp(t)
	live := startGateway(t, "gw_answer")
	deadPort, err := itest.FreeUDPTCPPort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" +
		"      - {name: cm-silent, address: \"127.0.0.1:" + itoa(deadPort) + "\"}\n" + trunkYAML("cm-live", live, "") +
		"routes:\n  - {prefix: \"86\", trunks: [cm-silent, cm-live]}\n"
	sw := itest.Start(t, itest.Options{ExtraYAML: cfg, TrunkAttemptTimeout: time.Second})
	start := time.Now()
	if res := callNumber(t, sw, "uac", "13800138000"); !res.OK() {
		t.Fatalf("call: %s", res)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("call answered in %s, before the silent trunk's attempt timeout", took)
	}
	c := lastCDR(t, sw, "13800138000")
	legs, _ := c.Raw["legs"].([]any)
	codes := map[string]float64{}
	for _, l := range legs {
		m := l.(map[string]any)
		if tr, ok := m["trunk"].(string); ok {
			codes[tr], _ = m["sip_code"].(float64)
		}
	}
	if codes["cm-silent"] != 408 || codes["cm-live"] != 200 {
		t.Errorf("attempt legs = %v, want cm-silent 408 and cm-live 200", codes)
	}
}
