//go:build e2e

// The admin API's contract (issue 16 §2): schemathesis, a contract fuzzer,
// drives the running switch from the OpenAPI document the switch itself
// serves (api/openapi.json), and every answer must be no 5xx, a status the
// contract lists, with its content type and its schema.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"softswitch/api"
	"softswitch/internal/itest"
)

// schemathesisChecks are the checks the run applies, as schemathesis
// 4.32 (deploy/local/install-schemathesis.sh) names them.
var schemathesisChecks = []string{"not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance"}

// schemathesisExcluded are operations the fuzzer is not sent to, and why.
var schemathesisExcluded = []struct{ flag, value, why string }{
	// A CPU profile and a trace block for their seconds (30 s and 1 s by
	// default, as long as the fuzzer asks), and only one of each may run
	// at a time: a run would be all waiting and 500s for "already running".
	{"--exclude-path", "/debug/pprof/profile", "blocks for seconds"},
	{"--exclude-path", "/debug/pprof/trace", "blocks for seconds"},
	// A made-up trunk is a gateway the switch starts sending OPTIONS and
	// REGISTERs to, at whatever address the fuzzer wrote: this machine
	// sends traffic to loopback only. Its bad input is tested below.
	{"--exclude-operation-id", "putInterconnect", "would send SIP to made-up addresses"},
	// The live-calls stream never ends: TestE2EConsole reads it.
	{"--exclude-operation-id", "streamCalls", "an endless event stream"},
}

// schemathesisBin is the fuzzer test.sh installed ($SOFTSWITCH_SCHEMATHESIS),
// else one on PATH. Missing is a failure, never a skip: a contract test that
// does not run proves nothing.
func schemathesisBin(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("SOFTSWITCH_SCHEMATHESIS"); p != "" {
		return p
	}
	p, err := exec.LookPath("schemathesis")
	if err != nil {
		t.Fatal("schemathesis not installed: run deploy/local/install-schemathesis.sh and set SOFTSWITCH_SCHEMATHESIS=$(deploy/local/install-schemathesis.sh --venv)/bin/schemathesis (deploy/local/test.sh does both)")
	}
	return p
}

// TestE2EOpenAPIContract: the switch with the dialer on (so the campaign
// and click-to-call operations answer for real), a campaign named as the
// contract's examples name it, and schemathesis run against
// /api/openapi.json with a write token. Any failure fails the test with
// schemathesis' report.
func TestE2EOpenAPIContract(t *testing.T) {
	bin := schemathesisBin(t)
	tok := itest.RandomToken(t)
	subs := append(slices.Clone(itest.DefaultSubscribers), itest.DialerSubscriber)
	sw := itest.Start(t, itest.Options{Subscribers: subs,
		AdminTokens: []itest.AdminToken{{Name: "fuzzer", Token: tok, Scope: "write"}},
		ExtraYAML:   "dialer:\n  enabled: true\n  account: dialer\n"})
	// The contract's examples name campaign "spring" and agent 6001: with
	// them defined, the examples phase reaches past 404.
	postJSON(t, sw, "/api/v1/campaigns", campaignJSON("spring", []string{"6001", "6002"}, ""), 201)
	postCSV(t, sw, "/api/v1/campaigns/spring/leads", "number,name\n13800000001,Ada\n", 200)

	args := []string{"run", sw.URL(api.Path),
		"--header", "Authorization: Bearer " + tok,
		"--checks", strings.Join(schemathesisChecks, ","),
		// Bounded: a few dozen cases an operation, each answered in
		// milliseconds; the deadline below is the backstop.
		"--max-examples", "25",
		// One worker: with two, CPython 3.11's ast module (hypothesis
		// describing its filters from two threads) failed once with
		// "AST constructor recursion depth mismatch", an error of the
		// tool, not a finding.
		"--workers", "1",
		"--request-timeout", "20",
		"--generation-database", "none",
		"--no-color",
	}
	for _, x := range schemathesisExcluded {
		args = append(args, x.flag, x.value)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	// Hypothesis and the report write beside the working directory.
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil || ctx.Err() != nil {
		t.Fatalf("schemathesis %s: %v (context: %v)\n%s", strings.Join(args[:2], " "), err, ctx.Err(), out)
	}
	t.Logf("schemathesis:\n%s", tail(string(out), 40))

	// PUT /api/v1/interconnect is not fuzzed (above); its bad input is
	// refused here, each with a 400 before anything is recorded, and none
	// of these trunks is ever dialled (they are refused).
	t.Run("interconnect bad input", func(t *testing.T) {
		trunk := `{"name":"t1","carrier":"%s","address":"127.0.0.1:9","transport":"udp","max_channels":0,"max_cps":0,` +
			`"register":{"enabled":false},"options_interval_ns":0,"options_timeout_ns":0,"caller_id":{},"rewrite":{"format":"e164"}}`
		tests := []struct{ name, body string }{
			{"not JSON", `{"carriers":`},
			{"an unknown field", `{"carriers":[],"trunks":[],"routes":[],"dids":[],"peers":[]}`},
			{"a wrong type", `{"carriers":"cm"}`},
			{"a trunk of no carrier", `{"carriers":[],"trunks":[` + fmt.Sprintf(trunk, "nope") + `],"routes":[],"dids":[]}`},
			{"a route to no trunk", `{"carriers":[],"trunks":[],"routes":[{"prefix":"86","trunks":["nope"]}],"dids":[]}`},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				code, body, err := sw.DoRaw("PUT", "/api/v1/interconnect", "application/json", strings.NewReader(tc.body))
				if err != nil || code != 400 {
					t.Fatalf("%d %s %v, want 400", code, body, err)
				}
			})
		}
	})
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
