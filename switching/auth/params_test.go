package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestParseCredentials(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want DigestCredentials
	}{
		{"rfc 7616 shape",
			`Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
			DigestCredentials{Username: "Mufasa", Realm: "http-auth@example.org", URI: "/dir/index.html", Algorithm: "SHA-256",
				Nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", NC: "00000001", CNonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
				QOP: "auth", Response: "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", Opaque: "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"}},
		{"case, order, whitespace, empty elements",
			"  dIgEsT\t,, NC = 00000002 ,REALM=\"r\" ,,,  Username =\"u\",qop=\"auth\"  ,  ",
			DigestCredentials{Username: "u", Realm: "r", NC: "00000002", QOP: "auth"}},
		{"escapes", `Digest username="a\"b\\c", realm="x\y"`,
			DigestCredentials{Username: `a"b\c`, Realm: "xy"}},
		{"comma inside quotes", `Digest username="a, b=c", uri="sip:x;lr,y"`,
			DigestCredentials{Username: "a, b=c", URI: "sip:x;lr,y"}},
		{"unknown params ignored", `Digest foo=bar, baz="q\"x", username=u`,
			DigestCredentials{Username: "u"}},
		{"folded line", "Digest username=\"u\",\r\n realm=\"r\"",
			DigestCredentials{Username: "u", Realm: "r"}},
		{"utf-8", `Digest username="jürgen"`, DigestCredentials{Username: "jürgen"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCredentials(tt.in)
			if err != nil {
				t.Fatalf("ParseCredentials: %v", err)
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// Nasty inputs: none may panic, each gives the stated sentinel.
func TestVerifyMalformed(t *testing.T) {
	a := newTestAuth(t, Config{})
	good := answer(t, a.Challenge(false, testSrc)[0], testUser, testPass, "REGISTER", "sip:x", "00000001")
	without := func(param string) string {
		var kept []string
		for _, p := range strings.Split(strings.TrimPrefix(good, "Digest "), ", ") {
			if !strings.HasPrefix(p, param+"=") {
				kept = append(kept, p)
			}
		}
		return "Digest " + strings.Join(kept, ", ")
	}
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrNoCredentials},
		{"spaces", "   \t ", ErrNoCredentials},
		{"other scheme", "Bearer abc.def", ErrNoCredentials},
		{"scheme only", "Digest", ErrMalformedCredentials},
		{"scheme and commas", "Digest , , ,", ErrMalformedCredentials},
		{"scheme glued", `Digestusername="u"`, ErrNoCredentials},
		{"no equals", "Digest username", ErrMalformedCredentials},
		{"no value", "Digest username=", ErrMalformedCredentials},
		{"no value then comma", "Digest username=, realm=r", ErrMalformedCredentials},
		{"unterminated", `Digest username="abc`, ErrMalformedCredentials},
		{"escape at end", `Digest username="abc\`, ErrMalformedCredentials},
		{"NUL in quotes", "Digest username=\"a\x00b\"", ErrMalformedCredentials},
		{"LF in quotes", "Digest username=\"a\nb\"", ErrMalformedCredentials},
		{"garbage after value", `Digest username="u" realm="r"`, ErrMalformedCredentials},
		{"duplicate", `Digest username="u", USERNAME="v"`, ErrMalformedCredentials},
		{"leading equals", "Digest =x", ErrMalformedCredentials},
		{"quote as name", `Digest "u"=x`, ErrMalformedCredentials},
		{"bad start", `"Digest" username=u`, ErrMalformedCredentials},
		{"huge", "Digest username=\"" + strings.Repeat("a", 5000) + "\"", ErrMalformedCredentials},
		{"too many params", "Digest " + strings.Repeat("x=y,", 40), ErrMalformedCredentials},
		{"no username", without("username"), ErrMalformedCredentials},
		{"no realm", without("realm"), ErrMalformedCredentials},
		{"no nonce", without("nonce"), ErrMalformedCredentials},
		{"no uri", without("uri"), ErrMalformedCredentials},
		{"no response", without("response"), ErrMalformedCredentials},
		{"no cnonce", without("cnonce"), ErrMalformedCredentials},
		{"no qop", without("qop"), ErrMalformedCredentials},
		{"no nc", without("nc"), ErrMalformedCredentials},
		{"qop auth-int", strings.Replace(good, "qop=auth", "qop=auth-int", 1), ErrMalformedCredentials},
		{"nc not hex", strings.Replace(good, "nc=00000001", "nc=0000000g", 1), ErrMalformedCredentials},
		{"nc too long", strings.Replace(good, "nc=00000001", "nc=000000001", 1), ErrMalformedCredentials},
		{"userhash", good + ", userhash=true", ErrMalformedCredentials},
		{"unknown algorithm", strings.Replace(good, "algorithm=SHA-256", "algorithm=SHA-512-256", 1), ErrInvalidCredentials},
		{"short response", withResponse(good, "abcd"), ErrInvalidCredentials},
		{"response not hex", withResponse(good, strings.Repeat("z", 64)), ErrInvalidCredentials},
		{"response md5 length", withResponse(good, strings.Repeat("a", 32)), ErrInvalidCredentials},
		{"nonce garbage", strings.Replace(good, `nonce="`, `nonce="zz`, 1), ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user, err := a.Verify("REGISTER", testSrc, tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify(%q) = %q, %v; want %v", tt.in, user, err, tt.want)
			}
			var ae *AuthError
			if !errors.As(err, &ae) {
				t.Fatalf("not an *AuthError: %T", err)
			}
		})
	}
}

// withResponse replaces the response parameter's value.
func withResponse(h, resp string) string {
	i := strings.Index(h, `response="`) + len(`response="`)
	j := i + strings.IndexByte(h[i:], '"')
	return h[:i] + resp + h[j:]
}

func TestParseCredentialsNoAlloc(t *testing.T) {
	h := `Digest username="1001", realm="sip.example.net", nonce="abc", uri="sip:sip.example.net", response="0123", algorithm=SHA-256, cnonce="c", qop=auth, nc=00000001`
	if n := testing.AllocsPerRun(100, func() { ParseCredentials(h) }); n != 0 {
		t.Errorf("ParseCredentials allocates %v times", n)
	}
}

func FuzzParseCredentials(f *testing.F) {
	a := newTestAuth(f, Config{Algorithms: []string{SHA256, MD5, SHA256Sess, MD5Sess}})
	f.Add(answer(f, a.Challenge(false, testSrc)[0], testUser, testPass, "REGISTER", "sip:x", "00000001"))
	f.Add(`Digest username="a\"b", realm=r,,, nc=1`)
	f.Add("Digest")
	f.Add(`Digest username="`)
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseCredentials(in)
		if err == nil {
			// Every value came from the input or from unescaping it.
			for _, v := range []string{c.Username, c.Realm, c.Nonce, c.URI, c.Response, c.Algorithm, c.CNonce, c.Opaque, c.QOP, c.NC, c.UserHash} {
				if len(v) > len(in) {
					t.Fatalf("value %q longer than input", v)
				}
			}
		}
		user, err := a.Verify("REGISTER", testSrc, in)
		if err == nil {
			// Only the first seed, a real answer, or a variant of it that
			// changes nothing signed, may pass (once: its nc is then used).
			if user != testUser {
				t.Fatalf("fuzzed input authenticated as %q: %q", user, in)
			}
			return
		}
		var ae *AuthError
		if !errors.As(err, &ae) {
			t.Fatalf("not an *AuthError: %v", err)
		}
	})
}
