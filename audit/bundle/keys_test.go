package bundle

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"testing"
)

func TestParseKeys(t *testing.T) {
	key := newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	privPEM, err := MarshalPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := MarshalPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	seed := base64.StdEncoding.EncodeToString(key.Seed())
	privTests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"PEM PKCS#8", string(privPEM), true},
		{"base64 seed with newline", seed + "\n", true},
		{"public PEM", string(pubPEM), false},
		{"short seed", base64.StdEncoding.EncodeToString(key.Seed()[:16]), false},
		{"garbage", "not a key", false},
	}
	for _, tt := range privTests {
		t.Run("private "+tt.name, func(t *testing.T) {
			got, err := ParsePrivateKey([]byte(tt.in))
			if !tt.ok {
				if !errors.Is(err, ErrKey) {
					t.Errorf("ParsePrivateKey = %v, want ErrKey", err)
				}
				return
			}
			if err != nil || !got.Equal(key) {
				t.Errorf("ParsePrivateKey = %v, want the key", err)
			}
		})
	}
	pubTests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"PEM PKIX", string(pubPEM), true},
		{"manifest base64", EncodePublicKey(pub), true},
		{"private PEM", string(privPEM), false},
		{"seed length", seed, true},
		{"garbage", "x", false},
	}
	for _, tt := range pubTests {
		t.Run("public "+tt.name, func(t *testing.T) {
			got, err := ParsePublicKey([]byte(tt.in))
			if !tt.ok {
				if !errors.Is(err, ErrKey) {
					t.Errorf("ParsePublicKey = %v, want ErrKey", err)
				}
				return
			}
			if err != nil || len(got) != ed25519.PublicKeySize {
				t.Errorf("ParsePublicKey = %x, %v", got, err)
			}
		})
	}
}
