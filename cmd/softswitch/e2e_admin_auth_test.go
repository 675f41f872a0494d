//go:build e2e

// End-to-end tests of the admin API's guard and of secrets at the edges
// (issue 12, item 2): bearer tokens, Host and content type checks, HA1s
// and digest responses kept out of everything the switch shows.
package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/internal/itest"
	"softswitch/switching/auth"
)

// digestResponse matches a digest response (MD5: 32 hex digits, SHA-256:
// 64) as it appears in a SIP message, in JSON or as text.
var digestResponse = regexp.MustCompile(`(?i)response=\\?"?[0-9a-f]{32}`)

// adminRequest sends one raw request to the switch's admin API.
func adminRequest(t *testing.T, sw *itest.Switch, method, path, host, token, ctype, body string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, sw.URL(path), rd)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, string(b)
}

// cliRun runs a softswitch verb and returns its combined output and error.
func cliRun(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	return string(out), err
}

// TestE2EAdminAuth: the real binary with a read and a write token and
// audit.capture: full. The guard answers 401/403/415/421 as it should, the
// command-line verbs reach the switch with the config's tokens, an HA1 never
// leaves through the API, replay or an export bundle (but stays in the
// journal: the subscriber still registers after a restart), no captured
// message keeps a digest response, and no log line holds a secret.
func TestE2EAdminAuth(t *testing.T) {
	itest.RequireSIPp(t)
	wr, ro := itest.RandomToken(t), itest.RandomToken(t)
	sw := itest.Start(t, itest.Options{
		AdminTokens: []itest.AdminToken{{Name: "ops", Token: wr, Scope: "write"}, {Name: "grafana", Token: ro, Scope: "read"}},
		ExtraYAML:   "audit: {capture: full}\n",
	})
	W, R := "Bearer "+wr, "Bearer "+ro
	const jsonType = "application/json"
	deck := deckHeader + "86,0.10,0,60,60,0,2020-01-01T00:00:00Z,,CNY\n"

	t.Run("guard", func(t *testing.T) {
		tests := []struct {
			name, method, path, host, token, ctype, body string
			header                                       map[string]string
			want                                         int
		}{
			{name: "health probe needs no token", method: "GET", path: "/healthz", want: 200},
			{name: "no token", method: "GET", path: "/api/v1/registrations", want: 401},
			{name: "events without a token", method: "GET", path: "/api/v1/events", want: 401},
			{name: "wrong scheme", method: "GET", path: "/api/v1/registrations", token: "Basic b3BzOjEyMzQ=", want: 401},
			{name: "wrong token", method: "GET", path: "/api/v1/registrations", token: "Bearer " + itest.RandomToken(t), want: 401},
			{name: "read token reads", method: "GET", path: "/api/v1/registrations", token: R, want: 200},
			{name: "read token writes", method: "POST", path: "/api/v1/subscribers", token: R, ctype: jsonType, body: `{"user":"6200","password":"x"}`, want: 403},
			{name: "read token deletes", method: "DELETE", path: "/api/v1/subscribers/6000", token: R, want: 403},
			{name: "text/plain POST (CSRF)", method: "POST", path: "/api/v1/subscribers", token: W, ctype: "text/plain", body: `{"user":"6200","password":"x"}`, want: 415},
			{name: "form POST (CSRF)", method: "POST", path: "/api/v1/subscribers", token: W, ctype: "application/x-www-form-urlencoded", body: `{"user":"6200","password":"x"}`, want: 415},
			{name: "cross-site browser POST", method: "POST", path: "/api/v1/subscribers", token: W, ctype: jsonType, body: `{"user":"6200","password":"x"}`,
				header: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"}, want: 403},
			{name: "CSV deck", method: "POST", path: "/api/v1/rates/decks?deck=retail&side=sell&owner=account:*", token: W, ctype: "text/csv", body: deck, want: 200},
			{name: "deck as text/plain", method: "POST", path: "/api/v1/rates/decks?deck=retail&side=sell&owner=account:*", token: W, ctype: "text/plain", body: deck, want: 415},
			{name: "pprof without a token", method: "GET", path: "/debug/pprof/", want: 401},
			{name: "pprof with a read token", method: "GET", path: "/debug/pprof/", token: R, want: 403},
			{name: "pprof with a write token", method: "GET", path: "/debug/pprof/", token: W, want: 200},
			{name: "DNS rebinding", method: "GET", path: "/api/v1/events", host: "rebind.evil.example:" + port(sw.HTTPAddr), token: W, want: 421},
			{name: "Host another address", method: "GET", path: "/healthz", host: "192.0.2.1", want: 421},
			{name: "Host localhost", method: "GET", path: "/api/v1/calls", host: "localhost:" + port(sw.HTTPAddr), token: R, want: 200},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				code, h, body := adminRequest(t, sw, tc.method, tc.path, tc.host, tc.token, tc.ctype, tc.body, tc.header)
				if code != tc.want {
					t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, code, body, tc.want)
				}
				if code == 401 && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("401 with WWW-Authenticate %q, want Bearer", h.Get("WWW-Authenticate"))
				}
			})
		}
	})

	// A subscriber provisioned through the API: its HA1s are in the
	// journal, and nowhere the switch shows events.
	const user, pw = "6100", "e2e-S3cret-pw"
	ha1s := []string{auth.HA1(auth.MD5, user, sw.Opts.Realm, pw), auth.HA1(auth.SHA256, user, sw.Opts.Realm, pw)}
	if code, _, body := adminRequest(t, sw, "POST", "/api/v1/subscribers", "", W, jsonType, `{"user":"`+user+`","password":"`+pw+`"}`, nil); code != http.StatusCreated {
		t.Fatalf("provision %s: %d %s", user, code, body)
	}
	noSecrets := func(t *testing.T, what, out string) {
		t.Helper()
		for _, s := range append([]string{pw, wr, ro}, ha1s...) {
			if strings.Contains(out, s) {
				t.Errorf("%s holds a secret (%.8s...)", what, s)
			}
		}
		if m := digestResponse.FindString(out); m != "" {
			t.Errorf("%s holds a digest response: %s", what, m)
		}
	}
	t.Run("events redacted", func(t *testing.T) {
		code, _, body := adminRequest(t, sw, "GET", "/api/v1/events?limit=1000000", "", R, "", "", nil)
		if code != 200 {
			t.Fatalf("events: %d %s", code, body)
		}
		noSecrets(t, "/api/v1/events", body)
		if !strings.Contains(body, `"aggregate":"subscriber:`+user+`"`) || !strings.Contains(body, domain.Redacted) {
			t.Fatalf("/api/v1/events lacks the redacted subscriber.provisioned of %s", user)
		}
	})

	// A call with audit.capture: full: 6000's INVITE is challenged (407)
	// and sent again with Proxy-Authorization.
	uas := startUAS(t, sw, "uas", callee)
	if res := call(t, sw, "uac", callee); !res.OK() {
		t.Fatalf("call: %s", res)
	}
	uas.Wait(10 * time.Second)
	c := sw.WaitCDRs(t, 1, 10*time.Second)[0] // cdr list, through the API with the read token

	t.Run("captured messages redacted", func(t *testing.T) {
		code, _, body := adminRequest(t, sw, "GET", "/api/v1/calls/"+c.CallID+"/events", "", R, "", "", nil)
		if code != 200 {
			t.Fatalf("call events: %d %s", code, body)
		}
		noSecrets(t, "/api/v1/calls/{id}/events", body)
		authorized := 0
		for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
			var env domain.Envelope
			var tx domain.SIPTransaction
			if json.Unmarshal([]byte(line), &env) != nil || env.Type != domain.TypeSIPTransaction || json.Unmarshal(env.Payload, &tx) != nil {
				continue
			}
			if strings.Contains(tx.Request, "Proxy-Authorization:") {
				authorized++
				if !strings.Contains(tx.Request, `response="`+domain.Redacted+`"`) || !strings.Contains(tx.Request, `username="`+caller+`"`) {
					t.Errorf("Proxy-Authorization not redacted as it should be:\n%s", tx.Request)
				}
			}
		}
		if authorized == 0 {
			t.Fatalf("no captured INVITE with Proxy-Authorization: the test proves nothing\n%s", body)
		}
	})
	t.Run("replay", func(t *testing.T) {
		for _, args := range [][]string{{"--json"}, nil} {
			out, err := cliRun(t, sw.Bin, append([]string{"replay", "--config", sw.ConfigPath, "--call-id", c.CallID}, args...)...)
			if err != nil || !strings.Contains(out, "Proxy-Authorization") {
				t.Fatalf("replay %v: %v\n%s", args, err, out)
			}
			noSecrets(t, "replay "+strings.Join(args, " "), out)
		}
	})
	t.Run("export", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "bundle")
		out, err := cliRun(t, sw.Bin, "audit", "export", "--config", sw.ConfigPath, "--call-id", c.CallID, "--out", dir)
		if err != nil || !strings.Contains(out, "cdr true") || !strings.Contains(out, "journal proofs true") {
			t.Fatalf("audit export: %v\n%s", err, out)
		}
		files, _ := os.ReadDir(dir)
		for _, f := range files {
			b, err := os.ReadFile(filepath.Join(dir, f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			noSecrets(t, "bundle file "+f.Name(), string(b))
		}
	})

	t.Run("command-line verbs", func(t *testing.T) {
		cfg, err := os.ReadFile(sw.ConfigPath)
		if err != nil {
			t.Fatal(err)
		}
		opsLine := regexp.MustCompile(`(?m)^.*"` + wr + `".*\n`)
		readOnly := filepath.Join(t.TempDir(), "read-only.yaml")
		noToken := filepath.Join(t.TempDir(), "no-token.yaml")
		os.WriteFile(readOnly, opsLine.ReplaceAll(cfg, nil), 0o600)
		os.WriteFile(noToken, regexp.MustCompile(`(?m)^  tokens:\n(    - .*\n)+`).ReplaceAll(cfg, nil), 0o600)
		deckFile := filepath.Join(t.TempDir(), "deck.csv")
		os.WriteFile(deckFile, []byte(deck), 0o600)
		imp := func(config string) []string {
			return []string{"rates", "import", "--config", config, "--deck", "retail", "--side", "sell", "--owner", "account:*", deckFile}
		}
		tests := []struct {
			name string
			args []string
			ok   bool
			want string
		}{
			{"cdr list with the read token", []string{"cdr", "list", "--config", readOnly, "--json"}, true, c.CallID},
			{"calls search with the read token", []string{"calls", "search", "--config", readOnly, "--callee", callee}, true, callee},
			{"audit rebuild with the read token", []string{"audit", "rebuild", "--config", readOnly}, true, ""},
			{"rates import with the write token", imp(sw.ConfigPath), true, "published deck retail version 2"},
			{"rates import with a read token", imp(readOnly), false, "403"},
			{"cdr list without a token", []string{"cdr", "list", "--config", noToken}, false, "http.tokens"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				out, err := cliRun(t, sw.Bin, tc.args...)
				if (err == nil) != tc.ok || !strings.Contains(out, tc.want) {
					t.Fatalf("softswitch %v: %v, want success %v and %q in\n%s", tc.args[:2], err, tc.ok, tc.want, out)
				}
				noSecrets(t, "the output", out)
			})
		}
	})

	// The journal keeps the HA1: after a restart (projections rebuilt from
	// it) the subscriber provisioned through the API registers.
	sw.Restart(true)
	if res := register(t, sw, "register", user, pw, "127.0.0.1:5079", 60); !res.OK() {
		t.Fatalf("REGISTER %s after a restart: %s", user, res)
	}

	t.Run("no secret in the log", func(t *testing.T) {
		b, err := os.ReadFile(sw.LogPath)
		if err != nil {
			t.Fatal(err)
		}
		noSecrets(t, "the switch log", string(b))
		if !strings.Contains(string(b), "admin http: bearer token required") || !strings.Contains(string(b), "token=ops") {
			t.Errorf("the log says neither that tokens are required nor who wrote")
		}
	})
}

