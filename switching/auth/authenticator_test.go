package auth

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

const (
	testRealm = "sip.example.net"
	testUser  = "1001"
	testPass  = "s3cret"
	// testSrc is the address every test challenge goes to and every
	// answer comes from.
	testSrc = "192.0.2.7"
)

func testLookup(user string) (Credentials, bool) {
	if user != testUser {
		return Credentials{}, false
	}
	return Credentials{
		HA1MD5:    HA1(MD5, testUser, testRealm, testPass),
		HA1SHA256: HA1(SHA256, testUser, testRealm, testPass),
	}, true
}

func newTestAuth(t testing.TB, cfg Config) *Authenticator {
	t.Helper()
	if cfg.Realm == "" {
		cfg.Realm = testRealm
	}
	a, err := New(cfg, testLookup)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// answer is a UA: it answers one challenge value as RFC 7616 §3.4 says.
func answer(t testing.TB, challenge, user, pass, method, uri, nc string) string {
	t.Helper()
	ch, err := ParseCredentials(challenge) // same auth-param syntax
	if err != nil {
		t.Fatalf("parse challenge %q: %v", challenge, err)
	}
	alg := ch.Algorithm
	cnonce := "0a4f113b"
	ha1 := HA1(alg, user, ch.Realm, pass)
	resp := Response(alg, ha1, ch.Nonce, nc, cnonce, "auth", method, uri)
	return fmt.Sprintf(`Digest username=%s, realm=%s, nonce="%s", uri="%s", response="%s", algorithm=%s, cnonce="%s", qop=auth, nc=%s`,
		quote(user), quote(ch.Realm), ch.Nonce, uri, resp, alg, cnonce, nc)
}

func TestChallenge(t *testing.T) {
	a := newTestAuth(t, Config{Algorithms: []string{SHA256, MD5}})
	got := a.Challenge(false, testSrc)
	if len(got) != 2 {
		t.Fatalf("got %d challenges, want 2: %q", len(got), got)
	}
	for i, alg := range []string{SHA256, MD5} {
		c, err := ParseCredentials(got[i])
		if err != nil {
			t.Fatalf("challenge %q: %v", got[i], err)
		}
		if c.Algorithm != alg || c.Realm != testRealm || c.QOP != "auth" || len(c.Nonce) != nonceHexLen {
			t.Errorf("challenge[%d] = %q", i, got[i])
		}
		if strings.Contains(got[i], "stale") {
			t.Errorf("challenge[%d] has stale: %q", i, got[i])
		}
	}
	n0, _ := ParseCredentials(got[0])
	n1, _ := ParseCredentials(got[1])
	if n0.Nonce == n1.Nonce {
		t.Error("the two challenges share a nonce")
	}
	for _, v := range a.Challenge(true, testSrc) {
		if !strings.HasSuffix(v, ", stale=true") {
			t.Errorf("stale challenge %q lacks stale=true", v)
		}
	}
}

func TestChallengeQuotesRealm(t *testing.T) {
	a := newTestAuth(t, Config{Realm: `a"b\c`})
	c, err := ParseCredentials(a.Challenge(false, testSrc)[0])
	if err != nil || c.Realm != `a"b\c` {
		t.Fatalf("realm round trip = %q, %v", c.Realm, err)
	}
}

func TestRoundTrip(t *testing.T) {
	algs := []string{SHA256, MD5, SHA256Sess, MD5Sess}
	a := newTestAuth(t, Config{Algorithms: algs})
	for i, ch := range a.Challenge(false, testSrc) {
		t.Run(algs[i], func(t *testing.T) {
			for _, method := range []string{"REGISTER", "INVITE"} {
				h := answer(t, ch, testUser, testPass, method, "sip:"+testRealm, "00000001")
				if method == "INVITE" {
					h = answer(t, ch, testUser, testPass, method, "sip:1002@"+testRealm, "00000002")
				}
				user, err := a.Verify(method, testSrc, h)
				if err != nil || user != testUser {
					t.Fatalf("Verify(%s) = %q, %v", method, user, err)
				}
			}
		})
	}
}

func TestVerifyFailures(t *testing.T) {
	a := newTestAuth(t, Config{Algorithms: []string{SHA256, MD5}})
	other := newTestAuth(t, Config{Algorithms: []string{SHA256, MD5, SHA256Sess}, Realm: "other.example.net"})
	sha, md := a.Challenge(false, testSrc)[0], a.Challenge(false, testSrc)[1]
	tests := []struct {
		name   string
		method string
		header string
		want   error
		user   string
	}{
		{"wrong password", "REGISTER", answer(t, sha, testUser, "nope", "REGISTER", "sip:x", "00000001"), ErrInvalidCredentials, testUser},
		{"unknown user", "REGISTER", answer(t, sha, "9999", testPass, "REGISTER", "sip:x", "00000001"), ErrInvalidCredentials, "9999"},
		{"unknown user md5", "REGISTER", answer(t, md, "9999", testPass, "REGISTER", "sip:x", "00000001"), ErrInvalidCredentials, "9999"},
		{"wrong method", "INVITE", answer(t, sha, testUser, testPass, "REGISTER", "sip:x", "00000001"), ErrInvalidCredentials, testUser},
		{"wrong realm", "REGISTER", answer(t, other.Challenge(false, testSrc)[0], testUser, testPass, "REGISTER", "sip:x", "00000001"), ErrInvalidCredentials, testUser},
		{"not offered", "REGISTER", answer(t, other.Challenge(false, testSrc)[2], testUser, testPass, "REGISTER", "sip:x", "00000001"), ErrInvalidCredentials, testUser},
		{"no credentials", "REGISTER", "", ErrNoCredentials, ""},
		{"basic", "REGISTER", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", ErrNoCredentials, ""},
		{"nc zero", "REGISTER", answer(t, sha, testUser, testPass, "REGISTER", "sip:x", "00000000"), ErrMalformedCredentials, testUser},
		{"nc short", "REGISTER", answer(t, sha, testUser, testPass, "REGISTER", "sip:x", "1"), ErrMalformedCredentials, testUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user, err := a.Verify(tt.method, testSrc, tt.header)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %q, %v; want %v", user, err, tt.want)
			}
			if user != "" {
				t.Errorf("failed Verify returned user %q", user)
			}
			var ae *AuthError
			if !errors.As(err, &ae) || ae.User != tt.user {
				t.Errorf("AuthError = %#v, want user %q", ae, tt.user)
			}
		})
	}
}

