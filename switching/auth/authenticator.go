package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strings"
	"time"
)

// Credentials are a subscriber's stored digest secrets for the realm, as
// lower-case hex HA1 values (see HA1). An empty value means the subscriber
// cannot use that algorithm family.
type Credentials struct {
	HA1MD5    string
	HA1SHA256 string
}

// Lookup returns the credentials of a user in the realm. It is called for
// every parsed request, so it should be a map read, not a database query.
type Lookup func(user string) (Credentials, bool)

// Authenticator issues digest challenges and verifies the answers. It holds
// all its state (key, nonce-count table) and is safe for concurrent use.
type Authenticator struct {
	realm    string
	lookup   Lookup
	now      func() time.Time
	lifetime time.Duration
	offered  [numAlgorithms]bool
	// prefix and suffix of each challenge value, in preference order; only
	// the nonce (and stale) differ between challenges.
	prefix  string
	suffix  []string
	nonces  *noncer
	replay  *replayTable
	dummyMD string // per-process random HA1s for unknown users
	dummySH string
}

// New returns an Authenticator for cfg, whose zero fields take defaults.
// lookup must not be nil.
func New(cfg Config, lookup Lookup) (*Authenticator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if lookup == nil {
		return nil, &ConfigError{Field: "lookup", Msg: "must not be nil"}
	}
	cfg.setDefaults()
	key := cfg.Key
	if len(key) == 0 {
		key = make([]byte, 32)
		rand.Read(key)
	} else {
		key = append([]byte(nil), key...)
	}
	a := &Authenticator{
		realm:    cfg.Realm,
		lookup:   lookup,
		now:      cfg.Now,
		lifetime: cfg.NonceLifetime,
		prefix:   "Digest realm=" + quote(cfg.Realm) + ", nonce=\"",
		nonces:   newNoncer(key),
		replay:   newReplayTable(cfg.NonceLifetime, cfg.MaxNonces, cfg.Now()),
		dummyMD:  randomHex(16),
		dummySH:  randomHex(32),
	}
	for _, name := range cfg.Algorithms {
		alg, _ := parseAlgorithm(name) // validated above
		a.offered[alg] = true
		a.suffix = append(a.suffix, "\", algorithm="+alg.String()+", qop=\"auth\"")
	}
	return a, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Realm returns the realm challenged with.
func (a *Authenticator) Realm() string { return a.realm }

// Challenge returns one WWW-Authenticate (401) or Proxy-Authenticate (407)
// value per configured algorithm, most preferred first, each with its own
// fresh nonce (RFC 8760 §2.4: one challenge per algorithm; the UA uses the
// first it supports). Set stale after ErrStaleNonce (RFC 7616 §3.3).
// source is the address the challenge goes to (an IP): the nonces are
// good only from there.
func (a *Authenticator) Challenge(stale bool, source string) []string {
	issued := a.now().UnixNano()
	out := make([]string, len(a.suffix))
	for i, suffix := range a.suffix {
		v := a.prefix + a.nonces.mint(issued, source) + suffix
		if stale {
			v += ", stale=true"
		}
		out[i] = v
	}
	return out
}

// Verify checks an Authorization or Proxy-Authorization value for a
// request with the given method (RFC 3261 §22.4: the method of the request,
// e.g. REGISTER or INVITE, goes into HA2). It returns the authenticated
// user, or "" and an *AuthError wrapping one of the Err sentinels and
// carrying the claimed user.
//
// source is the address the request came from (an IP); a nonce issued to
// another address is stale. The uri parameter must be present; comparing
// it to the Request-URI (RFC 3261 §22.4, RFC 7616 §3.4.6) needs SIP URI
// equality and is left to the caller, who can get it from
// ParseCredentials.
func (a *Authenticator) Verify(method, source, authorization string) (string, error) {
	c, err := ParseCredentials(authorization)
	if err != nil {
		if errors.Is(err, errNotDigest) {
			return "", fail("", ErrNoCredentials, err.Error())
		}
		return "", fail("", ErrMalformedCredentials, err.Error())
	}
	user := c.Username
	switch {
	case user == "":
		return "", fail("", ErrMalformedCredentials, "missing username")
	case c.Nonce == "":
		return "", fail(user, ErrMalformedCredentials, "missing nonce")
	case c.URI == "":
		return "", fail(user, ErrMalformedCredentials, "missing uri")
	case c.Response == "":
		return "", fail(user, ErrMalformedCredentials, "missing response")
	case c.Realm == "":
		return "", fail(user, ErrMalformedCredentials, "missing realm")
	case c.QOP == "":
		// RFC 2069 compatibility would drop cnonce and nc and with them
		// replay protection; we always offer qop=auth, so the UA must use it.
		return "", fail(user, ErrMalformedCredentials, "missing qop")
	case !strings.EqualFold(c.QOP, "auth"):
		return "", fail(user, ErrMalformedCredentials, "unsupported qop "+quote(c.QOP))
	case c.CNonce == "":
		return "", fail(user, ErrMalformedCredentials, "missing cnonce")
	case c.UserHash != "" && !strings.EqualFold(c.UserHash, "false"):
		return "", fail(user, ErrMalformedCredentials, "userhash was not offered")
	}
	var ncb [4]byte
	if !decodeHex(ncb[:], c.NC) {
		return "", fail(user, ErrMalformedCredentials, "nc must be 8 hex digits")
	}
	nc := uint32(ncb[0])<<24 | uint32(ncb[1])<<16 | uint32(ncb[2])<<8 | uint32(ncb[3])
	if nc == 0 {
		return "", fail(user, ErrMalformedCredentials, "nc must start at 1")
	}

	alg := algMD5 // RFC 7616 §3.4: absent means MD5
	if c.Algorithm != "" {
		var ok bool
		if alg, ok = parseAlgorithm(c.Algorithm); !ok {
			return "", fail(user, ErrInvalidCredentials, "unsupported algorithm "+quote(c.Algorithm))
		}
	}
	if !a.offered[alg] {
		return "", fail(user, ErrInvalidCredentials, "algorithm "+alg.String()+" was not offered")
	}
	if c.Realm != a.realm {
		return "", fail(user, ErrInvalidCredentials, "wrong realm")
	}

	// Known and unknown users take the same path: an unknown user, or one
	// without a secret for this algorithm, is checked against a random HA1
	// of the right length, and the verdict is combined in constant time.
	// Neither the answer nor its timing tells whether the user exists.
	creds, known := a.lookup(user)
	ha1, dummy := creds.HA1MD5, a.dummyMD
	if alg.sha256() {
		ha1, dummy = creds.HA1SHA256, a.dummySH
	}
	if len(ha1) != len(dummy) {
		known = false
	}
	if !known {
		ha1 = dummy
	}
	var want [32]byte
	n := computeResponse(alg, ha1, c.Nonce, c.NC, c.CNonce, c.QOP, method, c.URI, &want)
	var got [32]byte
	okHex := decodeHex(got[:n], c.Response)
	match := subtle.ConstantTimeCompare(want[:n], got[:n]) & boolInt(okHex) & boolInt(known)
	if match != 1 {
		return "", fail(user, ErrInvalidCredentials, "response mismatch")
	}

	// Only now look at the nonce: whoever computed this response knows the
	// secret, so a bad or old nonce is "stale" and costs a silent retry,
	// never a failure count (a restart with a new key must not ban a
	// building of phones behind one NAT).
	id, ok := a.nonces.open(c.Nonce, source)
	if !ok {
		return "", fail(user, ErrStaleNonce, "nonce not issued to this address under the current key")
	}
	now := a.now()
	if age := now.UnixNano() - id.issued(); age > int64(a.lifetime) || age < -int64(time.Second) {
		return "", fail(user, ErrStaleNonce, "nonce expired")
	}
	if err := a.replay.check(id, nc, now); err != nil {
		return "", fail(user, err, "nc "+c.NC)
	}
	return user, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
