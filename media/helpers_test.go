package media

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// phone is a test endpoint: an RTP and an RTCP socket on loopback.
type phone struct {
	t         testing.TB
	rtp, rtcp *net.UDPConn
}

func newPhone(t testing.TB) *phone {
	t.Helper()
	p := &phone{t: t}
	var err error
	if p.rtp, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	if p.rtcp, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.rtp.Close(); p.rtcp.Close() })
	return p
}

func (p *phone) addr() netip.AddrPort     { return p.rtp.LocalAddr().(*net.UDPAddr).AddrPort() }
func (p *phone) rtcpAddr() netip.AddrPort { return p.rtcp.LocalAddr().(*net.UDPAddr).AddrPort() }

// remote is what this phone's SDP would say.
func (p *phone) remote() Remote {
	return Remote{RTP: p.addr(), RTCP: p.rtcpAddr(), Payloads: []PayloadType{
		{PT: 0, Name: "PCMU", ClockRate: 8000, Channels: 1},
		{PT: 8, Name: "PCMA", ClockRate: 8000, Channels: 1},
		{PT: 101, Name: "telephone-event", ClockRate: 8000, Channels: 1},
	}}
}

func (p *phone) send(to netip.AddrPort, b []byte) {
	p.t.Helper()
	if _, err := p.rtp.WriteToUDPAddrPort(b, to); err != nil {
		p.t.Fatal(err)
	}
}

func (p *phone) sendRTCP(to netip.AddrPort, b []byte) {
	p.t.Helper()
	if _, err := p.rtcp.WriteToUDPAddrPort(b, to); err != nil {
		p.t.Fatal(err)
	}
}

func recvOn(c *net.UDPConn, timeout time.Duration) ([]byte, netip.AddrPort, bool) {
	buf := make([]byte, 2048)
	c.SetReadDeadline(time.Now().Add(timeout))
	n, from, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		return nil, netip.AddrPort{}, false
	}
	return buf[:n], from, true
}

func (p *phone) recv(timeout time.Duration) ([]byte, netip.AddrPort, bool) {
	return recvOn(p.rtp, timeout)
}

func (p *phone) recvRTCP(timeout time.Duration) ([]byte, netip.AddrPort, bool) {
	return recvOn(p.rtcp, timeout)
}

// expectNothing fails if a packet arrives within a short while.
func (p *phone) expectNothing(what string) {
	p.t.Helper()
	if b, from, ok := p.recv(150 * time.Millisecond); ok {
		p.t.Fatalf("%s: got %d bytes from %v, want nothing", what, len(b), from)
	}
}

func rtpPacket(t testing.TB, pt uint8, seq uint16, ts, ssrc uint32, payload []byte) []byte {
	t.Helper()
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: ssrc}, Payload: payload}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pcmu(n int, v byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = v
	}
	return b
}

// newTestSession opens a session on pool and closes it at the end.
func newTestSession(t testing.TB, pool *Pool, cfg SessionConfig) *Session {
	t.Helper()
	s, err := NewSession(context.Background(), pool, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// waitFor polls cond for up to 2 s: counters are updated by the relay
// goroutines after the packet left, so a test that saw the packet may
// look a moment before they are.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// digitLog collects OnDTMF calls.
type digitLog struct {
	mu sync.Mutex
	d  []DTMF
}

func (l *digitLog) add(d DTMF) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }

func (l *digitLog) get() []DTMF {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]DTMF(nil), l.d...)
}
