package switching_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"softswitch/eventstore/journal"
	"softswitch/projections"
	"softswitch/switching"
	"softswitch/switching/auth"
)

// Test subscribers provisioned in every harness switch.
const (
	testRealm    = "test.invalid"
	testPassword = "1234"
)

var testUsers = [...]string{"6000", "6001"}

// harnessOptions tune the in-process switch. The zero value is run.go's
// wiring with config defaults, except where a field says otherwise.
type harnessOptions struct {
	// maxAuthFailures overrides the ban threshold. Fuzz and torture inputs
	// carry broken Authorization headers from 127.0.0.1 over and over; with
	// the default threshold the guard would (correctly) ban 127.0.0.1 and
	// every later liveness probe from the same host would be dropped
	// unanswered, which looks exactly like a wedged switch.
	maxAuthFailures int
}

// testSwitch is a running in-process switch.
type testSwitch struct {
	// addr is host:port of both the UDP and the TCP listener, on 127.0.0.1.
	addr    string
	metrics *switching.Metrics
	// stop shuts the switch down and waits for it; safe to call twice. It
	// is also registered with tb.Cleanup.
	stop func()
}

// startSwitch starts a switch wired as cmd/softswitch/run.go wires it:
// journal (in tb.TempDir), projections replayed from it, recorder,
// provisioner, MD5 digest auth, ban limiter, guard, SIP stack, registrar,
// B2BUA and server, listening on 127.0.0.1 only.
func startSwitch(tb testing.TB, opt harnessOptions) *testSwitch {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.DiscardHandler)
	dir := tb.TempDir()

	store, err := journal.Open(ctx, filepath.Join(dir, "journal"), journal.Options{}, log)
	if err != nil {
		cancel()
		tb.Fatalf("open journal: %v", err)
	}
	subs, loc, calls := projections.NewSubscribers(), projections.NewLocation(), projections.NewCalls()
	set := projections.Set{subs, loc, calls}
	if _, err := set.Replay(ctx, store); err != nil {
		cancel()
		_ = store.Close()
		tb.Fatalf("replay: %v", err)
	}
	m := &switching.Metrics{}
	rec := switching.NewRecorder(store, set, "test-node", time.Now, m)
	recovery := &switching.Recovery{Rec: rec, Calls: calls, Read: store.ReadAggregate, Log: log}
	if _, err := recovery.Run(ctx, recovery.Orphans()); err != nil {
		cancel()
		_ = store.Close()
		tb.Fatalf("close orphans: %v", err)
	}
	prov := switching.NewProvisioner(testRealm, rec, subs, loc)
	for _, u := range testUsers {
		if _, err := prov.Provision(ctx, u, testPassword); err != nil {
			cancel()
			_ = store.Close()
			tb.Fatalf("provision %s: %v", u, err)
		}
	}
	authn, err := auth.New(auth.Config{Realm: testRealm, Algorithms: []string{auth.MD5}},
		func(user string) (auth.Credentials, bool) {
			c, ok := subs.Lookup(user)
			return auth.Credentials{HA1MD5: c.HA1MD5, HA1SHA256: c.HA1SHA256}, ok && c.Realm == testRealm
		})
	if err != nil {
		cancel()
		_ = store.Close()
		tb.Fatalf("auth: %v", err)
	}
	bans, err := auth.NewLimiter(auth.LimiterConfig{MaxFailures: opt.maxAuthFailures})
	if err != nil {
		cancel()
		_ = store.Close()
		tb.Fatalf("limiter: %v", err)
	}
	guard := switching.NewGuard(authn, bans, []string{"friendly-scanner", "sipvicious"}, rec, m, log)

	// A free port for both transports: ask the kernel for a UDP port, check
	// TCP on it is free too, then let Run bind both. Another process may
	// take it in between, so retry a bounded number of times.
	const attempts = 10
	var (
		addr string
		done chan error
	)
	for i := 0; ; i++ {
		if i == attempts {
			cancel()
			_ = store.Close()
			tb.Fatalf("no free UDP+TCP port on 127.0.0.1 after %d attempts", attempts)
		}
		a, err := freePort()
		if err != nil {
			continue
		}
		scfg := switching.ServerConfig{Listen: a, UserAgent: "softswitch-test", SweepInterval: time.Second}
		st, err := switching.NewSIPStack(scfg, m, log)
		if err != nil {
			cancel()
			_ = store.Close()
			tb.Fatalf("sip stack: %v", err)
		}
		reg := switching.NewRegistrar(switching.RegistrarConfig{MinExpires: 60, MaxExpires: 3600, DefaultExpires: 3600, MaxContacts: 10},
			guard, rec, loc, subs, m, log)
		b2b := switching.NewB2BUA(switching.B2BUAConfig{RingTimeout: 30 * time.Second, MaxDuration: time.Hour, Realm: testRealm},
			st.Dialogs, guard, rec, loc, subs, nil, m, log)
		server := switching.NewServer(scfg, st, reg, b2b, guard, m, log)
		done = make(chan error, 1)
		go func() { done <- server.Run(ctx) }()
		select {
		case <-server.Ready():
			addr = a
		case err := <-done:
			tb.Logf("listen on %s: %v; retrying", a, err)
			continue
		case <-time.After(5 * time.Second):
			cancel()
			_ = store.Close()
			tb.Fatalf("switch not ready within 5s")
		}
		break
	}

	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					tb.Errorf("switch run: %v", err)
				}
			case <-time.After(15 * time.Second):
				tb.Errorf("switch did not stop within 15s")
			}
			if err := store.Close(); err != nil {
				tb.Errorf("close journal: %v", err)
			}
		})
	}
	tb.Cleanup(stop)
	return &testSwitch{addr: addr, metrics: m, stop: stop}
}

