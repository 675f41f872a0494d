// Package itest is the end-to-end test harness for the softswitch: it builds
// the binary once per test binary, starts it on free loopback ports with a
// throw-away config and data directory, drives it with SIPp scenarios from
// deploy/sipp, and reads the admin API and `softswitch cdr list --json`.
//
// Everything talks to 127.0.0.1 only, or to network namespaces the test
// made itself (netns.go, netbridge.go), and every wait is bounded.
//
// Environment:
//
//	SOFTSWITCH_REQUIRE_SIPP=1   fail (instead of skip) when sipp is missing
//	SOFTSWITCH_BIN=/path        use this binary instead of building one
//	SOFTSWITCH_KEEP_LOGS=1      print the switch log even when a test passes
package itest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Subscriber is one entry of the config's subscribers list.
type Subscriber struct {
	User     string
	Password string
	// Record and DirectMedia are the subscriber's record and direct_media
	// (media: docs/configuration.md); both default false.
	Record, DirectMedia bool
	// Identities are the numbers it may present by P-Preferred-Identity.
	Identities []string
}

// AdminToken is one entry of the config's http.tokens.
type AdminToken struct {
	Name, Token, Scope string
}

// Options shape the generated config. Zero values get test-friendly defaults.
type Options struct {
	Subscribers []Subscriber // default: 6000..6003 with password 1234
	Realm       string       // default "softswitch.test"
	// AuthAlgorithms are sip.auth_algorithms; default MD5 alone, as SIPp
	// 3.6 knows no other.
	AuthAlgorithms  []string
	RingTimeout     time.Duration // default 3s
	MaxCallDuration time.Duration // default 1h
	MinExpires      int           // sip.min_expires; 0 leaves the switch default
	// SessionExpires and MinSE set sip.session_expires and sip.min_se
	// (RFC 4028); zero leaves the switch defaults (30m, 90s).
	SessionExpires, MinSE time.Duration
	DataDir               string // default: a fresh t.TempDir()
	NodeID                string // default "itest-<pid>"
	// TrunkAttemptTimeout is sip.trunk_attempt_timeout; 0 leaves the
	// switch default.
	TrunkAttemptTimeout time.Duration
	// SIPYAML is appended inside the sip: section, each line indented
	// by two spaces (e.g. "edge:\n  tcp_idle_timeout: 1s").
	SIPYAML string
	// ExtraYAML is appended verbatim to the config (top-level keys that the
	// generated part does not already set, e.g. "security:\n  ...").
	ExtraYAML string
	// StartTimeout bounds the wait for /healthz (default 20s).
	StartTimeout time.Duration
	// AdminTokens are http.tokens. nil: one write token made up for the
	// switch, so that every test reaches the admin API (and every CLI verb
	// reaches the switch) through authentication, as in production.
	AdminTokens []AdminToken
	// NoAdminToken configures no token at all: the API asks for none and
	// listens on loopback only.
	NoAdminToken bool
	// Netns runs the switch inside this network namespace (`ip netns
	// exec`, which execs the switch in place, so Kill and Stop signal the
	// switch itself); "" runs it in the test's own.
	Netns string
	// Host is the IP the SIP and admin listeners bind (and media, which
	// follows sip.listen); default 127.0.0.1. Its ports are picked free
	// on the test's loopback, which in a fresh namespace is as good as
	// any.
	Host string
}

// DialerSubscriber is the account the dialer calls as in the e2e tests,
// with the caller IDs the tests' campaigns present (021 1234 5678/9).
var DialerSubscriber = Subscriber{User: "dialer", Password: "d1al3r", Identities: []string{"862112345678", "862112345679"}}

// DefaultSubscribers are the users the e2e tests use (the seed's 6000/1234).
var DefaultSubscribers = []Subscriber{
	{User: "6000", Password: "1234"}, {User: "6001", Password: "1234"},
	{User: "6002", Password: "1234"}, {User: "6003", Password: "1234"},
}

