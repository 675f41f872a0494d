package switching

import (
	"net/url"
	"strings"

	"github.com/emiago/sipgo/sip"
)

// sameURI compares two SIP URIs as RFC 3261 §19.1.4 says, which is what a
// registrar must do to find the binding a REGISTER refreshes or removes
// (§10.3 step 7) and what digest verification must do with the uri
// parameter (§22.4):
//   - sip and sips never match; the scheme and host compare without case;
//   - the user and password compare with case, escapes undone;
//   - a component present in one and defaulted in the other does not match
//     (so sip:a@h and sip:a@h:5060 differ);
//   - a parameter in both must match (without case); user, ttl, method and
//     maddr in only one never match; any other parameter in only one (such
//     as transport) is ignored;
//   - URI headers must be in both and match.
func sameURI(a, b sip.Uri) bool {
	if !strings.EqualFold(a.Scheme, b.Scheme) || a.Wildcard != b.Wildcard {
		return false
	}
	if unescape(a.User) != unescape(b.User) || unescape(a.Password) != unescape(b.Password) {
		return false
	}
	if !strings.EqualFold(a.Host, b.Host) || a.Port != b.Port {
		return false
	}
	if !sameParams(a.UriParams, b.UriParams) || !sameParams(b.UriParams, a.UriParams) {
		return false
	}
	return sameHeaders(a.Headers, b.Headers) && sameHeaders(b.Headers, a.Headers)
}

// sameParams checks every parameter of p against q (call it both ways).
func sameParams(p, q sip.HeaderParams) bool {
	for _, kv := range p {
		other, ok := getFold(q, kv.K)
		if !ok {
			switch strings.ToLower(kv.K) {
			case "user", "ttl", "method", "maddr":
				return false
			}
			continue
		}
		if !strings.EqualFold(unescape(kv.V), unescape(other)) {
			return false
		}
	}
	return true
}

func sameHeaders(p, q sip.HeaderParams) bool {
	for _, kv := range p {
		other, ok := getFold(q, kv.K)
		if !ok || unescape(kv.V) != unescape(other) {
			return false
		}
	}
	return true
}

func getFold(p sip.HeaderParams, key string) (string, bool) {
	for _, kv := range p {
		if strings.EqualFold(kv.K, key) {
			return kv.V, true
		}
	}
	return "", false
}

// unescape undoes %hex escapes (§19.1.4: an escaped and an unescaped
// unreserved character are the same); a broken escape compares as is.
func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// sameURIString is sameURI on the text forms; URIs that do not parse
// compare equal only when the texts are.
func sameURIString(a, b string) bool {
	if a == b {
		return true
	}
	var ua, ub sip.Uri
	if sip.ParseUri(a, &ua) != nil || sip.ParseUri(b, &ub) != nil {
		return false
	}
	return sameURI(ua, ub)
}