// An unknown user must be indistinguishable from a wrong password: same
// sentinel, same detail.
func TestUnknownUserSameError(t *testing.T) {
	a := newTestAuth(t, Config{})
	ch := a.Challenge(false, testSrc)[0]
	_, errWrong := a.Verify("REGISTER", testSrc, answer(t, ch, testUser, "bad", "REGISTER", "sip:x", "00000001"))
	_, errUnknown := a.Verify("REGISTER", testSrc, answer(t, ch, "nobody", "bad", "REGISTER", "sip:x", "00000001"))
	var w, u *AuthError
	if !errors.As(errWrong, &w) || !errors.As(errUnknown, &u) {
		t.Fatalf("errors: %v / %v", errWrong, errUnknown)
	}
	if w.Err != u.Err || w.Detail != u.Detail {
		t.Errorf("wrong password %v vs unknown user %v differ", w, u)
	}
	// A user without a secret for the algorithm, too.
	b, _ := New(Config{Realm: testRealm}, func(string) (Credentials, bool) { return Credentials{HA1MD5: "x"}, true })
	_, errNoSHA := b.Verify("REGISTER", testSrc, answer(t, b.Challenge(false, testSrc)[0], testUser, testPass, "REGISTER", "sip:x", "00000001"))
	var n *AuthError
	if !errors.As(errNoSHA, &n) || n.Err != w.Err || n.Detail != w.Detail {
		t.Errorf("user without SHA-256 secret: %v", errNoSHA)
	}
}

// A dummy HA1 is random per process, so nobody can answer for an unknown
// user even knowing the code.
func TestUnknownUserNeverSucceeds(t *testing.T) {
	a := newTestAuth(t, Config{})
	c, _ := ParseCredentials(a.Challenge(false, testSrc)[0])
	resp := Response(SHA256, a.dummySH, c.Nonce, "00000001", "c", "auth", "REGISTER", "sip:x")
	h := fmt.Sprintf(`Digest username="ghost", realm=%q, nonce=%q, uri="sip:x", response=%q, algorithm=SHA-256, cnonce="c", qop=auth, nc=00000001`, testRealm, c.Nonce, resp)
	if _, err := a.Verify("REGISTER", testSrc, h); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("dummy HA1 accepted: %v", err)
	}
}