// Switch is one running (or stopped) softswitch process.
type Switch struct {
	t          testing.TB
	Bin        string
	ConfigPath string
	DataDir    string
	LogPath    string // stdout+stderr of every start, appended
	SIPAddr    string // 127.0.0.1:port, UDP and TCP
	SIPPort    int
	HTTPAddr   string
	Opts       Options
	// AdminToken is the token the HTTP helpers (Do, GetJSON, Events, ...)
	// send: the first write token of Opts.AdminTokens, else the first
	// token; "" with none.
	AdminToken string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	logf    *os.File
	starts  int
}

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

// RepoRoot walks up from the working directory to the directory holding go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for i := 0; i < 20; i++ { // bounded: no repo is 20 levels deep
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", errors.New("itest: go.mod not found above the working directory")
}

// RemoveBinary deletes the binary Binary built, if it built one; a test
// package's TestMain calls it once its tests are done, so runs do not
// leave 20 MB behind in the temp dir each.
func RemoveBinary() {
	if buildBin != "" {
		_ = os.RemoveAll(filepath.Dir(buildBin))
	}
}

// Binary returns the softswitch binary, building ./cmd/softswitch once per
// test binary into a temp dir (RemoveBinary deletes it). SOFTSWITCH_BIN
// overrides the build.
func Binary(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("SOFTSWITCH_BIN"); b != "" {
		return b
	}
	buildOnce.Do(func() {
		root, err := RepoRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "softswitch-itest-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildBin = filepath.Join(dir, "softswitch")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "build", "-o", buildBin, "./cmd/softswitch")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/softswitch: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("itest: %v", buildErr)
	}
	return buildBin
}

// Start builds (once) and starts a switch with a fresh config on free ports,
// waits for /healthz and registers cleanup (SIGTERM, then SIGKILL).
func Start(t testing.TB, opts Options) *Switch {
	t.Helper()
	if opts.Subscribers == nil {
		opts.Subscribers = DefaultSubscribers
	}
	if opts.Realm == "" {
		opts.Realm = "softswitch.test"
	}
	if opts.RingTimeout == 0 {
		opts.RingTimeout = 3 * time.Second
	}
	if opts.MaxCallDuration == 0 {
		opts.MaxCallDuration = time.Hour
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 20 * time.Second
	}
	if opts.DataDir == "" {
		opts.DataDir = filepath.Join(t.TempDir(), "data")
	}
	if opts.AdminTokens == nil && !opts.NoAdminToken {
		opts.AdminTokens = []AdminToken{{Name: "itest", Token: RandomToken(t), Scope: "write"}}
	}
	if opts.NoAdminToken {
		opts.AdminTokens = nil
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	bin := Binary(t)
	sipPort, err := FreeUDPTCPPort()
	if err != nil {
		t.Fatalf("itest: %v", err)
	}
	httpPort, err := FreeTCPPort()
	if err != nil {
		t.Fatalf("itest: %v", err)
	}
	dir := t.TempDir()
	s := &Switch{
		t:          t,
		Bin:        bin,
		ConfigPath: filepath.Join(dir, "softswitch.yaml"),
		DataDir:    opts.DataDir,
		LogPath:    filepath.Join(dir, "softswitch.log"),
		SIPAddr:    net.JoinHostPort(opts.Host, strconv.Itoa(sipPort)),
		SIPPort:    sipPort,
		HTTPAddr:   net.JoinHostPort(opts.Host, strconv.Itoa(httpPort)),
		Opts:       opts,
		AdminToken: clientToken(opts.AdminTokens),
	}
	if err := os.WriteFile(s.ConfigPath, []byte(s.configYAML()), 0o600); err != nil {
		t.Fatalf("itest: write config: %v", err)
	}
	t.Cleanup(func() {
		_ = s.Stop()
		if t.Failed() || os.Getenv("SOFTSWITCH_KEEP_LOGS") == "1" {
			s.dumpLog()
		}
		if s.logf != nil {
			s.logf.Close()
		}
	})
	s.start()
	return s
}

func (s *Switch) configYAML() string {
	var b strings.Builder
	node := s.Opts.NodeID
	if node == "" {
		node = fmt.Sprintf("itest-%d", os.Getpid())
	}
	fmt.Fprintf(&b, "node_id: %s\n", node)
	fmt.Fprintf(&b, "data_dir: %q\n", s.DataDir)
	b.WriteString("sip:\n")
	fmt.Fprintf(&b, "  listen: %q\n", s.SIPAddr)
	fmt.Fprintf(&b, "  realm: %q\n", s.Opts.Realm)
	algs := s.Opts.AuthAlgorithms
	if len(algs) == 0 {
		algs = []string{"MD5"}
	}
	fmt.Fprintf(&b, "  auth_algorithms: [%s]\n", strings.Join(algs, ", "))
	fmt.Fprintf(&b, "  ring_timeout: %q\n", s.Opts.RingTimeout.String())
	fmt.Fprintf(&b, "  max_call_duration: %q\n", s.Opts.MaxCallDuration.String())
	if s.Opts.TrunkAttemptTimeout > 0 {
		fmt.Fprintf(&b, "  trunk_attempt_timeout: %q\n", s.Opts.TrunkAttemptTimeout.String())
	}
	if s.Opts.MinExpires > 0 {
		fmt.Fprintf(&b, "  min_expires: %d\n", s.Opts.MinExpires)
	}
	if s.Opts.SessionExpires > 0 {
		fmt.Fprintf(&b, "  session_expires: %q\n  min_se: %q\n", s.Opts.SessionExpires.String(), s.Opts.MinSE.String())
	}
	for _, l := range strings.Split(strings.TrimRight(s.Opts.SIPYAML, "\n"), "\n") {
		if l != "" {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	b.WriteString("http:\n")
	fmt.Fprintf(&b, "  listen: %q\n", s.HTTPAddr)
	if len(s.Opts.AdminTokens) > 0 {
		b.WriteString("  tokens:\n")
		for _, tok := range s.Opts.AdminTokens {
			fmt.Fprintf(&b, "    - {name: %q, token: %q, scope: %q}\n", tok.Name, tok.Token, tok.Scope)
		}
	}
	b.WriteString("subscribers:\n")
	for _, sub := range s.Opts.Subscribers {
		fmt.Fprintf(&b, "  - {user: %q, password: %q", sub.User, sub.Password)
		if sub.Record {
			b.WriteString(", record: true")
		}
		if sub.DirectMedia {
			b.WriteString(", direct_media: true")
		}
		if len(sub.Identities) > 0 {
			fmt.Fprintf(&b, ", identities: [%s]", strings.Join(sub.Identities, ", "))
		}
		b.WriteString("}\n")
	}
	if s.Opts.ExtraYAML != "" {
		b.WriteString(s.Opts.ExtraYAML)
		if !strings.HasSuffix(s.Opts.ExtraYAML, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func (s *Switch) start() {
	s.t.Helper()
	s.mu.Lock()
	if s.logf == nil {
		f, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			s.mu.Unlock()
			s.t.Fatalf("itest: open log: %v", err)
		}
		s.logf = f
	}
	s.starts++
	fmt.Fprintf(s.logf, "\n===== itest: start #%d at %s =====\n", s.starts, time.Now().Format(time.RFC3339Nano))
	args := []string{s.Bin, "run", "--config", s.ConfigPath,
		"--sip", s.SIPAddr, "--http", s.HTTPAddr, "--data", s.DataDir}
	if s.Opts.Netns != "" {
		args = append([]string{"ip", "netns", "exec", s.Opts.Netns}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout = s.logf
	cmd.Stderr = s.logf
	// own process group, so a stray child can never outlive the test
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		s.t.Fatalf("itest: start %s: %v", s.Bin, err)
	}
	done := make(chan struct{})
	s.cmd, s.done, s.waitErr = cmd, done, nil
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		s.waitErr = err
		s.mu.Unlock()
		close(done)
	}()
	if err := s.WaitHealthy(s.Opts.StartTimeout); err != nil {
		s.dumpLog()
		s.t.Fatalf("itest: switch not healthy: %v", err)
	}
}

// WaitHealthy polls GET /healthz until 200, the process exits, or timeout.
func (s *Switch) WaitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("process exited during startup: %v", s.waitErr)
		default:
		}
		resp, err := client.Get("http://" + s.HTTPAddr + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Errorf("healthz: %s", resp.Status)
		} else {
			last = err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no 200 from /healthz within %s (last: %v)", timeout, last)
}

// Running reports whether the process is alive.
func (s *Switch) Running() bool {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// PID of the running process (0 if none).
func (s *Switch) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Stop sends SIGTERM and waits up to 15s for a clean exit, then SIGKILLs.
// It returns the process's exit error (nil for a clean exit).
func (s *Switch) Stop() error {
	return s.signalAndWait(syscall.SIGTERM, 15*time.Second)
}

// Kill sends SIGKILL (crash simulation) and waits for the process to go.
func (s *Switch) Kill() {
	_ = s.signalAndWait(syscall.SIGKILL, 10*time.Second)
}

func (s *Switch) signalAndWait(sig syscall.Signal, grace time.Duration) error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil || done == nil {
		return nil
	}
	select {
	case <-done:
		return s.exitErr()
	default:
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(grace):
		// the whole group: nothing the switch started may survive the test
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return fmt.Errorf("itest: switch did not exit within %s of %v; killed", grace, sig)
	}
	return s.exitErr()
}

func (s *Switch) exitErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waitErr
}

// Restart stops the switch with SIGTERM (graceful=true) or SIGKILL and starts
// it again on the same config, ports and data dir.
func (s *Switch) Restart(graceful bool) {
	s.t.Helper()
	if graceful {
		if err := s.Stop(); err != nil {
			s.t.Errorf("itest: graceful stop: %v", err)
		}
	} else {
		s.Kill()
	}
	s.start()
}

// dumpLog prints the (tail of the) switch log into the test output.
func (s *Switch) dumpLog() {
	b, err := os.ReadFile(s.LogPath)
	if err != nil {
		s.t.Logf("itest: no switch log: %v", err)
		return
	}
	const max = 64 << 10
	if len(b) > max {
		b = append([]byte("...(truncated)...\n"), b[len(b)-max:]...)
	}
	s.t.Logf("---- switch log %s ----\n%s\n---- end of switch log ----", s.LogPath, b)
}

// RandomToken is a fresh admin API token (32 hex digits).
func RandomToken(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("itest: token: %v", err)
	}
	return hex.EncodeToString(b)
}

func clientToken(toks []AdminToken) string {
	for _, t := range toks {
		if t.Scope == "write" {
			return t.Token
		}
	}
	if len(toks) > 0 {
		return toks[0].Token
	}
	return ""
}

// URL of an admin API path. A request to it needs Authorize.
func (s *Switch) URL(path string) string { return "http://" + s.HTTPAddr + path }

// Authorize adds the switch's admin token (AdminToken) to a request.
func (s *Switch) Authorize(req *http.Request) {
	if s.AdminToken != "" {
		req.Header.Set("Authorization", "Bearer "+s.AdminToken)
	}
}

// Do performs an admin HTTP request with a 10s bound, body (if any) as
// JSON, and returns status and body.
func (s *Switch) Do(method, path string, body any) (int, []byte, error) {
	if body == nil {
		return s.DoRaw(method, path, "", nil)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	return s.DoRaw(method, path, "application/json", bytes.NewReader(b))
}

// DoRaw performs an admin HTTP request with the switch's token, a body of
// contentType ("" for none) and a 10s bound, and returns status and body.
func (s *Switch) DoRaw(method, path, contentType string, body io.Reader) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.URL(path), body)
	if err != nil {
		return 0, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	s.Authorize(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	return resp.StatusCode, b, err
}

// GetJSON GETs path and decodes a 200 JSON body into v (fails the test otherwise).
func (s *Switch) GetJSON(t testing.TB, path string, v any) {
	t.Helper()
	code, body, err := s.Do(http.MethodGet, path, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if code != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: decode: %v\n%s", path, err, body)
	}
}

// Metrics returns the /metrics text.
func (s *Switch) Metrics(t testing.TB) string {
	t.Helper()
	code, body, err := s.Do(http.MethodGet, "/metrics", nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", code, err)
	}
	return string(body)
}

// Eventually polls cond every 100ms until it returns true or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, msg string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for: %s", timeout, msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ---- admin API shapes ----

// Contact is one binding of an AOR.
type Contact struct {
	Contact   string    `json:"contact"`
	ExpiresAt time.Time `json:"expires_at"`
	Source    string    `json:"source"`
	Transport string    `json:"transport"`
}

// Registration is one element of GET /api/v1/registrations.
type Registration struct {
	AOR      string    `json:"aor"`
	Contacts []Contact `json:"contacts"`
}

// Registrations returns GET /api/v1/registrations.
func (s *Switch) Registrations(t testing.TB) []Registration {
	t.Helper()
	var regs []Registration
	s.GetJSON(t, "/api/v1/registrations", &regs)
	return regs
}

// ContactsOf returns the contact URIs bound to aor (user part, e.g. "6001").
func (s *Switch) ContactsOf(t testing.TB, aor string) []string {
	t.Helper()
	var out []string
	for _, r := range s.Registrations(t) {
		if r.AOR == aor || strings.HasPrefix(r.AOR, "sip:"+aor+"@") || strings.HasPrefix(r.AOR, aor+"@") {
			for _, c := range r.Contacts {
				out = append(out, c.Contact)
			}
		}
	}
	return out
}

// ActiveCalls returns GET /api/v1/calls as raw JSON objects.
func (s *Switch) ActiveCalls(t testing.TB) []map[string]any {
	t.Helper()
	var calls []map[string]any
	s.GetJSON(t, "/api/v1/calls", &calls)
	return calls
}

// Leg is one leg of a CDR.
type Leg struct {
	Leg       string     `json:"leg"`
	Side      string     `json:"side"`
	SIPCallID string     `json:"sip_call_id"`
	Start     time.Time  `json:"start"`
	Answer    *time.Time `json:"answer"`
	End       *time.Time `json:"end"`
	SIPCode   int        `json:"sip_code"`
}

// CDR is the JSON shape of `cdr list --json` and GET /api/v1/cdrs.
type CDR struct {
	ID          string         `json:"id"`
	CallID      string         `json:"call_id"`
	SIPCallID   string         `json:"sip_call_id"`
	Caller      string         `json:"caller"`
	Callee      string         `json:"callee"`
	Start       time.Time      `json:"start"`
	Answer      *time.Time     `json:"answer"`
	End         time.Time      `json:"end"`
	DurationMS  int64          `json:"duration_ms"`
	BillableS   int64          `json:"billable_s"`
	Disposition string         `json:"disposition"`
	SIPCode     int            `json:"sip_code"`
	Reason      string         `json:"reason"`
	EndedBy     string         `json:"ended_by"`
	Legs        []Leg          `json:"legs"`
	Raw         map[string]any `json:"-"`
}

// CDRsAPI returns GET /api/v1/cdrs.
func (s *Switch) CDRsAPI(t testing.TB) []CDR {
	t.Helper()
	var raws []json.RawMessage
	s.GetJSON(t, "/api/v1/cdrs", &raws)
	out := make([]CDR, 0, len(raws))
	for _, r := range raws {
		out = append(out, decodeCDR(t, r))
	}
	return out
}

func decodeCDR(t testing.TB, b []byte) CDR {
	t.Helper()
	var c CDR
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("decode CDR: %v\n%s", err, b)
	}
	_ = json.Unmarshal(b, &c.Raw)
	return c
}

// CDRList runs `BIN cdr list --config FILE --json` (bounded to 30s) and
// parses one CDR per line. It works whether or not the switch is running.
func (s *Switch) CDRList(t testing.TB) []CDR {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.Bin, "cdr", "list", "--config", s.ConfigPath, "--json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("cdr list: %v\nstderr: %s", err, stderr.String())
	}
	var out []CDR
	for _, line := range strings.Split(stdout.String(), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		out = append(out, decodeCDR(t, []byte(line)))
	}
	return out
}

// WaitCDRs polls `cdr list --json` until at least n CDRs exist (CDRs are built
// asynchronously from the journal) and returns them.
func (s *Switch) WaitCDRs(t testing.TB, n int, timeout time.Duration) []CDR {
	t.Helper()
	var cdrs []CDR
	Eventually(t, timeout, strconv.Itoa(n)+" CDR(s) in `cdr list --json`", func() bool {
		cdrs = s.CDRList(t)
		return len(cdrs) >= n
	})
	return cdrs
}
