package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"softswitch/internal/config"
	"softswitch/internal/metrics"
)

const (
	testWriteToken = "w-0123456789abcdef0123456789"
	testReadToken  = "r-0123456789abcdef0123456789"
)

// guardFor builds the guard over a handler that answers 200 "reached",
// logging into the returned buffer.
func guardFor(t *testing.T, h config.HTTP) (http.Handler, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "reached") })
	return newAdminGuard(h, log, next), &logs
}

type guardCase struct {
	name         string
	method, path string
	host         string // default "127.0.0.1:8080"
	auth         string // Authorization header
	ctype        string
	body         string
	header       map[string]string
	want         int
	challenge    string // a WWW-Authenticate the answer must contain
}

func (tc guardCase) run(t *testing.T, g http.Handler) {
	t.Helper()
	var body io.Reader
	if tc.body != "" {
		body = strings.NewReader(tc.body)
	}
	r := httptest.NewRequest(tc.method, tc.path, body)
	r.Host = "127.0.0.1:8080"
	if tc.host != "" {
		r.Host = tc.host
	}
	if tc.auth != "" {
		r.Header.Set("Authorization", tc.auth)
	}
	if tc.ctype != "" {
		r.Header.Set("Content-Type", tc.ctype)
	}
	for k, v := range tc.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	if w.Code != tc.want {
		t.Fatalf("%s %s: %d %q, want %d", tc.method, tc.path, w.Code, w.Body, tc.want)
	}
	if reached := w.Body.String() == "reached"; reached != (tc.want == http.StatusOK) {
		t.Fatalf("handler reached %v with status %d", reached, w.Code)
	}
	if got := w.Header().Get("WWW-Authenticate"); !strings.Contains(got, tc.challenge) || (tc.challenge != "" && !strings.HasPrefix(got, "Bearer ")) {
		t.Fatalf("WWW-Authenticate %q, want one containing %q", got, tc.challenge)
	}
}

