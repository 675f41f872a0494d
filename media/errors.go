package media

import (
	"errors"
	"strings"
)

// Sentinel errors. Callers test them with errors.Is; the SDP ones always
// come wrapped in an *SDPError that carries a reason for the SIP answer.
var (
	// ErrNoPorts: every port pair of the pool is in use or could not be
	// bound. The switch answers 503 Service Unavailable (RFC 3261 §21.5.4).
	ErrNoPorts = errors.New("media: no free RTP port pair")
	// ErrClosed: the session was closed.
	ErrClosed = errors.New("media: session closed")
	// ErrInvalidConfig is wrapped by every *ConfigError.
	ErrInvalidConfig = errors.New("media: invalid config")
	// ErrMalformedSDP: the body is not SDP (RFC 8866) or breaks a rule the
	// relay depends on. The switch answers 400 Bad Request.
	ErrMalformedSDP = errors.New("media: malformed SDP")
	// ErrUnsupportedMedia: well-formed SDP the switch cannot anchor (no
	// audio stream, an FQDN instead of an IP address, a non-RTP transport).
	// The switch answers 488 Not Acceptable Here (RFC 3261 §21.4.26).
	ErrUnsupportedMedia = errors.New("media: unsupported media")
	// ErrNoCommonCodec: nothing is left of the offer once filtered to the
	// allowed codecs. The switch never transcodes, so it answers 488.
	ErrNoCommonCodec = errors.New("media: no codec in common")
)

// SDPError is a rejected SDP body: the cause (ErrMalformedSDP,
// ErrUnsupportedMedia or ErrNoCommonCodec) and a short reason fit for a
// Warning header or a log line.
type SDPError struct {
	Err    error
	Reason string
}

func (e *SDPError) Error() string {
	if e.Reason == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + ": " + e.Reason
}

func (e *SDPError) Unwrap() error { return e.Err }

func sdpErr(cause error, reason string) error { return &SDPError{Err: cause, Reason: reason} }

// ConfigError is an invalid PoolConfig or SessionConfig field.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalidConfig.Error())
	b.WriteString(": ")
	b.WriteString(e.Field)
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }
