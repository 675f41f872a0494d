package config

import (
	"fmt"
	"net/netip"
	"time"
)

// Security is the `security:` section: failed-auth bans, scanner filtering,
// and where subscribers may register from (docs/security.md).
type Security struct {
	// MaxAuthFailures (count) from one source within FailureWindow bans it
	// for BanDuration. Defaults 10, 1m, 15m. A network (an IPv4 /24, an
	// IPv6 /64) is banned at four times MaxAuthFailures.
	MaxAuthFailures int           `yaml:"max_auth_failures"`
	FailureWindow   time.Duration `yaml:"failure_window"`
	BanDuration     time.Duration `yaml:"ban_duration"`
	// TrustedFor (duration) after a successful authentication, a source's
	// UDP failures (which anyone can spoof) need TrustedFactor (count)
	// times MaxAuthFailures to ban it. Defaults 10m and 10.
	TrustedFor    time.Duration `yaml:"trusted_for"`
	TrustedFactor int           `yaml:"trusted_factor"`
	// MaxTrackedSources (count) bounds the ban table. Default 100000.
	MaxTrackedSources int `yaml:"max_tracked_sources"`
	// AuthFailureInterval (duration) is how often failed authentications
	// are recorded, one event per source. Default 10s.
	AuthFailureInterval time.Duration `yaml:"auth_failure_interval"`
	// ScannerUserAgents are User-Agent substrings (case-insensitive) whose
	// requests are dropped unanswered. Default: friendly-scanner, sipvicious,
	// sipcli, sip-scan, VaxSIPUserAgent.
	ScannerUserAgents []string `yaml:"scanner_user_agents"`
	// RegistrationNetworks (CIDRs) are where subscribers may register
	// from, and where a registered Contact may point; empty allows any.
	// A trunk's address is refused whatever this says.
	RegistrationNetworks []string `yaml:"registration_networks"`
	// Networks is RegistrationNetworks parsed by Validate.
	Networks []netip.Prefix `yaml:"-"`
}

func (s *Security) setDefaults() {
	if s.MaxAuthFailures == 0 {
		s.MaxAuthFailures = 10
	}
	if s.FailureWindow == 0 {
		s.FailureWindow = time.Minute
	}
	if s.BanDuration == 0 {
		s.BanDuration = 15 * time.Minute
	}
	if s.TrustedFor == 0 {
		s.TrustedFor = 10 * time.Minute
	}
	if s.TrustedFactor == 0 {
		s.TrustedFactor = 10
	}
	if s.MaxTrackedSources == 0 {
		s.MaxTrackedSources = 100_000
	}
	if s.AuthFailureInterval == 0 {
		s.AuthFailureInterval = 10 * time.Second
	}
	if s.ScannerUserAgents == nil {
		s.ScannerUserAgents = []string{"friendly-scanner", "sipvicious", "sipcli", "sip-scan", "VaxSIPUserAgent"}
	}
}

// Validate checks the security section.
func (s *Security) Validate() error {
	if s.MaxAuthFailures < 1 {
		return fieldErr("security.max_auth_failures", "must be at least 1")
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"security.failure_window", s.FailureWindow}, {"security.ban_duration", s.BanDuration},
		{"security.trusted_for", s.TrustedFor}, {"security.auth_failure_interval", s.AuthFailureInterval}} {
		if d.v <= 0 {
			return fieldErr(d.name, "must be positive, got %s", d.v)
		}
	}
	if s.TrustedFactor < 1 {
		return fieldErr("security.trusted_factor", "must be at least 1, got %d", s.TrustedFactor)
	}
	if s.MaxTrackedSources < 1 {
		return fieldErr("security.max_tracked_sources", "must be at least 1, got %d", s.MaxTrackedSources)
	}
	s.Networks = s.Networks[:0]
	for i, n := range s.RegistrationNetworks {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			a, aerr := netip.ParseAddr(n)
			if aerr != nil {
				return fieldErr(fmt.Sprintf("security.registration_networks[%d]", i), "must be a CIDR such as 10.0.0.0/8, got %q", n)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		s.Networks = append(s.Networks, p.Masked())
	}
	return nil
}

// TrustedContacts are the subscribers reached at their registered
// Contact (subscribers[].trust_contact).
func (c *Config) TrustedContacts() map[string]bool {
	out := map[string]bool{}
	for _, s := range c.Subscribers {
		if s.TrustContact {
			out[s.User] = true
		}
	}
	return out
}
