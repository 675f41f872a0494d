package auth

import (
	"errors"
	"strings"
)

// Parsing limits: a credentials value is a few hundred bytes; anything
// much larger is an attack on the parser, not a phone.
const (
	maxCredentialsLen = 4096
	maxParams         = 32
)

// DigestCredentials are the parameters of a Digest Authorization or
// Proxy-Authorization value (RFC 3261 §25.1 digest-response, RFC 7616
// §3.4). Values are unquoted and unescaped; absent parameters are "".
type DigestCredentials struct {
	Username  string
	Realm     string
	Nonce     string
	URI       string
	Response  string
	Algorithm string
	CNonce    string
	Opaque    string
	QOP       string
	NC        string
	// UserHash is the RFC 7616 §3.4.4 userhash parameter; this server never
	// offers it.
	UserHash string
}

// errNotDigest: a well-formed value of another scheme (Basic, Bearer...).
var errNotDigest = errors.New("not a Digest credential")

// ParseCredentials parses one credentials value of the Digest scheme.
// Parameter names are case-insensitive and may come in any order; values
// may be tokens or quoted-strings with backslash escapes (RFC 7230 §3.2.6);
// whitespace and empty list elements (",,") are tolerated (RFC 7230 §7).
// Unknown parameters are ignored (RFC 7616 §3.4); a known one repeated is
// an error (RFC 7235 §2.1). It does not allocate unless a value holds an
// escape.
func ParseCredentials(value string) (DigestCredentials, error) {
	var c DigestCredentials
	if len(value) > maxCredentialsLen {
		return c, errors.New("credentials too long")
	}
	s := trimLWS(value)
	scheme, rest := cutToken(s)
	if scheme == "" {
		if s == "" {
			return c, errNotDigest
		}
		return c, errors.New("missing auth-scheme")
	}
	if !strings.EqualFold(scheme, "Digest") {
		return c, errNotDigest
	}
	if rest != "" && !isLWS(rest[0]) {
		return c, errors.New("auth-scheme not followed by whitespace")
	}
	var seen uint16
	count := 0
	s = rest
	for {
		// Skip whitespace and empty list elements.
		for s != "" && (isLWS(s[0]) || s[0] == ',') {
			s = s[1:]
		}
		if s == "" {
			break
		}
		if count++; count > maxParams {
			return c, errors.New("too many parameters")
		}
		var name string
		name, s = cutToken(s)
		if name == "" {
			return c, errors.New("expected parameter name")
		}
		s = trimLeftLWS(s)
		if s == "" || s[0] != '=' {
			return c, errors.New("expected '=' after " + quote(name))
		}
		s = trimLeftLWS(s[1:])
		var val string
		var err error
		if s != "" && s[0] == '"' {
			val, s, err = cutQuoted(s)
			if err != nil {
				return c, err
			}
		} else {
			val, s = cutToken(s)
			if val == "" {
				return c, errors.New("empty value for " + quote(name))
			}
		}
		s = trimLeftLWS(s)
		if s != "" && s[0] != ',' {
			return c, errors.New("expected ',' after " + quote(name))
		}
		field, bit := c.field(name)
		if field == nil {
			continue
		}
		if seen&bit != 0 {
			return c, errors.New("duplicate parameter " + quote(name))
		}
		seen |= bit
		*field = val
	}
	if count == 0 {
		return c, errors.New("no parameters")
	}
	return c, nil
}

// field maps a parameter name to its slot and a bit for duplicate checks.
func (c *DigestCredentials) field(name string) (*string, uint16) {
	// Dispatch on length first: EqualFold on every name would be wasteful
	// at 5,000 requests per second.
	switch len(name) {
	case 2:
		if strings.EqualFold(name, "nc") {
			return &c.NC, 1 << 0
		}
	case 3:
		if strings.EqualFold(name, "uri") {
			return &c.URI, 1 << 1
		}
		if strings.EqualFold(name, "qop") {
			return &c.QOP, 1 << 2
		}
	case 5:
		if strings.EqualFold(name, "realm") {
			return &c.Realm, 1 << 3
		}
		if strings.EqualFold(name, "nonce") {
			return &c.Nonce, 1 << 4
		}
	case 6:
		if strings.EqualFold(name, "cnonce") {
			return &c.CNonce, 1 << 5
		}
		if strings.EqualFold(name, "opaque") {
			return &c.Opaque, 1 << 6
		}
	case 8:
		if strings.EqualFold(name, "username") {
			return &c.Username, 1 << 7
		}
		if strings.EqualFold(name, "response") {
			return &c.Response, 1 << 8
		}
		if strings.EqualFold(name, "userhash") {
			return &c.UserHash, 1 << 9
		}
	case 9:
		if strings.EqualFold(name, "algorithm") {
			return &c.Algorithm, 1 << 10
		}
	}
	return nil, 0
}

// cutQuoted cuts a quoted-string (RFC 7230 §3.2.6) off the front of s,
// which starts with '"', and returns its unescaped content.
func cutQuoted(s string) (val, rest string, err error) {
	escaped := false
	for i := 1; i < len(s); i++ {
		switch b := s[i]; {
		case b == '"':
			if !escaped {
				return s[1:i], s[i+1:], nil
			}
			return unescape(s[1:i]), s[i+1:], nil
		case b == '\\':
			if i+1 >= len(s) || !isQuotedPairChar(s[i+1]) {
				return "", "", errors.New("bad escape in quoted-string")
			}
			escaped = true
			i++
		case !isQDText(b):
			return "", "", errors.New("control character in quoted-string")
		}
	}
	return "", "", errors.New("unterminated quoted-string")
}

// unescape removes the backslashes of quoted-pairs; s is known valid.
func unescape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text; UTF-8 is
// obs-text here, as SIP allows it in quoted strings (RFC 3261 §25.1).
func isQDText(b byte) bool {
	return b == '\t' || b == ' ' || b == 0x21 || (b >= 0x23 && b <= 0x5b) || (b >= 0x5d && b <= 0x7e) || b >= 0x80
}

// quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ).
func isQuotedPairChar(b byte) bool {
	return b == '\t' || (b >= 0x20 && b != 0x7f)
}

// cutToken cuts a token (RFC 7230 §3.2.6 tchar; SIP's token adds nothing
// the digest grammar needs) off the front of s.
func cutToken(s string) (tok, rest string) {
	i := 0
	for i < len(s) && isTChar(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

func isTChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	switch b {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// isLWS accepts CR and LF too: a value handed over by a SIP parser may
// still contain folded lines (RFC 3261 §7.3.1).
func isLWS(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

func trimLeftLWS(s string) string {
	for s != "" && isLWS(s[0]) {
		s = s[1:]
	}
	return s
}

func trimLWS(s string) string {
	s = trimLeftLWS(s)
	for s != "" && isLWS(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// quote renders s as a quoted-string, escaping '"' and '\' (RFC 7230
// §3.2.6), for challenges and messages.
func quote(s string) string {
	if !strings.ContainsAny(s, "\"\\") {
		return "\"" + s + "\""
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
