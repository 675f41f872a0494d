package switching

import (
	"strings"

	"softswitch/domain"
)

// redactedValue replaces a digest response in a recorded message.
const redactedValue = `"` + domain.Redacted + `"`

// redactCredentials returns t with the credentials in its captured SIP
// messages (audit.capture: full) redacted: the digest `response` of every
// Authorization and Proxy-Authorization header, and the `rspauth` of every
// Authentication-Info and Proxy-Authentication-Info (RFC 7616 §3.5: the
// server's proof, a digest over the same HA1, as guessable offline). With the nonce, realm and
// URI beside it, a digest response is enough to guess a weak password
// offline, and a trunk's response is our own password's; the log is kept
// for years and shown to auditors, so it must not hold them. Who
// authenticated (username, realm, nonce, algorithm) stays readable.
func redactCredentials(t domain.SIPTransaction) domain.SIPTransaction {
	t.Request = redactAuthHeaders(t.Request)
	t.Response = redactAuthHeaders(t.Response)
	return t
}

// redactAuthHeaders rewrites the Authorization and Proxy-Authorization
// header lines of a SIP message (RFC 3261 §7 text form) and leaves every
// other byte alone: other headers, the body, line endings. A folded
// header (continuation lines) is joined into one line.
func redactAuthHeaders(msg string) string {
	if lower := strings.ToLower(msg); msg == "" || !strings.Contains(lower, "authorization") && !strings.Contains(lower, "authentication-info") {
		return msg
	}
	head, body, sep := msg, "", ""
	for _, s := range []string{"\r\n\r\n", "\n\n"} {
		if i := strings.Index(msg, s); i >= 0 && (sep == "" || i < len(head)) {
			head, body, sep = msg[:i], msg[i+len(s):], s
		}
	}
	eol := "\n"
	if strings.Contains(head, "\r\n") {
		eol = "\r\n"
	}
	lines := strings.Split(head, eol)
	out := make([]string, 0, len(lines))
	for i := 0; i < len(lines); i++ {
		name, value, ok := strings.Cut(lines[i], ":")
		info := ok && isAuthInfoHeader(strings.TrimSpace(name))
		if !ok || i == 0 || !info && !isAuthHeader(strings.TrimSpace(name)) {
			out = append(out, lines[i])
			continue
		}
		// Continuation lines (RFC 3261 §7.3.1) belong to this value.
		for i+1 < len(lines) && (strings.HasPrefix(lines[i+1], " ") || strings.HasPrefix(lines[i+1], "\t")) {
			i++
			value += " " + strings.TrimSpace(lines[i])
		}
		if info {
			out = append(out, name+": "+redactParams(strings.TrimSpace(value), "rspauth"))
			continue
		}
		out = append(out, name+": "+redactCredentialsValue(strings.TrimSpace(value)))
	}
	return strings.Join(out, eol) + sep + body
}

func isAuthHeader(name string) bool {
	return strings.EqualFold(name, "Authorization") || strings.EqualFold(name, "Proxy-Authorization")
}

func isAuthInfoHeader(name string) bool {
	return strings.EqualFold(name, "Authentication-Info") || strings.EqualFold(name, "Proxy-Authentication-Info")
}

// redactCredentialsValue redacts the `response` parameter of Digest
// credentials (RFC 3261 §25.1 digest-response) and keeps the others. Any
// other scheme (Basic carries the password itself), and credentials that
// do not parse, lose everything after the scheme.
func redactCredentialsValue(v string) string {
	scheme, params, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "Digest") {
		return scheme + " " + domain.Redacted
	}
	return scheme + " " + redactParams(params, "response")
}

// redactParams redacts the parameter named secret in a comma-separated
// auth-param list and keeps the others; a list that does not parse loses
// everything.
func redactParams(params, secret string) string {
	ps, ok := splitAuthParams(params)
	if !ok {
		return domain.Redacted
	}
	for i, p := range ps {
		if n, _, _ := strings.Cut(p, "="); strings.EqualFold(strings.TrimSpace(n), secret) {
			ps[i] = strings.TrimSpace(n) + "=" + redactedValue
		}
	}
	return strings.Join(ps, ", ")
}

// splitAuthParams splits `a="x, y", b=z` at the commas outside quoted
// strings (which may escape a quote with a backslash); false when a
// quoted string is not closed.
func splitAuthParams(s string) ([]string, bool) {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case quoted && s[i] == '\\':
			i++
		case s[i] == '"':
			quoted = !quoted
		case !quoted && s[i] == ',':
			if p := strings.TrimSpace(s[start:i]); p != "" {
				out = append(out, p)
			}
			start = i + 1
		}
	}
	if quoted {
		return nil, false
	}
	if p := strings.TrimSpace(s[start:]); p != "" {
		out = append(out, p)
	}
	return out, true
}