// TestAdminGuardTokens: the bearer tokens, their scopes, the Host check,
// CSRF and content types, with a read and a write token configured.
func TestAdminGuardTokens(t *testing.T) {
	g, logs := guardFor(t, config.HTTP{Listen: "127.0.0.1:8080", Hostnames: []string{"switch.example"},
		Tokens: []config.Token{{Name: "ops", Token: testWriteToken, Scope: "write"}, {Name: "grafana", Token: testReadToken, Scope: "read"}}})
	const json = "application/json"
	W, R := "Bearer "+testWriteToken, "Bearer "+testReadToken
	tests := []guardCase{
		{name: "health probe needs no token", method: "GET", path: "/healthz", want: 200},
		{name: "no header", method: "GET", path: "/api/v1/registrations", want: 401, challenge: "Bearer"},
		{name: "wrong scheme", method: "GET", path: "/api/v1/registrations", auth: "Basic b3BzOnNlY3JldA==", want: 401, challenge: "Bearer"},
		{name: "scheme without token", method: "GET", path: "/api/v1/registrations", auth: "Bearer ", want: 401, challenge: "Bearer"},
		{name: "token without scheme", method: "GET", path: "/api/v1/registrations", auth: testWriteToken, want: 401, challenge: "Bearer"},
		{name: "wrong token", method: "GET", path: "/api/v1/events", auth: "Bearer " + testWriteToken + "x", want: 401, challenge: `error="invalid_token"`},
		{name: "a token's prefix", method: "GET", path: "/api/v1/events", auth: W[:len(W)-1], want: 401, challenge: `error="invalid_token"`},
		{name: "read token reads", method: "GET", path: "/api/v1/events", auth: R, want: 200},
		{name: "scheme in any case", method: "GET", path: "/metrics", auth: "bearer " + testReadToken, want: 200},
		{name: "metrics are not open", method: "GET", path: "/metrics", want: 401, challenge: "Bearer"},
		{name: "read token on POST", method: "POST", path: "/api/v1/subscribers", auth: R, ctype: json, body: `{}`, want: 403, challenge: `error="insufficient_scope"`},
		{name: "read token on PUT", method: "PUT", path: "/api/v1/interconnect", auth: R, ctype: json, body: `{}`, want: 403, challenge: "insufficient_scope"},
		{name: "read token on DELETE", method: "DELETE", path: "/api/v1/subscribers/6000", auth: R, want: 403, challenge: "insufficient_scope"},
		{name: "write token", method: "POST", path: "/api/v1/subscribers", auth: W, ctype: json, body: `{}`, want: 200},
		{name: "write token reads", method: "GET", path: "/api/v1/calls", auth: W, want: 200},
		{name: "JSON with a charset", method: "PUT", path: "/api/v1/interconnect", auth: W, ctype: "application/json; charset=utf-8", body: `{}`, want: 200},
		{name: "text/plain POST", method: "POST", path: "/api/v1/subscribers", auth: W, ctype: "text/plain", body: `{}`, want: 415},
		{name: "form POST", method: "POST", path: "/api/v1/subscribers", auth: W, ctype: "application/x-www-form-urlencoded", body: `{}`, want: 415},
		{name: "body without a type", method: "POST", path: "/api/v1/subscribers", auth: W, body: `{}`, want: 415},
		{name: "CSV deck", method: "POST", path: "/api/v1/rates/decks?deck=d&side=sell&owner=account:*", auth: W, ctype: "text/csv", body: "prefix\n", want: 200},
		{name: "deck as text/plain", method: "POST", path: "/api/v1/rates/decks", auth: W, ctype: "text/plain", body: "prefix\n", want: 415},
		{name: "deck as JSON", method: "POST", path: "/api/v1/rates/decks", auth: W, ctype: json, body: "{}", want: 415},
		{name: "read token on a deck", method: "POST", path: "/api/v1/rates/decks", auth: R, ctype: "text/csv", body: "prefix\n", want: 403, challenge: "insufficient_scope"},
		{name: "bodyless re-rate", method: "POST", path: "/api/v1/rates/rerate?from=a&to=b", auth: W, want: 200},
		{name: "bodyless POST with a simple type", method: "POST", path: "/api/v1/rates/rerate", auth: W, ctype: "text/plain", want: 415},
		{name: "pprof without a token", method: "GET", path: "/debug/pprof/heap", want: 401, challenge: "Bearer"},
		{name: "pprof with a read token", method: "GET", path: "/debug/pprof/profile", auth: R, want: 403, challenge: "insufficient_scope"},
		{name: "pprof with a write token", method: "GET", path: "/debug/pprof/", auth: W, want: 200},
		{name: "Host of a rebound DNS name", method: "GET", path: "/api/v1/events", host: "evil.example:8080", auth: W, want: 421},
		{name: "Host mismatch on the health probe", method: "GET", path: "/healthz", host: "evil.example", want: 421},
		{name: "Host another address", method: "GET", path: "/api/v1/events", host: "10.0.0.1:8080", auth: W, want: 421},
		{name: "Host empty", method: "GET", path: "/api/v1/events", host: " ", auth: W, want: 421},
		{name: "Host a configured name", method: "GET", path: "/api/v1/events", host: "Switch.Example.:443", auth: R, want: 200},
		{name: "Host localhost on a loopback listen", method: "GET", path: "/api/v1/events", host: "localhost:8080", auth: R, want: 200},
		{name: "Host without port", method: "GET", path: "/api/v1/events", host: "127.0.0.1", auth: R, want: 200},
		{name: "cross-site browser POST", method: "POST", path: "/api/v1/subscribers", auth: W, ctype: json, body: "{}",
			header: map[string]string{"Sec-Fetch-Site": "cross-site"}, want: 403},
		{name: "cross-origin POST from an old browser", method: "POST", path: "/api/v1/subscribers", auth: W, ctype: json, body: "{}",
			header: map[string]string{"Origin": "http://evil.example"}, want: 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, g) })
	}
	// Every refusal is counted by reason, logged or not (the log keeps
	// one a second).
	got := map[string]float64{}
	g.(*adminGuard).emit(func(_ metrics.Kind, name, _ string, v float64, labels ...string) {
		if name == "softswitch_admin_refused_total" && len(labels) == 2 {
			got[labels[1]] = v
		}
	})
	want := map[string]float64{"host": 4, "no_token": 6, "invalid_token": 2, "read_only": 5, "cross_origin": 2, "content_type": 6}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("refusals counted %v, want %v", got, want)
	}
	for _, tok := range []string{testWriteToken, testReadToken} {
		if strings.Contains(logs.String(), tok) {
			t.Errorf("a token in the log:\n%s", logs)
		}
	}
	if !strings.Contains(logs.String(), "admin http: bearer token required") || !strings.Contains(logs.String(), "token=ops") {
		t.Errorf("the log says neither that tokens are required nor which token wrote:\n%s", logs)
	}
}