// TestE2EAdminNoToken: without a token the switch serves the API on
// loopback only and says so, still refusing DNS rebinding and simple-type
// posts; a non-loopback http.listen without a token does not start.
func TestE2EAdminNoToken(t *testing.T) {
	sw := itest.Start(t, itest.Options{NoAdminToken: true})
	for _, tc := range []struct {
		name, method, path, host, ctype, body string
		want                                  int
	}{
		{"read", "GET", "/api/v1/registrations", "", "", "", 200},
		{"write", "POST", "/api/v1/subscribers", "", "application/json", `{"user":"6200","password":"p"}`, 201},
		{"text/plain POST", "POST", "/api/v1/subscribers", "", "text/plain", `{"user":"6201","password":"p"}`, 415},
		{"DNS rebinding", "POST", "/api/v1/subscribers", "rebind.evil.example:" + port(sw.HTTPAddr), "application/json", `{"user":"6202","password":"p"}`, 421},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, body := adminRequest(t, sw, tc.method, tc.path, tc.host, "", tc.ctype, tc.body, nil); code != tc.want {
				t.Fatalf("%d %s, want %d", code, body, tc.want)
			}
		})
	}
	b, _ := os.ReadFile(sw.LogPath)
	if !strings.Contains(string(b), "loopback only") {
		t.Errorf("the start does not say the API is open on loopback only:\n%s", b)
	}

	t.Run("non-loopback listen refused", func(t *testing.T) {
		sipPort, err := itest.FreeUDPTCPPort()
		if err != nil {
			t.Fatal(err)
		}
		httpPort, err := itest.FreeTCPPort()
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, sw.Bin, "run", "--config", sw.ConfigPath, "--data", t.TempDir(),
			"--sip", net.JoinHostPort("127.0.0.1", itoa(sipPort)), "--http", net.JoinHostPort("0.0.0.0", itoa(httpPort)))
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "SOFTSWITCH_ADMIN_TOKEN=") { // no token from the environment either
				cmd.Env = append(cmd.Env, kv)
			}
		}
		out, err := cmd.CombinedOutput()
		if ctx.Err() != nil || err == nil || !strings.Contains(string(out), "http.listen") || !strings.Contains(string(out), "token") {
			t.Fatalf("run on 0.0.0.0 without a token: %v\n%s\nwant a config error naming http.listen", err, out)
		}
	})
}

func port(hostport string) string {
	_, p, _ := net.SplitHostPort(hostport)
	return p
}
