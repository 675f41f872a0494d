package dialer

import (
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// TestSwitchOnly: datagrams from anywhere but the switch's address — the
// right IP with another port included — never reach the SIP stack, and
// each is counted; the switch's own get through in order.
func TestSwitchOnly(t *testing.T) {
	listen := func() net.PacketConn {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	conn, sw, swOut, stranger := listen(), listen(), listen(), listen()
	f := &switchOnly{PacketConn: conn, from: []netip.AddrPort{sw.LocalAddr().(*net.UDPAddr).AddrPort(), swOut.LocalAddr().(*net.UDPAddr).AddrPort()}}
	to := conn.LocalAddr()
	for _, m := range []struct {
		from net.PacketConn
		body string
	}{{stranger, "BYE forged"}, {sw, "SIP/2.0 200 OK"}, {stranger, "INVITE flood"}, {stranger, ""}, {swOut, "BYE real"}} {
		if _, err := m.from.WriteTo([]byte(m.body), to); err != nil {
			t.Fatal(err)
		}
	}
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 100)
	for _, want := range []string{"SIP/2.0 200 OK", "BYE real"} {
		n, addr, err := f.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(buf[:n]); got != want || !slices.Contains(f.from, addr.(*net.UDPAddr).AddrPort()) {
			t.Fatalf("read %q from %v, want %q from the switch", got, addr, want)
		}
	}
	if f.dropped.Load() != 3 {
		t.Fatalf("dropped %d, want 3", f.dropped.Load())
	}
}
