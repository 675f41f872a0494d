package switching_test

import (
	"net"
	"testing"
)

// maxDatagram is the largest UDP payload over IPv4 (65,535 − 8 − 20).
const maxDatagram = 65507

// FuzzMessagePath writes each input as one UDP datagram to a running
// switch, then requires a 200 to a well-formed OPTIONS: whatever a sender
// puts in a datagram, the switch must neither panic (a panic in any sipgo
// or handler goroutine kills the test process, which the fuzzer reports)
// nor stop serving others (RFC 3261 §18.3: a server may discard what it
// cannot parse, but must go on). Each fuzz worker process starts its own
// switch; inputs within a worker run one at a time.
func FuzzMessagePath(f *testing.F) {
	sw := startSwitch(f, noBan)
	send := dialUDP(f, sw.addr)
	probe := dialUDP(f, sw.addr)
	sendPort := send.LocalAddr().(*net.UDPAddr).Port
	pc := &probeCounter{}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxDatagram {
			data = data[:maxDatagram]
		}
		// Answers follow the top Via (RFC 3261 §18.2.2) and the B2BUA
		// may dial a Contact: keep both on loopback even when the
		// fuzzer mutates them, so nothing leaves 127.0.0.1.
		msg := toLoopback(data, sendPort)
		if len(msg) > maxDatagram {
			msg = msg[:maxDatagram]
		}
		// A send error (e.g. ICMP unreachable from an earlier answer)
		// is not the switch's fault; liveness below is the assertion.
		_, _ = send.Write(msg)
		if err := checkAlive(probe, sw.addr, pc); err != nil {
			t.Fatalf("switch wedged after input %q: %v", msg, err)
		}
	})
}