func TestStaleNonce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := newTestAuth(t, Config{NonceLifetime: 30 * time.Second})
		ch := a.Challenge(false, testSrc)[0]
		time.Sleep(29 * time.Second)
		if _, err := a.Verify("REGISTER", testSrc, answer(t, ch, testUser, testPass, "REGISTER", "sip:x", "00000001")); err != nil {
			t.Fatalf("within lifetime: %v", err)
		}
		time.Sleep(2 * time.Second)
		_, err := a.Verify("REGISTER", testSrc, answer(t, ch, testUser, testPass, "REGISTER", "sip:x", "00000002"))
		if !errors.Is(err, ErrStaleNonce) {
			t.Fatalf("expired nonce: %v, want ErrStaleNonce", err)
		}
		// Expired nonce but wrong password: not stale, invalid.
		_, err = a.Verify("REGISTER", testSrc, answer(t, ch, testUser, "bad", "REGISTER", "sip:x", "00000003"))
		if !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("expired nonce, wrong password: %v, want ErrInvalidCredentials", err)
		}
		// Re-challenge with stale=true and succeed.
		ch = a.Challenge(true, testSrc)[0]
		if _, err := a.Verify("REGISTER", testSrc, answer(t, ch, testUser, testPass, "REGISTER", "sip:x", "00000001")); err != nil {
			t.Fatalf("after re-challenge: %v", err)
		}
	})
}

// A nonce under another key (say, from before a restart) with the right
// password is stale, not a failure.
func TestForeignNonceIsStale(t *testing.T) {
	a := newTestAuth(t, Config{})
	b := newTestAuth(t, Config{})
	_, err := a.Verify("REGISTER", testSrc, answer(t, b.Challenge(false, testSrc)[0], testUser, testPass, "REGISTER", "sip:x", "00000001"))
	if !errors.Is(err, ErrStaleNonce) {
		t.Fatalf("foreign nonce: %v, want ErrStaleNonce", err)
	}
	// With a shared key the nonce is accepted.
	key := []byte("0123456789abcdef0123456789abcdef")
	c := newTestAuth(t, Config{Key: key})
	d := newTestAuth(t, Config{Key: key})
	if _, err := c.Verify("REGISTER", testSrc, answer(t, d.Challenge(false, testSrc)[0], testUser, testPass, "REGISTER", "sip:x", "00000001")); err != nil {
		t.Fatalf("shared key: %v", err)
	}
}

func TestNonceCountReplay(t *testing.T) {
	a := newTestAuth(t, Config{})
	ch := a.Challenge(false, testSrc)[0]
	steps := []struct {
		nc   string
		want error
	}{
		{"00000001", nil},
		{"00000001", ErrNonceReused},
		{"00000002", nil},
		{"0000000A", nil},
		{"00000009", ErrNonceReused},
		{"0000000a", ErrNonceReused},
		{"0000000b", nil},
	}
	for i, s := range steps {
		_, err := a.Verify("REGISTER", testSrc, answer(t, ch, testUser, testPass, "REGISTER", "sip:x", s.nc))
		if !errors.Is(err, s.want) || (s.want == nil && err != nil) {
			t.Fatalf("step %d nc=%s: %v, want %v", i, s.nc, err, s.want)
		}
	}
	// A failed attempt must not burn nc values of a legitimate nonce.
	if _, err := a.Verify("REGISTER", testSrc, answer(t, ch, testUser, "bad", "REGISTER", "sip:x", "000000ff")); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("bad password: %v", err)
	}
	if _, err := a.Verify("REGISTER", testSrc, answer(t, ch, testUser, testPass, "REGISTER", "sip:x", "0000000c")); err != nil {
		t.Fatalf("after failed attempt: %v", err)
	}
}

