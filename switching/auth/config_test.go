package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; nil means valid
	}{
		{"defaults", Config{Realm: "r"}, nil},
		{"no realm", Config{}, []string{"auth.realm: must not be empty"}},
		{"bad algorithm", Config{Realm: "r", Algorithms: []string{"MD5", "SHA-512"}},
			[]string{`auth.algorithms[1]: unsupported algorithm "SHA-512"`}},
		{"duplicate", Config{Realm: "r", Algorithms: []string{"SHA-256", "sha-256"}},
			[]string{`auth.algorithms[1]: duplicate algorithm "sha-256"`}},
		{"negatives", Config{Realm: "r", NonceLifetime: -time.Second, MaxNonces: -1, Key: []byte("short"),
			Ban: LimiterConfig{MaxFailures: -1, Window: -1, BanFor: -1, MaxSources: -1}},
			[]string{"auth.nonce_lifetime:", "auth.max_nonces:", "auth.key:", "auth.ban.max_failures:",
				"auth.ban.window:", "auth.ban.ban_for:", "auth.ban.max_sources:"}},
		{"control in realm", Config{Realm: "a\r\nb"}, []string{"auth.realm: control character"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate = %v, want ErrInvalidConfig", err)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("no *ConfigError in %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	var c Config
	c.setDefaults()
	if c.NonceLifetime != 30*time.Second || len(c.Algorithms) != 2 || c.Algorithms[0] != SHA256 ||
		c.MaxNonces != DefaultMaxNonces || c.Now == nil || c.Ban.MaxFailures != DefaultMaxFailures ||
		c.Ban.Window != DefaultWindow || c.Ban.BanFor != DefaultBanFor || c.Ban.MaxSources != DefaultMaxSources {
		t.Errorf("defaults: %+v", c)
	}
}
