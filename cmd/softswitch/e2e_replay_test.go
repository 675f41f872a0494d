//go:build e2e

package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"

	"softswitch/domain"
	"softswitch/internal/itest"
)

// TestE2EReplay: a call that fails over (503, then 200) replays with both
// attempts in the ladder and both route decisions, from the running
// switch; --json prints the call's raw envelopes.
func TestE2EReplay(t *testing.T) {
	sw, c := failoverCall(t)

	out, err := exec.Command(sw.Bin, "replay", "--config", sw.ConfigPath, "--call-id", c.CallID).CombinedOutput()
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, out)
	}
	s := string(out)
	for _, want := range []string{"cm-bad", "cm-good", "503", "200", "#1 at", "#2 at", "chosen     cm-bad",
		"chosen     cm-good", "disposition  answered"} {
		if !strings.Contains(s, want) {
			t.Errorf("replay lacks %q", want)
		}
	}
	if strings.Contains(s, "#3 at") {
		t.Errorf("replay shows a third route decision")
	}
	// The whole exchange: the caller's challenge round, its INVITE, the
	// two attempts; every final answer's ACK; the 180 as received and as
	// relayed to the caller.
	if n := strings.Count(s, "──INVITE"); n != 4 {
		t.Errorf("%d INVITE arrows, want 4 (the challenged INVITE, the A-leg, two attempts)", n)
	}
	if !strings.Contains(s, "◀──407 Proxy Authentication Required") {
		t.Errorf("replay lacks the 407 challenge")
	}
	if n := strings.Count(s, "──ACK"); n != 4 {
		t.Errorf("%d ACK arrows, want 4 (of the 407, the 503, the callee's 200 and the caller's 200)", n)
	}
	if n := strings.Count(s, "180 Ringing"); n != 2 {
		t.Errorf("%d 180 arrows, want 2 (from the callee, relayed to the caller)", n)
	}
	if !strings.Contains(s, "SIP Call-ID ") {
		t.Errorf("replay lacks the SIP Call-ID")
	}
	if t.Failed() {
		t.Logf("replay output:\n%s", s)
	}

	out, err = exec.Command(sw.Bin, "replay", "--config", sw.ConfigPath, "--call-id", c.CallID, "--json").Output()
	if err != nil {
		t.Fatalf("replay --json: %v\n%s", err, out)
	}
	routes, n := 0, 0
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var env domain.Envelope
		if err := json.Unmarshal(sc.Bytes(), &env); err != nil {
			t.Fatalf("replay --json line %q: %v", sc.Text(), err)
		}
		if env.Aggregate != domain.CallKey(c.CallID) {
			t.Errorf("envelope of aggregate %q", env.Aggregate)
		}
		if env.Type == domain.TypeRouteDecided {
			routes++
		}
		n++
	}
	if n == 0 || routes != 2 {
		t.Errorf("--json: %d envelopes, %d route decisions; want some and 2", n, routes)
	}

	// The running switch answers from the journal's aggregate index: the
	// same envelopes, byte for byte, as replay --json printed.
	code, body, err := sw.Do(http.MethodGet, "/api/v1/calls/"+url.PathEscape(c.CallID)+"/events", nil)
	if err != nil || code != http.StatusOK || string(body) != string(out) {
		t.Errorf("GET /api/v1/calls/{id}/events: %d %v\n%s\nwant the replay --json output\n%s", code, err, body, out)
	}
	if code, _, _ := sw.Do(http.MethodGet, "/api/v1/calls/no-such-call/events", nil); code != http.StatusNotFound {
		t.Errorf("events of an unknown call: status %d, want 404", code)
	}

	if err := exec.Command(sw.Bin, "replay", "--config", sw.ConfigPath, "--call-id", "no-such-call").Run(); err == nil {
		t.Error("replay of an unknown call succeeded")
	}
}

// failoverCall makes one call to a mobile number whose first trunk answers
// 503 and second 200, and returns the switch and the call's CDR.
func failoverCall(t *testing.T) (*itest.Switch, itest.CDR) {
	t.Helper()
	itest.RequireSIPp(t)
	bad, good := startGateway(t, "gw_code", "-key", "code", "503"), startGateway(t, "gw_answer")
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" +
		trunkYAML("cm-bad", bad, "") + trunkYAML("cm-good", good, "") +
		"routes:\n  - {prefix: \"86138\", trunks: [cm-bad, cm-good]}\n"
	sw := itest.Start(t, itest.Options{ExtraYAML: cfg})
	if res := callNumber(t, sw, "uac", "13800138000"); !res.OK() {
		t.Fatalf("call: %s", res)
	}
	c := lastCDR(t, sw, "13800138000")
	if c.CallID == "" {
		t.Fatal("CDR without call_id")
	}
	return sw, c
}