// TestAdminGuardNoToken: with no token configured (config validation kept
// the listen address on loopback) every path is open to local processes,
// but the Host, CSRF and content type checks still hold: they are what
// keeps a browser on the same machine out.
func TestAdminGuardNoToken(t *testing.T) {
	g, logs := guardFor(t, config.HTTP{Listen: "127.0.0.1:8080"})
	tests := []guardCase{
		{name: "read", method: "GET", path: "/api/v1/events", want: 200},
		{name: "write", method: "POST", path: "/api/v1/subscribers", ctype: "application/json", body: "{}", want: 200},
		{name: "pprof", method: "GET", path: "/debug/pprof/", want: 200},
		{name: "text/plain POST", method: "POST", path: "/api/v1/subscribers", ctype: "text/plain", body: "{}", want: 415},
		{name: "DNS rebinding", method: "POST", path: "/api/v1/subscribers", host: "rebind.evil.example:8080", ctype: "application/json", body: "{}", want: 421},
		{name: "cross-site POST", method: "POST", path: "/api/v1/rates/rerate", header: map[string]string{"Sec-Fetch-Site": "cross-site"}, want: 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, g) })
	}
	if !strings.Contains(logs.String(), "loopback only") {
		t.Errorf("the start does not say the API is on loopback only:\n%s", logs)
	}
}

// TestAdminGuardEveryAddress: listening on every address, any address
// literal names the API (a rebinding page sends a name), names only when
// configured.
func TestAdminGuardEveryAddress(t *testing.T) {
	g, _ := guardFor(t, config.HTTP{Listen: "0.0.0.0:8080", Hostnames: []string{"switch.example"},
		Tokens: []config.Token{{Name: "ops", Token: testWriteToken, Scope: "write"}}})
	W := "Bearer " + testWriteToken
	tests := []guardCase{
		{name: "pod address", method: "GET", path: "/healthz", host: "10.42.0.7:8080", want: 200},
		{name: "IPv6 address", method: "GET", path: "/api/v1/calls", host: "[2001:db8::7]:8080", auth: W, want: 200},
		{name: "localhost", method: "GET", path: "/api/v1/calls", host: "localhost:8080", auth: W, want: 200},
		{name: "configured name", method: "GET", path: "/api/v1/calls", host: "switch.example:8080", auth: W, want: 200},
		{name: "other name", method: "GET", path: "/api/v1/calls", host: "other.example:8080", auth: W, want: 421},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, g) })
	}
}

// TestAdminAPIClient: the command-line verbs send the read token on reads
// and the write token on writes, to an address the guard accepts.
func TestAdminAPIClient(t *testing.T) {
	tests := []struct {
		name, listen string
		tokens       []config.Token
		addr         string
		get, post    string // Authorization sent
	}{
		{"no token", "127.0.0.1:8080", nil, "127.0.0.1:8080", "", ""},
		{"read and write", "127.0.0.1:8080", []config.Token{{Name: "w", Token: testWriteToken, Scope: "write"}, {Name: "r", Token: testReadToken, Scope: "read"}},
			"127.0.0.1:8080", "Bearer " + testReadToken, "Bearer " + testWriteToken},
		{"write only", "0.0.0.0:8080", []config.Token{{Name: "w", Token: testWriteToken, Scope: "write"}}, "127.0.0.1:8080", "Bearer " + testWriteToken, "Bearer " + testWriteToken},
		// A write with a read token gets a 403 that says a write token is
		// needed, rather than a 401.
		{"read only", "[::]:8080", []config.Token{{Name: "r", Token: testReadToken, Scope: "read"}}, "[::1]:8080", "Bearer " + testReadToken, "Bearer " + testReadToken},
		{"every address, no host", ":8080", []config.Token{{Name: "r", Token: testReadToken, Scope: "read"}}, "127.0.0.1:8080", "Bearer " + testReadToken, "Bearer " + testReadToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := newAdminAPI(config.HTTP{Listen: tc.listen, Tokens: tc.tokens})
			if api.addr != tc.addr {
				t.Errorf("addr %s, want %s", api.addr, tc.addr)
			}
			for method, want := range map[string]string{"GET": tc.get, "POST": tc.post} {
				req, err := api.request(t.Context(), method, "/api/v1/cdrs?x=1", nil)
				if err != nil {
					t.Fatal(err)
				}
				if got := req.Header.Get("Authorization"); got != want {
					t.Errorf("%s sends %q, want %q", method, got, want)
				}
				if req.URL.String() != "http://"+tc.addr+"/api/v1/cdrs?x=1" {
					t.Errorf("%s %s", method, req.URL)
				}
			}
		})
	}
}
