package media

import (
	"net/netip"
	"testing"
	"time"
)

func TestLatch(t *testing.T) {
	sdpAddr := netip.MustParseAddrPort("192.0.2.10:4000")
	exact := sdpAddr
	samePort := netip.MustParseAddrPort("198.51.100.7:4000")  // NAT keeping the port: rank 2
	sameAddr := netip.MustParseAddrPort("192.0.2.10:5123")    // NAT rewriting the port: rank 1
	stranger := netip.MustParseAddrPort("203.0.113.66:31337") // rank 3
	other := netip.MustParseAddrPort("203.0.113.67:1234")     // rank 3 too
	t0 := time.Unix(1000, 0)
	const win = 3 * time.Second

	type pkt struct {
		src    netip.AddrPort
		at     time.Duration // after t0
		ok     bool
		locked bool
	}
	tests := []struct {
		name   string
		sdp    netip.AddrPort
		window time.Duration
		pkts   []pkt
		final  netip.AddrPort
	}{
		{"exact match locks at once", sdpAddr, win, []pkt{
			{exact, 0, true, true},
			{stranger, time.Millisecond, false, true},
			{sameAddr, 10 * time.Millisecond, false, true},
		}, exact},
		{"NAT source learnt, locked after the window", sdpAddr, win, []pkt{
			{samePort, 0, true, false},
			{samePort, time.Second, true, false},
			{samePort, win, true, true},
			{stranger, win + time.Second, false, true},
		}, samePort},
		{"better rank replaces a stranger during the window", sdpAddr, win, []pkt{
			{stranger, 0, true, false},
			{sameAddr, 100 * time.Millisecond, true, false},
			{stranger, 200 * time.Millisecond, false, false},
			{sameAddr, win, true, true},
		}, sameAddr},
		{"worse rank cannot take over during the window", sdpAddr, win, []pkt{
			{sameAddr, 0, true, false},
			{stranger, 10 * time.Millisecond, false, false},
			{samePort, 20 * time.Millisecond, false, false},
			{sameAddr, 30 * time.Millisecond, true, false},
		}, sameAddr},
		{"first of a rank keeps it", sdpAddr, win, []pkt{
			{stranger, 0, true, false},
			{other, 10 * time.Millisecond, false, false},
		}, stranger},
		{"exact match wins during the window", sdpAddr, win, []pkt{
			{sameAddr, 0, true, false},
			{exact, 20 * time.Millisecond, true, true},
			{sameAddr, 40 * time.Millisecond, false, true},
		}, exact},
		{"no SDP address: first source, locked after the window", netip.AddrPort{}, win, []pkt{
			{stranger, 0, true, false},
			{other, time.Second, false, false},
			{other, 4 * time.Second, false, true},
			{stranger, 5 * time.Second, true, true},
		}, stranger},
		{"zero window locks the first source", sdpAddr, 0, []pkt{
			{samePort, 0, true, true},
			{sameAddr, time.Millisecond, false, true},
		}, samePort},
		{"exact after the window is too late", sdpAddr, win, []pkt{
			{stranger, 0, true, false},
			{stranger, 4 * time.Second, true, true},
			{exact, 5 * time.Second, false, true},
		}, stranger},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLatch(tt.sdp, tt.window)
			for i, p := range tt.pkts {
				ok, _ := l.accept(p.src, t0.Add(p.at))
				if ok != p.ok || l.locked != p.locked {
					t.Fatalf("packet %d from %v: accepted %v locked %v, want %v %v", i, p.src, ok, l.locked, p.ok, p.locked)
				}
			}
			if l.source != tt.final {
				t.Fatalf("source %v, want %v", l.source, tt.final)
			}
		})
	}
}

func TestLatchReportsChanges(t *testing.T) {
	l := newLatch(netip.MustParseAddrPort("192.0.2.1:1000"), time.Second)
	t0 := time.Unix(0, 0)
	a := netip.MustParseAddrPort("203.0.113.1:1000")
	if _, changed := l.accept(a, t0); !changed {
		t.Fatal("first source not reported as a change")
	}
	if _, changed := l.accept(a, t0.Add(time.Millisecond)); changed {
		t.Fatal("same source reported as a change")
	}
	if _, changed := l.accept(netip.MustParseAddrPort("192.0.2.1:1000"), t0.Add(2*time.Millisecond)); !changed {
		t.Fatal("exact match not reported as a change")
	}
}
