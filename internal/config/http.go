package config

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
)

// AdminTokenEnv is the environment variable that may carry one more admin
// API token, with write scope, beside (or instead of) http.tokens: for
// deployments that inject secrets as environment variables.
const AdminTokenEnv = "SOFTSWITCH_ADMIN_TOKEN"

// Token scopes: a read token may GET; a write token may do anything.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
)

// minTokenLen is the shortest token accepted: 16 characters of a random
// token are 64 bits or more, out of reach of guessing over HTTP.
const minTokenLen = 16

// b64token is RFC 6750 §2.1's token68 syntax, so a token can be sent in
// an `Authorization: Bearer` header as it is.
var b64token = regexp.MustCompile(`^[A-Za-z0-9\-._~+/]+=*$`)

// tokenName keeps names printable in logs and metrics.
var tokenName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// HTTP is the `http:` admin section.
type HTTP struct {
	// Listen is host:port of the admin API and metrics. Default
	// "127.0.0.1:8080". With no token (Tokens empty and no
	// $SOFTSWITCH_ADMIN_TOKEN) it must be a loopback address.
	Listen string `yaml:"listen"`
	// Tokens are the bearer tokens the admin API accepts. Empty: the API
	// asks for none, and may then listen on loopback only.
	Tokens []Token `yaml:"tokens"`
	// Hostnames are the DNS names (or other IP addresses, behind NAT)
	// clients may reach the API by, beside the listen address: the Host
	// header of a request must be one of them, so a DNS rebinding attack
	// from a web page gets nowhere. Default: none.
	Hostnames []string `yaml:"hostnames"`

	// envToken is $SOFTSWITCH_ADMIN_TOKEN, read by Validate.
	envToken string
}

// Token is one item of http.tokens.
type Token struct {
	// Name says whose token it is, in the log of every write; never the
	// token itself.
	Name string `yaml:"name"`
	// Token is the secret, or "env:NAME" to read it from the environment.
	// At least 16 characters of RFC 6750 token syntax.
	Token string `yaml:"token"`
	// Scope is read (GET only) or write (everything). Default read.
	Scope string `yaml:"scope"`
}

func (h *HTTP) setDefaults() {
	if h.Listen == "" {
		h.Listen = "127.0.0.1:8080"
	}
	for i := range h.Tokens {
		if h.Tokens[i].Scope == "" {
			h.Tokens[i].Scope = ScopeRead
		}
	}
}

// Validate checks the http section, resolves "env:" tokens and reads
// $SOFTSWITCH_ADMIN_TOKEN. It may run again after a command-line override
// of the listen address.
func (h *HTTP) Validate() error {
	if err := validAddr(h.Listen); err != nil {
		return fieldErr("http.listen", "%v", err)
	}
	seen := map[string]string{} // token → field
	names := map[string]bool{}
	for i := range h.Tokens {
		t := &h.Tokens[i]
		f := fmt.Sprintf("http.tokens[%d]", i)
		if !tokenName.MatchString(t.Name) {
			return fieldErr(f+".name", "must be letters, digits, '.', '_' or '-', got %q", t.Name)
		}
		if names[t.Name] {
			return fieldErr(f+".name", "duplicate name %q", t.Name)
		}
		names[t.Name] = true
		v, err := resolveSecret(t.Token)
		if err != nil {
			return fieldErr(f+".token", "%v", err)
		}
		t.Token = v
		// The messages never quote the token: config errors are logged.
		if err := checkToken(v); err != nil {
			return fieldErr(f+".token", "%v", err)
		}
		if prev, dup := seen[v]; dup {
			return fieldErr(f+".token", "the same token as %s", prev)
		}
		seen[v] = f
		if t.Scope != ScopeRead && t.Scope != ScopeWrite {
			return fieldErr(f+".scope", "must be read or write, got %q", t.Scope)
		}
	}
	h.envToken = ""
	if v, set := os.LookupEnv(AdminTokenEnv); set {
		if err := checkToken(v); err != nil {
			return fieldErr("http.tokens", "$%s: %v", AdminTokenEnv, err)
		}
		if prev, dup := seen[v]; dup {
			return fieldErr("http.tokens", "$%s is the same token as %s", AdminTokenEnv, prev)
		}
		h.envToken = v
	}
	for i, n := range h.Hostnames {
		if !validHostname(n) {
			return fieldErr(fmt.Sprintf("http.hostnames[%d]", i), "must be a DNS name or IP address, without port or scheme, got %q", n)
		}
	}
	if len(h.Credentials()) == 0 && !loopback(h.Listen) {
		return fieldErr("http.listen", "%s is not a loopback address, and no token is configured (http.tokens or $%s): "+
			"the admin API can add subscribers and read the whole log, so it may face a network only behind tokens", h.Listen, AdminTokenEnv)
	}
	return nil
}

func checkToken(v string) error {
	switch {
	case v == "":
		return fmt.Errorf("must not be empty")
	case len(v) < minTokenLen:
		return fmt.Errorf("must be at least %d characters (openssl rand -hex 32 makes one), got %d", minTokenLen, len(v))
	case !b64token.MatchString(v):
		return fmt.Errorf("must be letters, digits and -._~+/ (RFC 6750 token syntax), so it can be sent as a Bearer token")
	}
	return nil
}

// Credentials are every token the admin API accepts: http.tokens, then
// $SOFTSWITCH_ADMIN_TOKEN as a write token named "env". Empty means the
// API asks for none (and listens on loopback only).
func (h *HTTP) Credentials() []Token {
	out := append([]Token(nil), h.Tokens...)
	if h.envToken != "" {
		out = append(out, Token{Name: "env", Token: h.envToken, Scope: ScopeWrite})
	}
	return out
}

// ClientToken is the token the command-line tools send to the running
// switch: the first read token for a read (least privilege), else the
// first write token; "" when there is none to send.
func (h *HTTP) ClientToken(write bool) string {
	var first string
	for _, t := range h.Credentials() {
		if !write && t.Scope == ScopeRead {
			return t.Token
		}
		if t.Scope == ScopeWrite && first == "" {
			first = t.Token
		}
	}
	return first
}

// loopback reports whether a listen address accepts connections from
// this host only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validHostname accepts a DNS name or an IP literal (an address the API
// is reached by through NAT or a load balancer).
func validHostname(n string) bool {
	if net.ParseIP(n) != nil {
		return true
	}
	if n == "" || len(n) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(n, "."), ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
