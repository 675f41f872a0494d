package switching

import (
	"strings"

	"github.com/emiago/sipgo/sip"
)

// presented is the caller ID a subscriber's call is presented with
// onwards: the account itself, unless the INVITE asks for another of the
// subscriber's own numbers by P-Preferred-Identity (RFC 3325 §9.2). The
// switch is the trust domain's edge: what the phone sends is a wish, and
// it becomes the asserted identity only when the subscriber's policy lists
// that number (a PBX's DIDs, the dialer's caller-ID pool). Anything else
// — a number not listed, an unreadable URI, a second wish — is ignored,
// counted, and the account presented, so no phone can borrow a number.
func (b *B2BUA) presented(user string, req *sip.Request) string {
	hs := req.GetHeaders("P-Preferred-Identity")
	if len(hs) == 0 || b.x == nil || b.x.Policy == nil {
		return user
	}
	for _, h := range hs {
		// RFC 3325 §9.2 allows one sip: and one tel: URI, comma-separated
		// or in two headers; any one of them the policy lists will do.
		for _, v := range strings.Split(h.Value(), ",") {
			u, ok := identityUser(v)
			if !ok {
				continue
			}
			n, err := b.x.Normalizer.Normalize(u)
			if err != nil {
				continue
			}
			if b.x.Policy(user).MayPresent(n.E164()) {
				return n.E164()
			}
		}
	}
	b.m.identitiesRefused.Add(1)
	b.log.Info("P-Preferred-Identity not among the subscriber's identities; presenting the account",
		"user", user, "asked", hs[0].Value())
	return user
}

// identityUser returns the user part of a name-addr or addr-spec with a
// sip:, sips: or tel: URI (RFC 3325 §9.2, RFC 3966).
func identityUser(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return "", false
		}
		v = v[i+1 : i+j]
	}
	var rest string
	switch lower := strings.ToLower(v); {
	case strings.HasPrefix(lower, "sip:"):
		rest = v[4:]
	case strings.HasPrefix(lower, "sips:"):
		rest = v[5:]
	case strings.HasPrefix(lower, "tel:"):
		rest = v[4:]
	default:
		return "", false
	}
	if i := strings.IndexAny(rest, "@;?"); i >= 0 {
		rest = rest[:i]
	}
	return rest, rest != ""
}
