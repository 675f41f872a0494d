package itest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// DefaultSIPpTimeout bounds a RunSIPp whose context has no deadline.
const DefaultSIPpTimeout = 30 * time.Second

// RequireSIPp returns the sipp path. Without it the test is skipped, unless
// SOFTSWITCH_REQUIRE_SIPP=1, in which case it fails.
func RequireSIPp(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("sipp")
	if err == nil {
		return p
	}
	msg := "sipp not installed (install Debian's sip-tester: deploy/local/install-sipp.sh)"
	if os.Getenv("SOFTSWITCH_REQUIRE_SIPP") == "1" {
		t.Fatalf("%s, and SOFTSWITCH_REQUIRE_SIPP=1", msg)
	}
	t.Skip(msg + "; set SOFTSWITCH_REQUIRE_SIPP=1 to make this a failure")
	return ""
}

// Scenario returns the absolute path of deploy/sipp/<name> (".xml" optional).
func Scenario(t testing.TB, name string) string {
	t.Helper()
	if filepath.IsAbs(name) {
		return name
	}
	if !strings.HasSuffix(name, ".xml") {
		name += ".xml"
	}
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, "deploy", "sipp", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("scenario %s: %v", name, err)
	}
	return p
}

// SIPpResult is the outcome of one SIPp run.
type SIPpResult struct {
	Scenario   string
	ExitCode   int // 0 all calls succeeded, 1 some failed, 99 no call, -1 killed (timeout)
	TimedOut   bool
	Successful int // cumulative "Successful call"
	Failed     int // cumulative "Failed call"
	Stdout     string
	Stderr     string
	MessageLog string // path of -message_file (every SIP message sent/received)
	ErrorLog   string // path of -error_file
	StatFile   string // path of -stf
	Duration   time.Duration
}

// Messages returns the content of the -trace_msg log.
func (r SIPpResult) Messages() string {
	b, _ := os.ReadFile(r.MessageLog)
	return string(b)
}

// Errors returns the content of the -trace_err log.
func (r SIPpResult) Errors() string {
	b, _ := os.ReadFile(r.ErrorLog)
	return string(b)
}

// OK reports exit code 0 with at least one successful and no failed call.
func (r SIPpResult) OK() bool { return r.ExitCode == 0 && r.Successful > 0 && r.Failed == 0 }

// String is a one-line summary plus logs, for test failure messages.
func (r SIPpResult) String() string {
	return fmt.Sprintf("sipp %s: exit=%d timedOut=%v successful=%d failed=%d in %s\n--- errors ---\n%s\n--- messages ---\n%s\n--- stderr ---\n%s",
		filepath.Base(r.Scenario), r.ExitCode, r.TimedOut, r.Successful, r.Failed, r.Duration.Round(time.Millisecond),
		tail(r.Errors(), 4000), tail(r.Messages(), 12000), tail(r.Stderr, 2000))
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "...\n" + s[len(s)-n:]
}

// SIPp is a SIPp process started in the background (typically a UAS).
type SIPp struct {
	t        testing.TB
	Port     int // local SIP port (-p)
	Addr     string
	res      SIPpResult
	cmd      *exec.Cmd
	stdout   bytes.Buffer
	stderr   bytes.Buffer
	done     chan struct{}
	started  time.Time
	waitOnce sync.Once
}

// StartSIPp starts sipp with scenario on a free local port (-p) in the
// background. args are extra sipp arguments (e.g. "-m", "1", remote host).
// The process is stopped at cleanup if still running.
func StartSIPp(t testing.TB, scenario string, args ...string) *SIPp {
	t.Helper()
	return StartSIPpAt(t, SIPpPlace{}, scenario, args...)
}

// SIPpPlace is where a SIPp process runs. The zero value is the test's
// own network namespace on 127.0.0.1.
type SIPpPlace struct {
	// Netns runs SIPp inside this network namespace (`ip netns exec`,
	// which execs SIPp in place: the process is SIPp itself, so Stop and
	// Kill signal it directly).
	Netns string
	// IP is SIPp's local address (-i), which its Via, Contact and SDP
	// name; "" is 127.0.0.1.
	IP string
}

