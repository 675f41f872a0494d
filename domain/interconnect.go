package domain

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// ErrInvalidDefinition is wrapped by every DefinitionError.
var ErrInvalidDefinition = errors.New("domain: invalid interconnect definition")

// DefinitionError says which field of which definition is wrong, so the
// admin API and the provisioner can name it.
type DefinitionError struct {
	Aggregate string // "trunk:cm-gw1"
	Field     string // "address"
	Msg       string
}

func (e *DefinitionError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Aggregate, e.Field, e.Msg)
}

func (e *DefinitionError) Unwrap() error { return ErrInvalidDefinition }

func defErr(agg, field, format string, args ...any) error {
	return &DefinitionError{Aggregate: agg, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// InterconnectDefinitions is the whole desired interconnect, as the config
// file declares it; the provisioner records the difference from the log.
type InterconnectDefinitions struct {
	Carriers []CarrierDefined
	Trunks   []TrunkDefined
	Routes   []RouteDefined
	DIDs     []DIDAssigned
}

// Validate checks a carrier alone; that its host exists is the config's
// and the provisioner's business, which see every carrier.
func (e CarrierDefined) Validate() error {
	k := e.AggregateKey()
	if !IsName(e.Name) {
		return defErr(k, "name", "must be letters, digits, '.', '_' or '-', got %q", e.Name)
	}
	switch e.Kind {
	case CarrierMNO:
		if e.Host != "" {
			return defErr(k, "host", "an mno has no host, got %q", e.Host)
		}
	case CarrierMVNO:
		if !IsName(e.Host) || e.Host == e.Name {
			return defErr(k, "host", "an mvno needs its host mno's name, got %q", e.Host)
		}
	default:
		return defErr(k, "kind", "must be %s or %s, got %q", CarrierMNO, CarrierMVNO, e.Kind)
	}
	return nil
}

// Validate checks a trunk's own fields.
func (e TrunkDefined) Validate() error {
	k := e.AggregateKey()
	switch {
	case !IsName(e.Name):
		return defErr(k, "name", "must be letters, digits, '.', '_' or '-', got %q", e.Name)
	case !IsName(e.Carrier):
		return defErr(k, "carrier", "must name a carrier, got %q", e.Carrier)
	case !isHostPort(e.Address):
		return defErr(k, "address", "must be host:port, got %q", e.Address)
	case e.Transport != TransportUDP && e.Transport != TransportTCP && e.Transport != TransportTLS:
		return defErr(k, "transport", "must be udp, tcp or tls, got %q", e.Transport)
	case e.MaxChannels < 0:
		return defErr(k, "max_channels", "must not be negative")
	case e.MaxCPS < 0:
		return defErr(k, "max_cps", "must not be negative")
	case e.OptionsInterval < 0:
		return defErr(k, "options_interval", "must not be negative")
	case e.OptionsTimeout < 0:
		return defErr(k, "options_timeout", "must not be negative")
	case e.Register.Enabled && (e.Register.Username == "" || e.Register.Expires <= 0):
		return defErr(k, "register", "needs a username and a positive expires")
	case !isFormat(e.Rewrite.Format):
		return defErr(k, "rewrite.format", "must be e164, +e164, national or 00, got %q", e.Rewrite.Format)
	case !IsDigits(e.Rewrite.StripPrefix, 0) || !IsDigits(e.Rewrite.AddPrefix, 0):
		return defErr(k, "rewrite", "strip_prefix and add_prefix must be digits")
	case !IsDigits(e.CallerID.Presentation, 0):
		return defErr(k, "caller_id.presentation", "must be digits, got %q", e.CallerID.Presentation)
	}
	for i, c := range e.ACL {
		if _, err := netip.ParsePrefix(c); err != nil {
			if _, err := netip.ParseAddrPort(c); err != nil {
				return defErr(k, fmt.Sprintf("acl[%d]", i), "must be a CIDR or ip:port, got %q", c)
			}
		}
	}
	for i, n := range e.CallerID.Pool {
		if !IsDigits(n, 1) {
			return defErr(k, fmt.Sprintf("caller_id.pool[%d]", i), "must be digits, got %q", n)
		}
	}
	return nil
}

// Validate checks a route's own fields; that its trunks exist is checked
// where every trunk is known.
func (e RouteDefined) Validate() error {
	k := e.AggregateKey()
	switch {
	case !IsDigits(e.Prefix, 1):
		return defErr(k, "prefix", "must be digits of an E.164 number, got %q", e.Prefix)
	case e.ByCarrier == (len(e.Trunks) > 0):
		return defErr(k, "trunks", "a route has either trunks or by_carrier")
	case len(e.Weights) > 0 && len(e.Weights) != len(e.Trunks):
		return defErr(k, "weights", "needs one weight per trunk (%d), got %d", len(e.Trunks), len(e.Weights))
	}
	seen := map[string]bool{}
	for i, t := range e.Trunks {
		if !IsName(t) || seen[t] {
			return defErr(k, fmt.Sprintf("trunks[%d]", i), "must name a trunk once, got %q", t)
		}
		seen[t] = true
	}
	for i, w := range e.Weights {
		if w < 1 {
			return defErr(k, fmt.Sprintf("weights[%d]", i), "must be at least 1, got %d", w)
		}
	}
	return nil
}

// Validate checks a DID.
func (e DIDAssigned) Validate() error {
	k := e.AggregateKey()
	if !IsE164(e.Number) {
		return defErr(k, "number", "must be an E.164 number without '+', got %q", e.Number)
	}
	if e.User == "" || strings.ContainsAny(e.User, " @:;<>\"") {
		return defErr(k, "user", "must be a SIP user part, got %q", e.User)
	}
	return nil
}

// IsName tells whether s is a definition name: non-empty letters, digits,
// '.', '_' and '-', so it can sit in an aggregate key, a metric label and a
// CDR column unquoted.
func IsName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// IsDigits tells whether s is only ASCII digits, at least min of them.
func IsDigits(s string, min int) bool {
	if len(s) < min {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// IsE164 tells whether s is an E.164 number as the log stores it: a
// country code (never starting with 0) and at most 15 digits in all
// (ITU-T E.164 §6), without '+'.
func IsE164(s string) bool {
	return len(s) >= 3 && len(s) <= 15 && s[0] != '0' && IsDigits(s, 3)
}

func isFormat(f string) bool {
	switch f {
	case FormatE164, FormatPlusE164, FormatNational, FormatIntl00:
		return true
	}
	return false
}

func isHostPort(a string) bool {
	i := strings.LastIndexByte(a, ':')
	if i <= 0 || i == len(a)-1 || strings.ContainsAny(a, " /") {
		return false
	}
	port := a[i+1:]
	if !IsDigits(port, 1) || len(port) > 5 {
		return false
	}
	n := 0
	for j := 0; j < len(port); j++ {
		n = n*10 + int(port[j]-'0')
	}
	return n >= 1 && n <= 65535
}
