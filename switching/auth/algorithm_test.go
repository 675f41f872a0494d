package auth

import "testing"

// RFC 7616 §3.9.1: the example exchange, for both algorithms.
func TestResponseRFC7616Vectors(t *testing.T) {
	const (
		user   = "Mufasa"
		pass   = "Circle of Life"
		realm  = "http-auth@example.org"
		nonce  = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
		cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
		nc     = "00000001"
		uri    = "/dir/index.html"
		method = "GET"
	)
	tests := []struct {
		alg  string
		want string
	}{
		{MD5, "8ca523f5e9506fed4657c9700eebdbec"},
		{SHA256, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			ha1 := HA1(tt.alg, user, realm, pass)
			if got := Response(tt.alg, ha1, nonce, nc, cnonce, "auth", method, uri); got != tt.want {
				t.Errorf("Response = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestHA1(t *testing.T) {
	tests := []struct {
		alg, want string
	}{
		// md5("Mufasa:http-auth@example.org:Circle of Life"), checked with md5sum
		{MD5, "3d78807defe7de2157e2b0b6573a855f"},
		{MD5Sess, "3d78807defe7de2157e2b0b6573a855f"},
		{"sha-256", HA1(SHA256, "Mufasa", "http-auth@example.org", "Circle of Life")},
		{"SHA-512", ""},
	}
	for _, tt := range tests {
		got := HA1(tt.alg, "Mufasa", "http-auth@example.org", "Circle of Life")
		if got != tt.want {
			t.Errorf("HA1(%s) = %q, want %q", tt.alg, got, tt.want)
		}
	}
	if n := len(HA1(SHA256, "a", "b", "c")); n != 64 {
		t.Errorf("SHA-256 HA1 has %d hex digits, want 64", n)
	}
}

func TestResponseSess(t *testing.T) {
	// RFC 7616 §3.4.2: the -sess response is the plain one computed over
	// H(HA1:nonce:cnonce) as HA1.
	ha1 := HA1(SHA256, "u", "r", "p")
	sess := HA1(SHA256, ha1, "n", "c") // H(ha1 ":" "n" ":" "c")
	want := Response(SHA256, sess, "n", "00000001", "c", "auth", "REGISTER", "sip:r")
	if got := Response(SHA256Sess, ha1, "n", "00000001", "c", "auth", "REGISTER", "sip:r"); got != want {
		t.Errorf("SHA-256-sess = %s, want %s", got, want)
	}
}
