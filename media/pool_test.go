package media

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
)

var loopback = netip.MustParseAddr("127.0.0.1")

func newTestPool(t testing.TB, min, max int) *Pool {
	t.Helper()
	p, err := NewPool(PoolConfig{Addr: loopback, Min: min, Max: max})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// requireFree skips a test that counts on exact port numbers when another
// process on the machine holds one of them.
func requireFree(t *testing.T, min, max int) {
	t.Helper()
	for port := min; port <= max; port++ {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			t.Skipf("port %d is in use on this machine: %v", port, err)
		}
		c.Close()
	}
}

func TestNewPoolValidates(t *testing.T) {
	tests := []struct {
		name  string
		cfg   PoolConfig
		field string
	}{
		{"no address", PoolConfig{Min: 30000, Max: 30010}, "Addr"},
		{"odd min", PoolConfig{Addr: loopback, Min: 30001, Max: 30010}, "Min"},
		{"privileged", PoolConfig{Addr: loopback, Min: 100, Max: 200}, "Min"},
		{"max below min", PoolConfig{Addr: loopback, Min: 30000, Max: 30000}, "Max"},
		{"max too high", PoolConfig{Addr: loopback, Min: 30000, Max: 70000}, "Max"},
	}
	for _, tt := range tests {
		_, err := NewPool(tt.cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tt.field || !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: err %v, want a ConfigError on %s", tt.name, err, tt.field)
		}
	}
	p, err := NewPool(PoolConfig{Addr: loopback})
	if err != nil || p.Stats().Capacity != 5000 {
		t.Fatalf("default range: %v, capacity %d, want 5000 pairs", err, p.Stats().Capacity)
	}
}

func TestPoolAllocateRelease(t *testing.T) {
	requireFree(t, 61000, 61005)
	p := newTestPool(t, 61000, 61005) // 3 pairs: 61000/1, 61002/3, 61004/5
	ctx := context.Background()
	var got []*PortPair
	for range 3 {
		pp, err := p.Allocate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if pp.RTPAddr().Port()%2 != 0 || pp.RTCPAddr().Port() != pp.RTPAddr().Port()+1 {
			t.Fatalf("pair %v/%v is not even/odd+1", pp.RTPAddr(), pp.RTCPAddr())
		}
		got = append(got, pp)
	}
	if _, err := p.Allocate(ctx); !errors.Is(err, ErrNoPorts) {
		t.Fatalf("fourth Allocate: %v, want ErrNoPorts", err)
	}
	st := p.Stats()
	if st.InUse != 3 || st.Allocations != 3 || st.Exhaustions != 1 {
		t.Fatalf("stats %+v", st)
	}
	p.Release(got[1])
	p.Release(got[1]) // twice: harmless
	if st := p.Stats(); st.InUse != 2 {
		t.Fatalf("in use %d after release, want 2", st.InUse)
	}
	pp, err := p.Allocate(ctx)
	if err != nil || pp.RTPAddr().Port() != 61002 {
		t.Fatalf("reallocation: %v %v", pp, err)
	}
	for _, pp := range append(got, pp) {
		p.Release(pp)
	}
	if st := p.Stats(); st.InUse != 0 {
		t.Fatalf("in use %d at the end", st.InUse)
	}
}

func TestPoolSkipsPortsInUse(t *testing.T) {
	requireFree(t, 61100, 61105)
	// Another process (here: a plain socket) holds the RTCP port of the
	// first pair and the RTP port of the second.
	for _, port := range []int{61101, 61102} {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			t.Skipf("cannot hold port %d: %v", port, err)
		}
		defer c.Close()
	}
	p := newTestPool(t, 61100, 61105)
	pp, err := p.Allocate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release(pp)
	if pp.RTPAddr().Port() != 61104 {
		t.Fatalf("got %v, want the third pair", pp.RTPAddr())
	}
	if st := p.Stats(); st.BindFailures != 2 {
		t.Fatalf("bind failures %d, want 2", st.BindFailures)
	}
	if _, err := p.Allocate(context.Background()); !errors.Is(err, ErrNoPorts) {
		t.Fatalf("err %v, want ErrNoPorts", err)
	}
}

func TestPoolAllocateCancelled(t *testing.T) {
	p := newTestPool(t, 61200, 61209)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Allocate(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if st := p.Stats(); st.InUse != 0 {
		t.Fatalf("in use %d", st.InUse)
	}
}
