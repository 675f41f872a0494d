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
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Bridge is a Linux bridge in the test's network namespace with network
// namespaces attached to it by veth pairs: hosts of one /24 that reach
// each other, and that the test reaches at their addresses, over the
// bridge, as the nodes of a cluster on one LAN. Everything it creates has
// a name unique to this run and is deleted when the test ends, failed or
// not.
type Bridge struct {
	Name    string // the bridge link
	Gateway string // the bridge's own address, e.g. 10.203.57.1
	net     string // the first three octets, e.g. "10.203.57"
	tag     string // unique per run: names every link and namespace
	hosts   int
}

// Host is one network namespace on a Bridge.
type Host struct {
	Netns string // the namespace's name, for `ip netns exec`
	IP    string // its address on the bridge
}

// bridgeSecondOctet: bridges are 10.203.<x>.0/24, which keeps clear of the
// 10.0–10.200 ranges container runtimes and VPNs tend to take.
const bridgeSecondOctet = 203

// NewBridge creates a bridge on a 10.203.x.0/24 no interface of this
// machine uses yet, with address x.1, up. It fails the test (never skips)
// without root or without `ip`: the tests that need it run as root in CI.
func NewBridge(t *testing.T) *Bridge {
	t.Helper()
	RequireNetns(t)
	sweepStale(t) // first: a stale bridge's subnet is free again
	raw := make([]byte, 3)
	if _, err := rand.Read(raw); err != nil {
		t.Fatalf("itest: random tag: %v", err)
	}
	tag := hex.EncodeToString(raw) // 6 hex digits: link names stay under IFNAMSIZ (15)
	x, err := freeSubnet(int(raw[0]))
	if err != nil {
		t.Fatalf("itest: %v", err)
	}
	b := &Bridge{
		Name: "ssbr" + tag,
		net:  fmt.Sprintf("10.%d.%d", bridgeSecondOctet, x),
		tag:  tag,
	}
	b.Gateway = b.net + ".1"
	ip(t, "link", "add", b.Name, "type", "bridge")
	t.Cleanup(func() { ipCleanup(t, "link", "del", b.Name) })
	// The alias names the owner for sweepStale: link names are too short.
	ip(t, "link", "set", "dev", b.Name, "alias", ownerAlias+strconv.Itoa(os.Getpid()))
	ip(t, "addr", "add", b.Gateway+"/24", "dev", b.Name)
	ip(t, "link", "set", b.Name, "up")
	return b
}

// RequireNetns fails the test, never skips it, unless it runs as root
// with iproute2's ip: what NewBridge needs. A test calls it first, before
// anything that might skip, so that CI (root) can never pass it by
// skipping.
func RequireNetns(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("itest: a bridge and network namespaces need root (ip link add, ip netns add); this test runs as uid %d", os.Geteuid())
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatalf("itest: ip (iproute2) is needed for network namespaces: %v", err)
	}
}

// Names that tie a namespace or bridge to the test process that made it:
// "softswitch-itest-<pid>-..." for a namespace (as Isolated's), the alias
// "softswitch-itest pid=<pid>" for a bridge.
const (
	netnsPrefix = "softswitch-itest-"
	ownerAlias  = "softswitch-itest pid="
)

// sweepStale deletes the namespaces (killing what runs in them) and
// bridges of test processes that are gone. t.Cleanup deletes them when a
// test ends, but not when its process dies first: killed, or panicking at
// -timeout. A live owner's are left alone, so runs at once (CI and a
// developer) never touch each other's.
func sweepStale(t *testing.T) {
	t.Helper()
	var nss []struct {
		Name string `json:"name"`
	}
	if err := ipJSON(&nss, "netns", "list"); err != nil {
		t.Fatalf("itest: %v", err)
	}
	for _, ns := range nss {
		rest, ok := strings.CutPrefix(ns.Name, netnsPrefix)
		pid, err := strconv.Atoi(strings.Split(rest, "-")[0])
		if ok && err == nil && !alive(pid) {
			t.Logf("itest: deleting network namespace %s of a test process that is gone", ns.Name)
			killIn(ns.Name)
			ipCleanup(t, "netns", "del", ns.Name)
		}
	}
	var links []struct {
		Name  string `json:"ifname"`
		Alias string `json:"ifalias"`
	}
	if err := ipJSON(&links, "link", "show", "type", "bridge"); err != nil {
		t.Fatalf("itest: %v", err)
	}
	for _, l := range links {
		rest, ok := strings.CutPrefix(l.Alias, ownerAlias)
		if pid, err := strconv.Atoi(rest); ok && err == nil && !alive(pid) {
			t.Logf("itest: deleting bridge %s of a test process that is gone", l.Name)
			ipCleanup(t, "link", "del", l.Name)
		}
	}
}