// The nonce-count table is bounded; a nonce whose entry had to be dropped
// is stale, never replayable.
func TestReplayTableBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := newTestAuth(t, Config{MaxNonces: 4, NonceLifetime: time.Minute})
		var chs []string
		for range 10 {
			chs = append(chs, a.Challenge(false, testSrc)[0])
			time.Sleep(time.Millisecond) // distinct issue times
		}
		for i, ch := range chs {
			if _, err := a.Verify("REGISTER", testSrc, answer(t, ch, testUser, testPass, "REGISTER", "sip:x", "00000001")); err != nil {
				t.Fatalf("nonce %d: %v", i, err)
			}
			if n := a.replay.len(); n > 4 {
				t.Fatalf("table holds %d entries, cap 4", n)
			}
		}
		for i, ch := range chs {
			_, err := a.Verify("REGISTER", testSrc, answer(t, ch, testUser, testPass, "REGISTER", "sip:x", "00000001"))
			if !errors.Is(err, ErrNonceReused) && !errors.Is(err, ErrStaleNonce) {
				t.Fatalf("replay of nonce %d: %v", i, err)
			}
		}
		// Entries age out with the nonces.
		time.Sleep(3 * time.Minute)
		ch := a.Challenge(false, testSrc)[0]
		if _, err := a.Verify("REGISTER", testSrc, answer(t, ch, testUser, testPass, "REGISTER", "sip:x", "00000001")); err != nil {
			t.Fatalf("fresh nonce: %v", err)
		}
		if n := a.replay.len(); n != 1 {
			t.Errorf("table holds %d entries after expiry, want 1", n)
		}
	})
}

func TestVerifyConcurrent(t *testing.T) {
	a := newTestAuth(t, Config{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			ch := a.Challenge(false, testSrc)[0]
			for i := 1; i <= 50; i++ {
				nc := fmt.Sprintf("%08x", i)
				if _, err := a.Verify("REGISTER", testSrc, answer(t, ch, testUser, testPass, "REGISTER", "sip:x", nc)); err != nil {
					t.Errorf("nc %s: %v", nc, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(Config{}, testLookup); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("no realm: %v", err)
	}
	if _, err := New(Config{Realm: "r"}, nil); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("nil lookup: %v", err)
	}
}

func benchHeaders(b *testing.B, a *Authenticator, chs []string, nc int) []string {
	hs := make([]string, len(chs))
	for i, ch := range chs {
		hs[i] = answer(b, ch, testUser, testPass, "REGISTER", "sip:"+testRealm, fmt.Sprintf("%08x", nc))
	}
	return hs
}

// BenchmarkVerify measures the successful REGISTER path (parse, hash,
// HMAC, nc table) against 5,000 live nonces.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range []string{SHA256, MD5} {
		b.Run(alg, func(b *testing.B) {
			a := newTestAuth(b, Config{Algorithms: []string{alg}, NonceLifetime: time.Hour})
			chs := make([]string, 5000)
			for i := range chs {
				chs[i] = a.Challenge(false, testSrc)[0]
			}
			round := 1
			hs := benchHeaders(b, a, chs, round)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				j := i % len(hs)
				if j == 0 && i > 0 {
					b.StopTimer()
					round++
					hs = benchHeaders(b, a, chs, round)
					b.StartTimer()
				}
				if _, err := a.Verify("REGISTER", testSrc, hs[j]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyInvalid is the path an attacker drives: unknown user.
func BenchmarkVerifyInvalid(b *testing.B) {
	a := newTestAuth(b, Config{})
	h := answer(b, a.Challenge(false, testSrc)[0], "nobody", "guess", "REGISTER", "sip:x", "00000001")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Verify("REGISTER", testSrc, h); err == nil {
			b.Fatal("accepted")
		}
	}
}

// TestNonceBoundToSource: an answer computed for a nonce issued to one
// address, sent from another (a captured Authorization replayed, RFC 7616
// §5.5), is stale: a fresh challenge, never an authentication.
func TestNonceBoundToSource(t *testing.T) {
	a := newTestAuth(t, Config{Algorithms: []string{MD5}})
	ch := a.Challenge(false, "192.0.2.7")[0]
	h := answer(t, ch, testUser, testPass, "REGISTER", "sip:x", "00000001")
	if _, err := a.Verify("REGISTER", "198.51.100.9", h); !errors.Is(err, ErrStaleNonce) {
		t.Fatalf("from another address: %v, want ErrStaleNonce", err)
	}
	if user, err := a.Verify("REGISTER", "192.0.2.7", h); err != nil || user != testUser {
		t.Fatalf("from the challenged address: %q %v", user, err)
	}
}
