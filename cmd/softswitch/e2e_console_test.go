//go:build e2e

// The web console in a real browser (issue 16 §1): headless chromium
// against the running switch, with calls from SIPp. See docs/console.md.
package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"softswitch/internal/itest"
)

// consoleShots is where the test's screenshots go: $SOFTSWITCH_ARTIFACTS
// when CI keeps them, else a directory the run leaves behind and logs.
func consoleShots(t *testing.T) string {
	dir := os.Getenv("SOFTSWITCH_ARTIFACTS")
	if dir == "" {
		d, err := os.MkdirTemp("", "softswitch-console-")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
	} else {
		dir = filepath.Join(dir, "console")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("console screenshots in %s", dir)
	return dir
}

// TestE2EConsole drives every page: live calls while SIPp holds a call and
// after its BYE (no reload), the CDR search and the call's ladder, route
// simulation, registrations, trunks, settlement, campaigns and the audit
// log; then the refusals: a wrong token (401), a read token's write (403)
// and a bad form value (the server's field error next to the field). No
// page shows a secret.
func TestE2EConsole(t *testing.T) {
	itest.RequireSIPp(t)
	const (
		trunkPassword = "tRunk-pa55-never-shown"
		carrier       = "china-mobile"
	)
	writeTok, readTok := itest.RandomToken(t), itest.RandomToken(t)
	gw := startGateway(t, "gw_answer")
	subs := append(append([]itest.Subscriber{}, itest.DefaultSubscribers...), itest.DialerSubscriber)
	cfg := "carriers:\n  - name: " + carrier + "\n    kind: mno\n    trunks:\n" +
		trunkYAML("cm-a", gw, ", auth: {username: sw01, password: "+trunkPassword+"}") +
		"routes:\n  - {prefix: \"86138\", trunks: [cm-a]}\n" +
		"dialer:\n  enabled: true\n  account: dialer\n"
	sw := itest.Start(t, itest.Options{Subscribers: subs, ExtraYAML: cfg,
		AdminTokens: []itest.AdminToken{{Name: "ops", Token: writeTok, Scope: "write"}, {Name: "viewer", Token: readTok, Scope: "read"}}})
	postJSON(t, sw, "/api/v1/campaigns", campaignJSON("spring", []string{"6002"}, ""), 201)
	postJSON(t, sw, "/api/v1/campaigns/spring/start", "", 200)

	b := startBrowser(t, consoleShots(t))
	console := sw.URL("/console/")
	secrets := []string{trunkPassword, writeTok, readTok}
	noSecret := func(page string) {
		t.Helper()
		var html string
		b.js(&html, `return document.documentElement.outerHTML;`)
		for _, s := range secrets {
			if strings.Contains(html, s) {
				t.Errorf("%s page shows a secret", page)
			}
		}
	}
	login := func(tok string) {
		t.Helper()
		b.open(console)
		// Log out first: the tab keeps the last token in sessionStorage.
		b.js(nil, `sessionStorage.clear();`)
		b.open(console)
		b.typeInto("#login-token", tok)
		b.click("#login button[type=submit]")
	}

	t.Run("wrong and missing token: 401", func(t *testing.T) {
		for _, tok := range []string{"", "Bearer wrong"} {
			req, _ := http.NewRequest("GET", sw.URL("/api/v1/calls/stream"), nil)
			if tok != "" {
				req.Header.Set("Authorization", tok)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("stream with %q: %d, want 401", tok, res.StatusCode)
			}
		}
		login("not-a-token")
		got := b.waitText(`#login .field-error[data-for="token"]`, "the 401 next to the token", func(s string) bool { return s != "" })
		if !strings.Contains(got, "401") {
			t.Errorf("login with a wrong token shows %q, want a 401", got)
		}
		b.screenshot("login-401")
	})

	t.Run("live calls", func(t *testing.T) {
		login(writeTok)
		b.find("#calls")
		if got := b.waitText("#calls-live", "stream connected", func(s string) bool { return s == "live" }); got != "live" {
			t.Fatalf("live-calls stream: %q", got)
		}
		var loadID string
		b.js(&loadID, `return window.consoleLoadId;`)
		startUAS(t, sw, "uas", callee)
		done := make(chan itest.SIPpResult, 1)
		go func() { done <- call(t, sw, "uac", callee, "-d", "6000") }()
		row := b.waitText("#calls tbody", "the call SIPp holds", func(s string) bool { return strings.Contains(s, "answered") })
		for _, want := range []string{caller, callee} {
			if !strings.Contains(row, want) {
				t.Errorf("live call row %q lacks %s", row, want)
			}
		}
		b.screenshot("live-calls")
		if res := <-done; !res.OK() {
			t.Fatalf("call: %s", res)
		}
		b.waitText("#calls-count", "the call gone after the BYE", func(s string) bool { return s == "(0)" })
		var after string
		b.js(&after, `return window.consoleLoadId;`)
		if after != loadID {
			t.Errorf("the page reloaded (load id %s, then %s): the update must come from the stream", loadID, after)
		}
		b.screenshot("live-calls-after-bye")
		noSecret("live calls")
	})

	t.Run("CDR search and ladder", func(t *testing.T) {
		cdrFor(t, sw, callee) // the CDR is written
		b.open(console + "#cdrs")
		b.typeInto(`#cdr-form [name="number"]`, callee)
		b.click(`#cdr-form button[type=submit]`)
		rows := b.waitText("#cdrs tbody", "the call's CDR", func(s string) bool { return strings.Contains(s, "answered") })
		if !strings.Contains(rows, caller) {
			t.Errorf("CDR rows %q lack the caller", rows)
		}
		b.screenshot("cdr-search")
		b.click("#cdrs tbody a.ladder-link")
		b.find("#ladder g.arrow")
		var labels []string
		b.js(&labels, `return Array.from(document.querySelectorAll('#ladder g.arrow')).map(g => g.dataset.label);`)
		for _, want := range []string{"INVITE", "407", "180", "200", "ACK", "BYE"} {
			found := false
			for _, l := range labels {
				found = found || strings.HasPrefix(l, want)
			}
			if !found {
				t.Errorf("ladder lacks %s: %v", want, labels)
			}
		}
		b.screenshot("call-ladder")

		// A bad value comes back from the server naming its field.
		b.open(console + "#cdrs")
		b.find("#cdrs")
		b.js(nil, `const s = document.querySelector('#cdr-form [name="disposition"]'); s.append(new Option('bogus', 'bogus')); s.value = 'bogus';`)
		b.click(`#cdr-form button[type=submit]`)
		got := b.waitText(`#cdr-form .field-error[data-for="disposition"]`, "the disposition error", func(s string) bool { return s != "" })
		if !strings.Contains(got, "disposition") {
			t.Errorf("disposition error %q does not name the field", got)
		}
	})

	t.Run("route simulation", func(t *testing.T) {
		b.open(console + "#trunks")
		b.find("#trunks")
		if row := b.text(`#trunks tr[data-trunk="cm-a"]`); !strings.Contains(row, "up") || !strings.Contains(row, "0 /") {
			t.Errorf("trunk row %q: want it up with its channels", row)
		}
		b.typeInto(`#route-form [name="number"]`, "13800138000")
		b.typeInto(`#route-form [name="caller"]`, caller)
		b.click(`#route-form button[type=submit]`)
		if got := b.waitText("#route-chosen", "the chosen trunk", func(s string) bool { return s != "" }); got != "cm-a" {
			t.Errorf("route simulation chose %q, want cm-a", got)
		}
		b.screenshot("trunks-route-simulation")
		noSecret("trunks")

		b.typeInto(`#route-form [name="caller"]`, "nobody")
		b.click(`#route-form button[type=submit]`)
		got := b.waitText(`#route-form .field-error[data-for="caller"]`, "the caller's field error", func(s string) bool { return s != "" })
		if !strings.Contains(got, "caller") || !strings.Contains(got, "nobody") {
			t.Errorf("caller error %q", got)
		}
		var invalid string
		b.js(&invalid, `return document.querySelector('#route-form [name="caller"]').getAttribute('aria-invalid') || '';`)
		if invalid != "true" {
			t.Errorf("the caller field is not marked invalid")
		}
		b.screenshot("route-simulation-field-error")
		// No call was placed by simulating: the gateway saw one INVITE
		// at most (none: the call above went to a registered user).
		if n := len(gw.invites(t)); n != 0 {
			t.Errorf("route simulation placed %d calls", n)
		}
	})

	t.Run("registrations", func(t *testing.T) {
		b.open(console + "#registrations")
		if got := b.waitText("#registrations", "registrations", func(s string) bool { return s != "" }); !strings.Contains(got, callee) {
			t.Errorf("registrations %q lack %s", got, callee)
		}
		b.screenshot("registrations")
	})

	t.Run("settlement", func(t *testing.T) {
		b.open(console + "#settlement")
		b.typeInto(`#settle-form [name="carrier"]`, "no-such-carrier")
		b.click(`#settle-form button[type=submit]`)
		got := b.waitText(`#settle-form .field-error[data-for="carrier"]`, "the carrier's field error", func(s string) bool { return s != "" })
		if !strings.Contains(got, "carrier") {
			t.Errorf("carrier error %q", got)
		}
		b.typeInto(`#settle-form [name="carrier"]`, carrier)
		b.click(`#settle-form button[type=submit]`)
		b.waitText("#statement", "the statement", func(s string) bool { return strings.Contains(s, "TOTAL") })
		b.screenshot("settlement")
	})

	t.Run("campaigns: read token gets 403, write token pauses", func(t *testing.T) {
		login(readTok)
		b.find("#calls")
		b.open(console + "#campaigns")
		b.click(`#campaigns button[data-campaign="spring"]`)
		if got := b.waitText("#status", "the 403", func(s string) bool { return s != "" }); !strings.Contains(got, "403") {
			t.Errorf("read token's pause shows %q, want a 403", got)
		}
		b.screenshot("campaigns-403")
		login(writeTok)
		b.find("#calls")
		b.open(console + "#campaigns")
		b.click(`#campaigns button[data-action="pause"]`)
		b.waitText(`#campaigns tr[data-campaign="spring"]`, "the campaign paused", func(s string) bool { return strings.Contains(s, "paused") })
		b.screenshot("campaigns-paused")
	})

	t.Run("audit log", func(t *testing.T) {
		b.open(console + "#audit")
		got := b.waitText("#audit", "the audit log", func(s string) bool { return strings.Contains(s, "/pause") })
		if !strings.Contains(got, "ops") {
			t.Errorf("audit log %q does not say the pause was ops's", got)
		}
		b.screenshot("audit")
		noSecret("audit")
	})
}