// freePort returns 127.0.0.1:port with port free for both UDP and TCP.
func freePort() (string, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	a := pc.LocalAddr().String()
	pc.Close()
	ln, err := net.Listen("tcp", a)
	if err != nil {
		return "", err
	}
	ln.Close()
	return a, nil
}

// dialUDP opens a client socket on 127.0.0.1 connected to the switch, so
// only datagrams from the switch's address are read back.
func dialUDP(tb testing.TB, addr string) *net.UDPConn {
	tb.Helper()
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, raddr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// optionsRequest is a minimal well-formed OPTIONS (RFC 3261 §11) whose Via
// names the client socket, so the 200 comes back to it (§18.2.2).
func optionsRequest(local *net.UDPAddr, target, callID string) []byte {
	return fmt.Appendf(nil, "OPTIONS sip:%s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:probe@127.0.0.1>;tag=%s\r\n"+
		"To: <sip:%s>\r\n"+
		"Call-ID: %s\r\n"+
		"CSeq: 1 OPTIONS\r\n"+
		"Accept: application/sdp\r\n"+
		"Content-Length: 0\r\n\r\n",
		target, local.String(), callID, callID, target, callID)
}

// probeCounter makes probe Call-IDs unique within one process without
// package state: each caller owns one.
type probeCounter struct{ n int }

// checkAlive sends OPTIONS over UDP from conn and waits for its 200 OK,
// matched by Call-ID so stray answers to earlier inputs are skipped. It
// retries a few times because UDP may drop a datagram (RFC 3261 §17.1.2.2
// would retransmit too).
func checkAlive(conn *net.UDPConn, addr string, pc *probeCounter) error {
	const (
		tries   = 3
		perTry  = time.Second
		maxRead = 64 // bounds the stray datagrams skipped per try
	)
	local := conn.LocalAddr().(*net.UDPAddr)
	buf := make([]byte, 65535)
	for range tries {
		pc.n++
		callID := "probe-" + strconv.Itoa(local.Port) + "-" + strconv.Itoa(pc.n)
		if _, err := conn.Write(optionsRequest(local, addr, callID)); err != nil {
			return fmt.Errorf("send OPTIONS: %w", err)
		}
		deadline := time.Now().Add(perTry)
		_ = conn.SetReadDeadline(deadline)
		for range maxRead {
			n, err := conn.Read(buf)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break
				}
				// ICMP port unreachable surfaces as a read error on a
				// connected UDP socket: the switch is gone.
				return fmt.Errorf("read OPTIONS answer: %w", err)
			}
			msg := buf[:n]
			if !bytes.Contains(msg, []byte(callID)) {
				continue
			}
			if code, ok := statusCode(msg); ok && code == 200 {
				return nil
			} else if ok && code >= 200 {
				return fmt.Errorf("OPTIONS answered %d, want 200", code)
			}
		}
	}
	return fmt.Errorf("no 200 to OPTIONS within %d×%s", tries, perTry)
}

var statusLine = regexp.MustCompile(`^SIP/2\.0 ([1-6][0-9]{2}) `)

// statusCode parses the Status-Line (RFC 3261 §7.2).
func statusCode(msg []byte) (int, bool) {
	m := statusLine.FindSubmatch(msg)
	if m == nil {
		return 0, false
	}
	c, err := strconv.Atoi(string(m[1]))
	return c, err == nil
}

// Header lines whose host must be rewritten to loopback. The match is on
// the raw bytes, case-insensitive, long and compact forms (RFC 3261 §7.3.3:
// v = Via, m = Contact), and tolerant of odd whitespace (§25.1 LWS).
var (
	viaSentBy   = regexp.MustCompile(`(?im)^((?:via|v)[ \t]*:.*?SIP[ \t]*/[ \t]*2\.0[ \t]*/[ \t]*[A-Za-z]+[ \t]+)(\[[^\]]*\]|[^ \t;:,\r\n]+)((?::[0-9]*)?)`)
	viaExtra    = regexp.MustCompile(`(?i)(,[ \t\r\n]*SIP[ \t]*/[ \t]*2\.0[ \t]*/[ \t]*[A-Za-z]+[ \t]+)(\[[^\]]*\]|[^ \t;:,\r\n]+)((?::[0-9]*)?)`)
	contactHost = regexp.MustCompile(`(?im)^((?:contact|m)[ \t]*:[^\r\n]*?sips?:(?:[^@\s>;]*@)?)(\[[^\]]*\]|[^ \t;:,>?\r\n]+)`)
)

// toLoopback rewrites the sent-by of every Via and the host of every
// Contact URI in msg to 127.0.0.1, the Via port to replyPort.
//
// Why: a server sends responses to the top Via's sent-by (RFC 3261
// §18.2.2, with received/rport per RFC 3581 §4), and the B2BUA may send
// requests to a Contact. RFC 4475 messages and fuzzer seeds name hosts such
// as example.com or 192.0.2.x; left as they are, the switch would answer to
// outside hosts (or wait on DNS), and the test could not see the answers.
// Everything must stay on 127.0.0.1.
func toLoopback(msg []byte, replyPort int) []byte {
	port := ":" + strconv.Itoa(replyPort)
	out := viaSentBy.ReplaceAll(msg, []byte("${1}127.0.0.1"+port))
	out = viaExtra.ReplaceAll(out, []byte("${1}127.0.0.1"+port))
	out = contactHost.ReplaceAll(out, []byte("${1}127.0.0.1"))
	return out
}

// noBan is the harness option for tests that send bad credentials often.
var noBan = harnessOptions{maxAuthFailures: math.MaxInt32}