// StartSIPpAt is StartSIPp at place: a SIPp in a network namespace on
// the namespace's own address, as a phone on another host.
func StartSIPpAt(t testing.TB, place SIPpPlace, scenario string, args ...string) *SIPp {
	t.Helper()
	RequireSIPp(t)
	port, err := FreeUDPTCPPort()
	if err != nil {
		t.Fatal(err)
	}
	return startSIPpOnPort(t, place, port, scenario, args...)
}

// StartSIPpOnPort is StartSIPp on a given port, for a peer whose address
// the switch's config must name before it starts (a trunk's ACL).
func StartSIPpOnPort(t testing.TB, port int, scenario string, args ...string) *SIPp {
	t.Helper()
	RequireSIPp(t)
	return startSIPpOnPort(t, SIPpPlace{}, port, scenario, args...)
}

func startSIPpOnPort(t testing.TB, place SIPpPlace, port int, scenario string, args ...string) *SIPp {
	t.Helper()
	ip := place.IP
	if ip == "" {
		ip = "127.0.0.1"
	}
	path := Scenario(t, scenario)
	dir := t.TempDir()
	base := strings.TrimSuffix(filepath.Base(path), ".xml")
	ctrl, err := FreeUDPPort()
	if err != nil {
		t.Fatal(err)
	}
	media, err := FreeUDPRange(4)
	if err != nil {
		t.Fatal(err)
	}
	s := &SIPp{t: t, Port: port, Addr: net.JoinHostPort(ip, strconv.Itoa(port)), done: make(chan struct{})}
	s.res = SIPpResult{
		Scenario:   path,
		MessageLog: filepath.Join(dir, base+".msg.log"),
		ErrorLog:   filepath.Join(dir, base+".err.log"),
		StatFile:   filepath.Join(dir, base+".stat.csv"),
	}
	full := []string{
		"-sf", path,
		"-i", ip, "-p", strconv.Itoa(port), // loopback unless placed; Via/Contact say ip
		"-cp", strconv.Itoa(ctrl), "-mp", strconv.Itoa(media), // never collide with another SIPp
		"-nostdin",
		"-trace_msg", "-message_file", s.res.MessageLog,
		"-trace_err", "-error_file", s.res.ErrorLog,
		"-trace_stat", "-stf", s.res.StatFile, "-fd", "1",
		"-buff_size", "4194304",
	}
	full = append(full, withAuthURI(args)...)
	cmd := exec.Command("sipp", full...)
	if place.Netns != "" {
		cmd = exec.Command("ip", append([]string{"netns", "exec", place.Netns, "sipp"}, full...)...)
	}
	cmd.Stdout, cmd.Stderr = &s.stdout, &s.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s.cmd = cmd
	s.started = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sipp: %v", err)
	}
	go func() {
		err := cmd.Wait()
		s.res.ExitCode = exitCode(err)
		close(s.done)
	}()
	t.Cleanup(func() { s.Stop() })
	// let it bind before anyone sends to it (bounded: 2s)
	waitUDPBound(cmd.Process.Pid, port, 2*time.Second)
	return s
}

// Wait waits up to timeout for SIPp to exit by itself; on timeout it is
// stopped (SIGUSR1, then SIGKILL) and the result has TimedOut set.
func (s *SIPp) Wait(timeout time.Duration) SIPpResult {
	select {
	case <-s.done:
	case <-time.After(timeout):
		s.res.TimedOut = true
		s.Stop()
	}
	return s.result()
}

// Stop ends SIPp: SIGUSR1 first (SIPp then stops creating calls and exits
// with its statistics, counting lingering calls correctly; SIGTERM would
// count them as failed), then SIGKILL of its process group after 3s.
func (s *SIPp) Stop() SIPpResult {
	select {
	case <-s.done:
		return s.result()
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGUSR1)
	select {
	case <-s.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
		}
	}
	return s.result()
}

// withAuthURI adds SIPp's -auth_uri for a UAC that authenticates (-au)
// towards a service (-s) at a remote host (the last argument): SIPp 3.6
// puts "sip:remote_ip:remote_port" in the digest uri by default, and the
// switch checks that the uri is the Request-URI (RFC 3261 §22.4), which
// for the uac scenarios is sip:SERVICE@REMOTE. REGISTER scenarios send
// sip:REMOTE as Request-URI, which is SIPp's default already.
func withAuthURI(args []string) []string {
	var service, remote string
	auth := false
	for i, a := range args {
		switch a {
		case "-auth_uri":
			return args
		case "-au":
			auth = true
		case "-s":
			if i+1 < len(args) {
				service = args[i+1]
			}
		}
	}
	if n := len(args); n > 0 && !strings.HasPrefix(args[n-1], "-") && strings.Contains(args[n-1], ":") {
		remote = args[n-1]
	}
	if !auth || service == "" || remote == "" {
		return args
	}
	out := append([]string(nil), args[:len(args)-1]...)
	return append(out, "-auth_uri", service+"@"+remote, remote) // SIPp adds "sip:"
}

