package auth

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Defaults applied to zero fields of Config and LimiterConfig.
const (
	DefaultNonceLifetime = 30 * time.Second
	// DefaultMaxNonces bounds the nonce-count table: 5,000 REGISTER/s for a
	// 30 s nonce lifetime is 150,000 nonces in use, with head room.
	DefaultMaxNonces   = 1 << 18
	DefaultMaxFailures = 10
	DefaultWindow      = time.Minute
	DefaultBanFor      = 15 * time.Minute
	DefaultMaxSources  = 100_000
	// DefaultTrustFor and DefaultTrustedFactor: after a success, ten times
	// the failures for ten minutes before UDP failures ban an address.
	DefaultTrustFor      = 10 * time.Minute
	DefaultTrustedFactor = 10
	// MinKeyLen is the shortest accepted nonce HMAC key, in bytes.
	MinKeyLen = 16
)

// DefaultAlgorithms is the challenge order when Config.Algorithms is empty:
// strongest first (RFC 8760 §2.4), MD5 last for the many UAs that still
// know nothing else.
func DefaultAlgorithms() []string { return []string{SHA256, MD5} }

// Config is the `auth:` section of the switch configuration. Zero fields
// take the defaults above. Durations are time.Duration, written in YAML as
// Go durations such as "30s" or "15m".
type Config struct {
	// Realm is the protection domain (RFC 3261 §22.1), usually the SIP
	// domain. Required. HA1 values are bound to it.
	Realm string `yaml:"realm"`
	// Algorithms are challenged with, in preference order, one header each
	// (RFC 8760 §2.4). Supported: MD5, MD5-sess, SHA-256, SHA-256-sess.
	Algorithms []string `yaml:"algorithms"`
	// NonceLifetime (duration) is how long a nonce is accepted; after it
	// Verify answers ErrStaleNonce. Default 30s.
	NonceLifetime time.Duration `yaml:"nonce_lifetime"`
	// MaxNonces (count) caps the nonce-count replay table.
	MaxNonces int `yaml:"max_nonces"`
	// Key is the nonce HMAC key, at least MinKeyLen bytes. Empty means a
	// random per-process key, so nonces die with a restart (the UA gets
	// stale=true and re-authenticates silently). Share it across nodes that
	// must accept each other's nonces.
	Key []byte `yaml:"-"`
	// Now is the clock; nil means time.Now.
	Now func() time.Time `yaml:"-"`
	// Ban configures the failed-auth Limiter (`auth.ban:`).
	Ban LimiterConfig `yaml:"ban"`
}

// LimiterConfig is the `auth.ban:` section: at MaxFailures failed
// authentications from one source within Window, the source is banned for
// BanFor.
type LimiterConfig struct {
	// MaxFailures (count) within Window triggers a ban. Default 10.
	MaxFailures int `yaml:"max_failures"`
	// Window (duration) over which failures are counted. Default 1m.
	Window time.Duration `yaml:"window"`
	// BanFor (duration) is how long a ban lasts. Default 15m.
	BanFor time.Duration `yaml:"ban_for"`
	// MaxSources (count) caps tracked sources; beyond it the stalest are
	// forgotten. Default 100000.
	MaxSources int `yaml:"max_sources"`
	// TrustFor (duration) is how long after a successful authentication
	// an address's UDP failures need TrustedFactor (count) times
	// MaxFailures to ban it. Defaults 10m and 10.
	TrustFor      time.Duration `yaml:"trust_for"`
	TrustedFactor int           `yaml:"trusted_factor"`
	// Now is the clock; nil means time.Now.
	Now func() time.Time `yaml:"-"`
}

func (c *Config) setDefaults() {
	if len(c.Algorithms) == 0 {
		c.Algorithms = DefaultAlgorithms()
	}
	if c.NonceLifetime == 0 {
		c.NonceLifetime = DefaultNonceLifetime
	}
	if c.MaxNonces == 0 {
		c.MaxNonces = DefaultMaxNonces
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.Ban.setDefaults()
}

func (c *LimiterConfig) setDefaults() {
	if c.MaxFailures == 0 {
		c.MaxFailures = DefaultMaxFailures
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.BanFor == 0 {
		c.BanFor = DefaultBanFor
	}
	if c.MaxSources == 0 {
		c.MaxSources = DefaultMaxSources
	}
	if c.TrustFor == 0 {
		c.TrustFor = DefaultTrustFor
	}
	if c.TrustedFactor == 0 {
		c.TrustedFactor = DefaultTrustedFactor
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports every invalid field, as *ConfigError values joined with
// errors.Join, each naming the field by its YAML path. Zero fields are
// valid: they take defaults.
func (c Config) Validate() error {
	c.setDefaults()
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &ConfigError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if c.Realm == "" {
		bad("auth.realm", "must not be empty")
	}
	for i := 0; i < len(c.Realm); i++ {
		if b := c.Realm[i]; b < 0x20 && b != '\t' || b == 0x7f {
			bad("auth.realm", "control character at byte %d", i)
			break
		}
	}
	seen := make(map[algorithm]int, len(c.Algorithms))
	for i, name := range c.Algorithms {
		field := "auth.algorithms[" + strconv.Itoa(i) + "]"
		alg, ok := parseAlgorithm(name)
		if !ok {
			bad(field, "unsupported algorithm %q", name)
			continue
		}
		if j, dup := seen[alg]; dup {
			bad(field, "duplicate algorithm %q (also auth.algorithms[%d])", name, j)
			continue
		}
		seen[alg] = i
	}
	if c.NonceLifetime < 0 {
		bad("auth.nonce_lifetime", "must be a positive duration, got %s", c.NonceLifetime)
	}
	if c.MaxNonces < 0 {
		bad("auth.max_nonces", "must be positive, got %d", c.MaxNonces)
	}
	if len(c.Key) != 0 && len(c.Key) < MinKeyLen {
		bad("auth.key", "must be at least %d bytes, got %d", MinKeyLen, len(c.Key))
	}
	errs = append(errs, c.Ban.validate("auth.ban")...)
	return errors.Join(errs...)
}

// Validate is Config.Validate for a limiter configured on its own; fields
// are named under auth.ban.
func (c LimiterConfig) Validate() error {
	c.setDefaults()
	return errors.Join(c.validate("auth.ban")...)
}

func (c LimiterConfig) validate(prefix string) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &ConfigError{Field: prefix + "." + field, Msg: fmt.Sprintf(format, args...)})
	}
	if c.MaxFailures < 0 {
		bad("max_failures", "must be positive, got %d", c.MaxFailures)
	}
	if c.Window < 0 {
		bad("window", "must be a positive duration, got %s", c.Window)
	}
	if c.BanFor < 0 {
		bad("ban_for", "must be a positive duration, got %s", c.BanFor)
	}
	if c.MaxSources < 0 {
		bad("max_sources", "must be positive, got %d", c.MaxSources)
	}
	if c.TrustFor < 0 {
		bad("trust_for", "must be a positive duration, got %s", c.TrustFor)
	}
	if c.TrustedFactor < 0 {
		bad("trusted_factor", "must be positive, got %d", c.TrustedFactor)
	}
	return errs
}
