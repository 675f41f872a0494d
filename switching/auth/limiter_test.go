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
			if banned, _ := l.Fail(src); banned {
				t.Fatalf("banned after %d failures", i)
			}
		}
		start := time.Now()
		banned, until := l.Fail(src)
		if !banned || !until.Equal(start.Add(10*time.Minute)) {
			t.Fatalf("third failure: banned=%v until=%v", banned, until)
		}
		if !l.Banned(src) || l.Banned("192.0.2.2") {
			t.Fatal("Banned wrong")
		}
		// Failing while banned does not extend the ban.
		time.Sleep(time.Minute)
		if b, u := l.Fail(src); !b || !u.Equal(until) {
			t.Fatalf("fail while banned: %v %v", b, u)
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
		if banned, _ := l.Fail(src); banned {
			t.Fatal("banned again on first failure after ban")
		}
	})
}

func TestLimiterWindowReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newTestLimiter(t, LimiterConfig{MaxFailures: 3, Window: time.Minute, BanFor: time.Hour})
		const src = "2001:db8::1"
		l.Fail(src)
		l.Fail(src)
		time.Sleep(time.Minute) // window over: the two failures are forgotten
		if banned, _ := l.Fail(src); banned {
			t.Fatal("banned although the window had passed")
		}
		l.Fail(src)
		if banned, _ := l.Fail(src); !banned {
			t.Fatal("not banned at 3 failures within the window")
		}
	})
}

func TestLimiterSuccessForgets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newTestLimiter(t, LimiterConfig{MaxFailures: 2})
		l.Fail("a")
		l.Success("a")
		if banned, _ := l.Fail("a"); banned {
			t.Fatal("Success did not reset failures")
		}
		l.Fail("a")
		l.Success("a")
		if !l.Banned("a") {
			t.Fatal("Success lifted a ban")
		}
	})
}

func TestLimiterBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newTestLimiter(t, LimiterConfig{MaxFailures: 2, Window: time.Minute, BanFor: time.Hour, MaxSources: 100})
		// A spray from many addresses never grows the table past its cap.
		for i := range 1000 {
			l.Fail(fmt.Sprintf("10.0.%d.%d", i/256, i%256))
			if n := l.Len(); n > 100 {
				t.Fatalf("%d sources tracked, cap 100", n)
			}
		}
		// Bans survive the spray: fill with banned sources, then spray.
		l = newTestLimiter(t, LimiterConfig{MaxFailures: 1, BanFor: time.Hour, MaxSources: 10})
		for i := range 10 {
			l.Fail(fmt.Sprintf("b%d", i))
		}
		for i := range 100 {
			l.Fail(fmt.Sprintf("n%d", i))
		}
		for i := range 10 {
			if !l.Banned(fmt.Sprintf("b%d", i)) {
				t.Fatalf("ban of b%d forgotten under pressure", i)
			}
		}
		// Expired entries are swept to make room.
		time.Sleep(2 * time.Hour)
		if banned, _ := l.Fail("late"); !banned || l.Len() > 10 {
			t.Fatalf("after expiry: banned=%v len=%d", banned, l.Len())
		}
	})
}