// Kill ends SIPp at once with SIGKILL, as a phone that loses power or
// network: it answers nothing more and sends no BYE.
func (s *SIPp) Kill() {
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
	}
}

func (s *SIPp) result() SIPpResult {
	s.waitOnce.Do(func() {
		s.res.Duration = time.Since(s.started)
		s.res.Stdout = s.stdout.String()
		s.res.Stderr = s.stderr.String()
		s.res.Successful, s.res.Failed = parseStats(s.res.StatFile, s.res.Stdout)
	})
	return s.res
}

// RunSIPp runs a scenario to completion against the given remote args and
// returns its result. The run is bounded by ctx's deadline, or by
// DefaultSIPpTimeout; after that SIPp is stopped and TimedOut is set.
// Typical args: "-m", "1", "-s", "6001", "-key", "caller", "6000", sw.SIPAddr.
func RunSIPp(t testing.TB, ctx context.Context, scenario string, args ...string) SIPpResult {
	t.Helper()
	return RunSIPpAt(t, ctx, SIPpPlace{}, scenario, args...)
}

// RunSIPpAt is RunSIPp at place.
func RunSIPpAt(t testing.TB, ctx context.Context, place SIPpPlace, scenario string, args ...string) SIPpResult {
	t.Helper()
	RequireSIPp(t)
	port, err := FreeUDPTCPPort()
	if err != nil {
		t.Fatal(err)
	}
	timeout := DefaultSIPpTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	p := startSIPpOnPort(t, place, port, scenario, args...)
	select {
	case <-p.done:
		return p.result()
	case <-ctx.Done():
		p.res.TimedOut = true
		return p.Stop()
	case <-time.After(timeout):
		p.res.TimedOut = true
		return p.Stop()
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -1
		}
		return ee.ExitCode()
	}
	return -1
}

var screenRe = regexp.MustCompile(`(?m)^\s*(Successful|Failed) call\s*\|\s*\d+\s*\|\s*(\d+)`)

// parseStats reads the cumulative SuccessfulCall(C)/FailedCall(C) from the
// last row of the -stf CSV; if that is missing (SIPp killed early) it falls
// back to the last statistics screen SIPp printed on stdout.
func parseStats(statFile, stdout string) (ok, failed int) {
	if f, err := os.Open(statFile); err == nil {
		defer f.Close()
		var header, last []string
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			cols := strings.Split(sc.Text(), ";")
			if header == nil {
				header = cols
				continue
			}
			if len(cols) >= len(header)-1 {
				last = cols
			}
		}
		if header != nil && last != nil {
			get := func(name string) (int, bool) {
				for i, h := range header {
					if h == name && i < len(last) {
						n, err := strconv.Atoi(strings.TrimSpace(last[i]))
						return n, err == nil
					}
				}
				return 0, false
			}
			s, ok1 := get("SuccessfulCall(C)")
			fl, ok2 := get("FailedCall(C)")
			if ok1 && ok2 {
				return s, fl
			}
		}
	}
	for _, m := range screenRe.FindAllStringSubmatch(stdout, -1) {
		n, _ := strconv.Atoi(m[2])
		if m[1] == "Successful" {
			ok = n
		} else {
			failed = n
		}
	}
	return ok, failed
}

// waitUDPBound waits until something is bound to UDP port (read from
// /proc/<pid>/net/udp, so we never take the port ourselves and race SIPp
// for it; SIPp's own pid, because /proc/net shows the reader's network
// namespace and SIPp may run in another).
func waitUDPBound(pid, port int, timeout time.Duration) {
	want := fmt.Sprintf(":%04X ", port)
	deadline := time.Now().Add(timeout)
	file := "/proc/" + strconv.Itoa(pid) + "/net/udp"
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(file)
		if err != nil {
			time.Sleep(200 * time.Millisecond) // not Linux: just give it a moment
			return
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) > 1 && strings.HasSuffix(f[1]+" ", want) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}