// alive reports whether a process pid exists (EPERM: it does, not ours).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// ipJSON runs `ip -j args...` (bounded) and decodes its output into v.
func ipJSON(v any, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", append([]string{"-j"}, args...)...).Output()
	if err != nil {
		return fmt.Errorf("ip -j %s: %w", strings.Join(args, " "), err)
	}
	if len(bytes.TrimSpace(out)) == 0 {
		return nil // no namespaces: ip prints nothing, not []
	}
	if err := json.Unmarshal(out, v); err != nil {
		return fmt.Errorf("ip -j %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// killIn kills every process in network namespace ns (bounded); the
// test process only ever holds sockets there, it never runs in one.
func killIn(ns string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", "netns", "pids", ns).Output()
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 1 && pid != os.Getpid() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// freeSubnet returns an x in 1..254 such that no address of this machine
// is in 10.203.x.0/24, starting the search at start so that two runs at
// once (CI and a developer) rarely even try the same one.
func freeSubnet(start int) (int, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return 0, fmt.Errorf("interface addresses: %w", err)
	}
	used := map[int]bool{}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if v4 := n.IP.To4(); v4 != nil && v4[0] == 10 && v4[1] == bridgeSecondOctet {
				used[int(v4[2])] = true
			}
		}
	}
	for i := 0; i < 254; i++ {
		x := 1 + (start+i)%254
		if !used[x] {
			return x, nil
		}
	}
	return 0, fmt.Errorf("no free 10.%d.x.0/24 for a test bridge", bridgeSecondOctet)
}

// AddHost creates a network namespace with loopback up and a veth pair
// whose outer end is on the bridge and whose inner end, eth0, has the
// next address (x.11, x.12, ...) and a default route through the
// bridge. When the test ends, whatever still runs in the namespace is
// killed and the namespace deleted, which deletes the veth pair too.
func (b *Bridge) AddHost(t *testing.T) Host {
	t.Helper()
	b.hosts++
	i := b.hosts
	h := Host{
		Netns: netnsPrefix + strconv.Itoa(os.Getpid()) + "-" + b.tag + "-" + strconv.Itoa(i),
		IP:    b.net + "." + strconv.Itoa(10+i),
	}
	outer := "ssv" + b.tag + strconv.Itoa(i)
	ip(t, "netns", "add", h.Netns)
	t.Cleanup(func() {
		// Whatever still runs in the namespace is this test's (a switch
		// or SIPp a failed test did not stop).
		killIn(h.Netns)
		ipCleanup(t, "netns", "del", h.Netns)
	})
	ip(t, "-n", h.Netns, "link", "set", "lo", "up")
	ip(t, "link", "add", outer, "type", "veth", "peer", "name", "eth0", "netns", h.Netns)
	ip(t, "link", "set", outer, "master", b.Name, "up")
	ip(t, "-n", h.Netns, "addr", "add", h.IP+"/24", "dev", "eth0")
	ip(t, "-n", h.Netns, "link", "set", "eth0", "up")
	ip(t, "-n", h.Netns, "route", "add", "default", "via", b.Gateway)
	return h
}

// ipCleanup runs ip for a cleanup: bounded, and a failure is reported
// without stopping the other cleanups.
func ipCleanup(t *testing.T, args ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput(); err != nil {
		t.Errorf("itest: cleanup: ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Forward makes target, an address of the test's own network namespace
// (Kafka or ClickHouse on the host's 127.0.0.1), reachable at listen
// inside namespace ns, until the test ends.
//
// Why this way: the servers listen on the host's loopback only, Kafka
// advertises 127.0.0.1:9092 in its metadata (so a client in a namespace
// must find the broker at that very address in its own namespace), and a
// namespace's loopback is its own. A socket belongs to the namespace its
// thread was in when the socket was made, and keeps it: Forward makes the
// listening socket on a thread switched into ns (setns) and switched back
// at once, and dials target from an ordinary thread, in the test's
// namespace. One process thus spans both namespaces without a helper
// binary, without a second forwarder on the bridge's address, and
// without exposing the servers beyond loopback; the nodes' own traffic
// (SIP, RTP, admin API) still crosses the bridge.
func Forward(t *testing.T, ns, listen, target string) {
	t.Helper()
	l, err := listenInNetns(ns, listen)
	if err != nil {
		t.Fatalf("itest: forward %s in %s: %v", listen, ns, err)
	}
	f := &forwarder{l: l, target: target, conns: map[net.Conn]bool{}}
	f.wg.Go(f.accept)
	t.Cleanup(f.close)
}

// listenInNetns listens on addr in network namespace ns. The switch into
// ns happens on a locked thread of a goroutine of its own: if switching
// back fails, that goroutine ends still locked, and the Go runtime then
// ends the thread rather than let other goroutines run in ns. Threads the
// runtime starts meanwhile come from its template thread, never from a
// locked one, so they do not inherit ns.
func listenInNetns(ns, addr string) (net.Listener, error) {
	type result struct {
		l   net.Listener
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		l, err := func() (net.Listener, error) {
			self, err := os.Open("/proc/thread-self/ns/net")
			if err != nil {
				return nil, err
			}
			defer self.Close()
			target, err := os.Open("/run/netns/" + ns) // where `ip netns add` pins it
			if err != nil {
				return nil, err
			}
			defer target.Close()
			if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
				return nil, fmt.Errorf("setns %s: %w", ns, err)
			}
			l, lerr := net.Listen("tcp4", addr)
			if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
				if l != nil {
					l.Close()
				}
				// Stay locked: this thread must die with the goroutine.
				return nil, fmt.Errorf("setns back from %s: %w", ns, err)
			}
			runtime.UnlockOSThread()
			return l, lerr
		}()
		ch <- result{l, err}
	}()
	r := <-ch
	return r.l, r.err
}

// forwarder copies each connection accepted in a namespace to a fresh
// connection to target, both ways, until either side closes.
type forwarder struct {
	l      net.Listener
	target string
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]bool
}

func (f *forwarder) accept() {
	for {
		c, err := f.l.Accept()
		if err != nil {
			return // closed at cleanup
		}
		f.wg.Go(func() { f.pipe(context.Background(), c) })
	}
}

// track registers c for close; false when the forwarder is closing.
func (f *forwarder) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.conns[c] = true
	return true
}

func (f *forwarder) untrack(c net.Conn) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
	c.Close()
}

func (f *forwarder) pipe(ctx context.Context, in net.Conn) {
	if !f.track(in) {
		in.Close()
		return
	}
	defer f.untrack(in)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	out, err := (&net.Dialer{}).DialContext(ctx, "tcp", f.target)
	cancel()
	if err != nil {
		return // the client sees its connection closed, as with a refused one
	}
	if !f.track(out) {
		out.Close()
		return
	}
	defer f.untrack(out)
	done := make(chan struct{}, 2)
	half := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		// Pass the end of one direction on and keep the other open:
		// a client may still be reading the answer to its last request.
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go half(out, in)
	go half(in, out)
	<-done
	<-done
}

// close stops accepting, closes every open connection and waits (bounded)
// for the copies to end.
func (f *forwarder) close() {
	f.l.Close()
	f.mu.Lock()
	f.closed = true
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	waited := make(chan struct{})
	go func() { f.wg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
	}
}
