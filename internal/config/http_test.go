package config_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"softswitch/internal/config"
)

// Tokens of the right shape, for the tests below.
const (
	tokA = "0123456789abcdef0123"
	tokB = "fedcba9876543210fedc"
)

// TestHTTPInvalid: every http section mistake names its field, and no
// message quotes a token (config errors end up in logs).
func TestHTTPInvalid(t *testing.T) {
	t.Setenv("SOFTSWITCH_TEST_EMPTY_TOKEN", "")
	os.Unsetenv("SOFTSWITCH_TEST_UNSET_TOKEN")
	tests := []struct {
		name, yaml, field string
		env               *string // $SOFTSWITCH_ADMIN_TOKEN; nil: unset
	}{
		{"non-loopback listen without a token", "http: {listen: \"0.0.0.0:8080\"}\n", "http.listen", nil},
		{"all addresses without a token", "http: {listen: \":8080\"}\n", "http.listen", nil},
		{"a public address without a token", "http: {listen: \"192.0.2.1:8080\"}\n", "http.listen", nil},
		{"bad scope", "http: {tokens: [{name: ops, token: " + tokA + ", scope: admin}]}\n", "http.tokens[0].scope", nil},
		{"empty token", "http: {tokens: [{name: ops, token: \"\", scope: write}]}\n", "http.tokens[0].token", nil},
		{"absent token", "http: {tokens: [{name: ops}]}\n", "http.tokens[0].token", nil},
		{"short token", "http: {tokens: [{name: ops, token: short}]}\n", "http.tokens[0].token", nil},
		{"token not sendable as Bearer", "http: {tokens: [{name: ops, token: \"0123456789 abcdef0123\"}]}\n", "http.tokens[0].token", nil},
		{"token env unset", "http: {tokens: [{name: ops, token: \"env:SOFTSWITCH_TEST_UNSET_TOKEN\"}]}\n", "http.tokens[0].token", nil},
		{"token env empty", "http: {tokens: [{name: ops, token: \"env:SOFTSWITCH_TEST_EMPTY_TOKEN\"}]}\n", "http.tokens[0].token", nil},
		{"second token empty", "http: {tokens: [{name: a, token: " + tokA + "}, {name: b, token: \"\"}]}\n", "http.tokens[1].token", nil},
		{"duplicate token", "http: {tokens: [{name: a, token: " + tokA + "}, {name: b, token: " + tokA + ", scope: write}]}\n", "http.tokens[1].token", nil},
		{"no name", "http: {tokens: [{token: " + tokA + "}]}\n", "http.tokens[0].name", nil},
		{"name with a space", "http: {tokens: [{name: \"a b\", token: " + tokA + "}]}\n", "http.tokens[0].name", nil},
		{"duplicate name", "http: {tokens: [{name: a, token: " + tokA + "}, {name: a, token: " + tokB + "}]}\n", "http.tokens[1].name", nil},
		{"hostname with port", "http: {hostnames: [\"switch.example:8080\"]}\n", "http.hostnames[0]", nil},
		{"hostname with scheme", "http: {hostnames: [ok.example, \"https://switch.example\"]}\n", "http.hostnames[1]", nil},
		{"env token empty", "http: {listen: \"0.0.0.0:8080\"}\n", "http.tokens", ptr("")},
		{"env token short", "", "http.tokens", ptr("short")},
		{"env token same as a file token", "http: {tokens: [{name: a, token: " + tokA + "}]}\n", "http.tokens", ptr(tokA)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != nil {
				t.Setenv(config.AdminTokenEnv, *tt.env)
			} else {
				unsetenv(t, config.AdminTokenEnv)
			}
			c, err := config.Parse([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("accepted: %+v", c.HTTP)
			}
			var fe *config.FieldError
			if !errors.Is(err, config.ErrInvalid) || !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("error %v, want a FieldError for %s", err, tt.field)
			}
			for _, secret := range []string{tokA, tokB} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q quotes a token", err)
				}
			}
		})
	}
}

// TestHTTPTokens: what a valid http section resolves to, and which token
// the command-line tools send.
func TestHTTPTokens(t *testing.T) {
	t.Setenv("SOFTSWITCH_TEST_TOKEN", tokB)
	tests := []struct {
		name, yaml string
		env        string // $SOFTSWITCH_ADMIN_TOKEN; "" unset
		want       []config.Token
		read, wr   string // ClientToken(false), ClientToken(true)
	}{
		{"none, loopback", "", "", nil, "", ""},
		{"scope defaults to read", "http: {tokens: [{name: ro, token: " + tokA + "}]}\n", "",
			[]config.Token{{Name: "ro", Token: tokA, Scope: "read"}}, tokA, ""},
		{"env: reference, all addresses", "http: {listen: \"0.0.0.0:8080\", tokens: [{name: ops, token: \"env:SOFTSWITCH_TEST_TOKEN\", scope: write}]}\n", "",
			[]config.Token{{Name: "ops", Token: tokB, Scope: "write"}}, tokB, tokB},
		{"environment token alone", "http: {listen: \"[::]:8080\"}\n", tokA,
			[]config.Token{{Name: "env", Token: tokA, Scope: "write"}}, tokA, tokA},
		{"reads use the read token", "http: {tokens: [{name: ops, token: " + tokA + ", scope: write}, {name: ro, token: " + tokB + ", scope: read}]}\n", "",
			[]config.Token{{Name: "ops", Token: tokA, Scope: "write"}, {Name: "ro", Token: tokB, Scope: "read"}}, tokB, tokA},
		{"file and environment", "http: {tokens: [{name: ro, token: " + tokB + "}], hostnames: [switch.example, 203.0.113.7]}\n", tokA,
			[]config.Token{{Name: "ro", Token: tokB, Scope: "read"}, {Name: "env", Token: tokA, Scope: "write"}}, tokB, tokA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv(config.AdminTokenEnv, tt.env)
			} else {
				unsetenv(t, config.AdminTokenEnv)
			}
			c, err := config.Parse([]byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			// Validate runs again after a command-line override: it must
			// give the same tokens, not add the environment's twice.
			if err := c.Validate(); err != nil {
				t.Fatalf("second Validate: %v", err)
			}
			got := c.HTTP.Credentials()
			if len(got) != len(tt.want) {
				t.Fatalf("credentials %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("credential %d: %+v, want %+v", i, got[i], tt.want[i])
				}
			}
			if r, w := c.HTTP.ClientToken(false), c.HTTP.ClientToken(true); r != tt.read || w != tt.wr {
				t.Errorf("client tokens read %q write %q, want %q %q", r, w, tt.read, tt.wr)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// unsetenv unsets a variable for one test and restores it after, as
// t.Setenv does for a value.
func unsetenv(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "") // registers the restore
	os.Unsetenv(name)
}
