package itest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// NetnsEnv carries, into a test process that Isolated re-executed inside a
// network namespace, the name of that namespace.
const NetnsEnv = "SOFTSWITCH_ITEST_NETNS"

// InNetns is the network namespace Isolated re-executed this test process
// in, "" in the root namespace.
func InNetns() string { return os.Getenv(NetnsEnv) }

// Isolated runs the calling top-level test in a network namespace of its
// own that has nothing but loopback, and reports whether the caller is in
// it:
//
//	func TestX(t *testing.T) {
//		if !itest.Isolated(t) {
//			return // ran in the namespace; its result is this test's
//		}
//		... // inside: Start, sockets, SIPp all see only 127.0.0.0/8
//	}
//
// Why: SIP answers go where the message says (the top Via, RFC 3261
// §18.2.2; a Contact for requests), and test messages such as RFC 4475's
// name real hosts and addresses (example.com, 192.0.2.x, 255.255.255.255).
// In a namespace with only loopback, anything the switch sends off
// 127.0.0.0/8 fails with "network unreachable" instead of leaving the
// machine.
//
// In the root namespace Isolated builds the switch binary, creates the
// namespace (ip netns add; it needs root), re-executes this test binary in
// it with `ip netns exec`, running only this test, logs its output, fails
// if it failed, kills whatever it left in the namespace and deletes the
// namespace. Inside, it checks that loopback is the only interface. It
// never skips: a machine that cannot make a namespace fails the test.
func Isolated(t *testing.T) bool {
	t.Helper()
	if strings.Contains(t.Name(), "/") {
		t.Fatalf("itest.Isolated: call it from a top-level test, not from subtest %s", t.Name())
	}
	if ns := InNetns(); ns != "" {
		mustOnlyLoopback(t, ns)
		return true
	}
	bin := Binary(t)
	ns := newNetns(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("itest: own executable: %v", err)
	}
	timeout := 10 * time.Minute
	if d, ok := t.Deadline(); ok {
		timeout = time.Until(d) - 15*time.Second
	}
	if timeout < time.Minute {
		t.Fatalf("itest: %s left before the test deadline; not enough to run %s in a namespace", timeout, t.Name())
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout+10*time.Second)
	defer cancel()
	args := []string{"netns", "exec", ns, exe,
		"-test.run=^" + regexp.QuoteMeta(t.Name()) + "$", "-test.v", "-test.count=1",
		"-test.timeout=" + timeout.String()}
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Env = append(os.Environ(), NetnsEnv+"="+ns, "SOFTSWITCH_BIN="+bin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Logf("---- %s in network namespace %s ----\n%s---- end of %s ----", t.Name(), ns, out.String(), t.Name())
	if err != nil {
		t.Fatalf("%s failed in network namespace %s: %v (output above)", t.Name(), ns, err)
	}
	return false
}

// newNetns creates a network namespace with its loopback up and deletes
// it, and kills any process left in it, when the test ends.
func newNetns(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("itest: a network namespace needs root (ip netns add); this test runs as uid %d", os.Geteuid())
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatalf("itest: ip (iproute2) is needed for a network namespace: %v", err)
	}
	ns := "softswitch-itest-" + strconv.Itoa(os.Getpid()) + "-" + strings.ToLower(t.Name())
	if len(ns) > 60 {
		ns = ns[:60]
	}
	ip(t, "netns", "add", ns)
	t.Cleanup(func() {
		// A test killed by its deadline cannot stop the switch it started;
		// whatever runs in the namespace was started by this test.
		if out, err := exec.Command("ip", "netns", "pids", ns).Output(); err == nil {
			for _, f := range strings.Fields(string(out)) {
				if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		ip(t, "netns", "del", ns)
	})
	ip(t, "-n", ns, "link", "set", "lo", "up")
	return ns
}

func ip(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("itest: ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// mustOnlyLoopback fails the test unless loopback is the only interface
// and it is up: the promise Isolated makes.
func mustOnlyLoopback(t *testing.T, ns string) {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatalf("itest: interfaces in namespace %s: %v", ns, err)
	}
	var names []string
	for _, i := range ifs {
		names = append(names, i.Name)
	}
	if len(ifs) != 1 || ifs[0].Flags&net.FlagLoopback == 0 || ifs[0].Flags&net.FlagUp == 0 {
		t.Fatalf("itest: namespace %s must have only loopback, up; it has %s", ns, fmt.Sprint(names))
	}
}
