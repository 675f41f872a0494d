package auth

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

func newTestLimiter(t *testing.T, cfg LimiterConfig) *Limiter {
	t.Helper()
	l, err := NewLimiter(cfg)
	if err != nil {
		t.Fatalf("NewLimiter: %v", err)
	}
	return l
}

func TestLimiterBanAndExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newTestLimiter(t, LimiterConfig{MaxFailures: 3, Window: time.Minute, BanFor: 10 * time.Minute})
		const src = "192.0.2.1"
		for i := 1; i <= 2; i++ {
			if v := l.Fail(src, false); v.Banned || v.Fails != i {
				t.Fatalf("failure %d: %+v", i, v)
			}
		}
		start := time.Now()
		v := l.Fail(src, false)
		if !v.Banned || !v.Until.Equal(start.Add(10*time.Minute)) || v.Fails != 3 || v.Key != src {
			t.Fatalf("third failure: %+v, want a ban of %s for 10m after 3 failures", v, src)
		}
		if !l.Banned(src) || l.Banned("192.0.2.2") {
			t.Fatal("Banned wrong")
		}
		// Failing while banned does not extend the ban.
		time.Sleep(time.Minute)
		if v2 := l.Fail(src, false); !v2.Banned || !v2.Until.Equal(v.Until) {
			t.Fatalf("fail while banned: %+v", v2)
		}
		time.Sleep(9*time.Minute - time.Nanosecond)
		if !l.Banned(src) {
			t.Fatal("ban lifted early")
		}
		time.Sleep(time.Nanosecond)
		if l.Banned(src) {
			t.Fatal("ban not lifted at until")
		}
		// After the ban, counting starts over.
		if v := l.Fail(src, false); v.Banned {
			t.Fatal("banned again on first failure after ban")
		}
	})
}

func TestLimiterWindowReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newTestLimiter(t, LimiterConfig{MaxFailures: 3, Window: time.Minute, BanFor: time.Hour})
		const src = "192.0.2.9"
		l.Fail(src, false)
		l.Fail(src, false)
		time.Sleep(time.Minute) // window over: the two failures are forgotten
		if v := l.Fail(src, false); v.Banned {
			t.Fatal("banned although the window had passed")
		}
		l.Fail(src, false)
		if v := l.Fail(src, false); !v.Banned {
			t.Fatal("not banned at 3 failures within the window")
		}
	})
}

// TestLimiterTrustedSource: an address that authenticated lately is not
// banned by UDP failures (spoofable) at the normal count, only at ten
// times it; TCP failures (not spoofable) count as for anyone; the trust
// lapses after TrustFor; a success never lifts a ban.
func TestLimiterTrustedSource(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newTestLimiter(t, LimiterConfig{MaxFailures: 3, Window: time.Minute, BanFor: time.Hour, TrustFor: 10 * time.Minute, TrustedFactor: 10})
		const nat = "198.51.100.20"
		l.Success(nat)
		for i := range 29 {
			if v := l.Fail(nat, false); v.Banned {
				t.Fatalf("spoofed UDP failure %d banned an address that just authenticated", i+1)
			}
		}
		if v := l.Fail(nat, false); !v.Banned || v.Fails != 30 {
			t.Fatalf("30th UDP failure in a window: %+v, want a ban (the rate no phone reaches)", v)
		}

		const office = "198.51.101.21"
		l.Success(office)
		l.Fail(office, true)
		l.Fail(office, true)
		if v := l.Fail(office, true); !v.Banned {
			t.Fatal("3 TCP failures did not ban: they cannot be spoofed")
		}
		l.Success(office)
		if !l.Banned(office) {
			t.Fatal("a success lifted a ban")
		}

		const old = "198.51.102.22"
		l.Success(old)
		time.Sleep(11 * time.Minute)
		l.Fail(old, false)
		l.Fail(old, false)
		if v := l.Fail(old, false); !v.Banned {
			t.Fatal("trust did not lapse after TrustFor")
		}
	})
}

// TestLimiterNetworks: an attacker rotating addresses inside one /64 (or
// /24) is banned as a network after four times the budget, and every
// address of it with it, but the address that authenticated lately.
func TestLimiterNetworks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newTestLimiter(t, LimiterConfig{MaxFailures: 3, Window: time.Minute, BanFor: time.Hour})
		var v Verdict
		for i := range 12 {
			v = l.Fail(fmt.Sprintf("2001:db8:0:1::%x", i+1), false)
		}
		if !v.Banned || v.Key != "2001:db8:0:1::/64" || v.Fails != 12 {
			t.Fatalf("12th failure across the /64: %+v, want the /64 banned", v)
		}
		if !l.Banned("2001:db8:0:1::ffff") || l.Banned("2001:db8:0:2::1") {
			t.Fatal("the /64 ban did not cover its addresses only")
		}
		l.Success("192.0.2.200") // a phone of the network, authenticated
		for i := range 12 {
			v = l.Fail(fmt.Sprintf("192.0.2.%d", i+1), false)
		}
		if !v.Banned || v.Key != "192.0.2.0/24" {
			t.Fatalf("12th failure across the /24: %+v, want the /24 banned", v)
		}
		if !l.Banned("192.0.2.99") || !l.Banned("::ffff:192.0.2.99") || l.Banned("192.0.2.200") {
			t.Fatal("the /24 ban: want it on its addresses (v4-mapped too), not on the one that authenticated")
		}
	})
}

// TestLimiterBounded: a spray of spoofed sources (one failure each, all
// over the address space) never grows the table past its cap, and a slow
// guesser hiding in it is still banned, by its network if its own entry
// is pushed out; the phones that authenticated keep their entries;
// restored bans hold.
func TestLimiterBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newTestLimiter(t, LimiterConfig{MaxFailures: 3, Window: time.Minute, BanFor: time.Hour, MaxSources: 1000})
		const phone, guesser = "198.51.100.7", "203.0.113.66"
		l.Success(phone)
		spray := func(i int) string {
			// Spread like random spoofing: a different /24 nearly every time.
			return fmt.Sprintf("%d.%d.%d.%d", 11+i%200, (i*7)%256, (i*13)%256, i%256)
		}
		banned := false
		for i := range 20000 {
			l.Fail(spray(i), false)
			if n := l.Len(); n > 1000 {
				t.Fatalf("%d sources tracked, cap 1000", n)
			}
			if i%200 == 0 {
				banned = l.Fail(guesser, false).Banned || banned
			}
			time.Sleep(100 * time.Microsecond)
		}
		if !banned || !l.Banned(guesser) {
			t.Fatal("a slow guesser was never banned under a spray of spoofed sources")
		}
		if ev, _ := l.Evicted(); ev < 10000 {
			t.Errorf("evicted %d, want the spray churning the table", ev)
		}
		if l.Banned(phone) || l.Fail(phone, false).Banned {
			t.Error("the phone that authenticated lost its standing under the spray")
		}

		r := newTestLimiter(t, LimiterConfig{})
		r.Ban("192.0.2.50", time.Now().Add(time.Minute))
		r.Ban("2001:db8:9::/64", time.Now().Add(time.Minute))
		r.Ban("192.0.2.51", time.Now().Add(-time.Minute)) // already over
		if !r.Banned("192.0.2.50") || !r.Banned("2001:db8:9::5") || r.Banned("192.0.2.51") {
			t.Fatal("restored bans wrong")
		}
	})
}
