package auth

import (
	"errors"
	"strings"
)

// Sentinel causes of a failed Verify. They are always wrapped in an
// *AuthError; test them with errors.Is.
var (
	// ErrNoCredentials: no Digest credentials at all; challenge, don't count
	// it as a failure (RFC 3261 §22.1: a first request normally has none).
	ErrNoCredentials = errors.New("auth: no digest credentials")
	// ErrMalformedCredentials: the credentials cannot be parsed or lack a
	// parameter RFC 7616 §3.4 requires with qop.
	ErrMalformedCredentials = errors.New("auth: malformed digest credentials")
	// ErrStaleNonce: the response is right but the nonce expired or is not
	// ours any more; re-challenge with stale=true (RFC 7616 §3.3) so the UA
	// retries without asking its user, and don't count it as a failure.
	ErrStaleNonce = errors.New("auth: stale nonce")
	// ErrNonceReused: the nonce-count did not increase (RFC 7616 §3.4,
	// §5.11): a replay.
	ErrNonceReused = errors.New("auth: nonce count reused")
	// ErrInvalidCredentials: wrong password, unknown user, wrong realm or an
	// algorithm we did not offer. Deliberately one sentinel, so that answers
	// cannot tell an unknown extension from a wrong password.
	ErrInvalidCredentials = errors.New("auth: invalid credentials")
	// ErrInvalidConfig is wrapped by every *ConfigError.
	ErrInvalidConfig = errors.New("auth: invalid config")
)

// AuthError is a failed Verify: the cause (one of the sentinels above), the
// user the request claimed (empty if it could not be parsed; for logs and
// domain.AuthFailed only, never for the answer), and a detail for logs.
type AuthError struct {
	User   string
	Err    error
	Detail string
}

func (e *AuthError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.User != "" {
		b.WriteString(" (user ")
		b.WriteString(quote(e.User))
		b.WriteString(")")
	}
	return b.String()
}

func (e *AuthError) Unwrap() error { return e.Err }

func fail(user string, err error, detail string) error {
	return &AuthError{User: user, Err: err, Detail: detail}
}

// ConfigError names the configuration field that is wrong, as its YAML path.
type ConfigError struct {
	Field string
	Msg   string
}

func (e *ConfigError) Error() string { return e.Field + ": " + e.Msg }

func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }
