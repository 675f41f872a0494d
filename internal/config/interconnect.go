package config

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"softswitch/domain"
)

// Numbering is the `numbering:` section: how dialled numbers become E.164.
type Numbering struct {
	// CountryCode (digits, no '+') is the home country: national numbers
	// are prefixed with it, and numbers outside it are international for
	// the subscribers' calling policy. Default "86".
	CountryCode string `yaml:"country_code"`
	// Segments are added to the built-in number segment table (China's
	// mobile segments); a longer prefix names a specific MVNO within a
	// generic MVNO segment ("17030" -> "mvno-a"). Keyed on the national
	// mobile number prefix.
	Segments []Segment `yaml:"segments"`
	// Ported maps an E.164 number (digits) to the carrier it was ported
	// to; number portability overrides the segment's carrier.
	Ported map[string]string `yaml:"ported"`
}

// Segment is one extra row of the number segment table.
type Segment struct {
	Prefix  string `yaml:"prefix"`
	Carrier string `yaml:"carrier"`
	Kind    string `yaml:"kind"` // mno or mvno
	Host    string `yaml:"host"` // the host MNO of an mvno segment
}

// Carrier is one item of `carriers:`, a real (mno) or virtual (mvno)
// operator with its trunks.
type Carrier struct {
	// Name identifies the carrier in routes, events and CDRs.
	Name string `yaml:"name"`
	// Kind is mno or mvno. Required.
	Kind string `yaml:"kind"`
	// Host is the name of the MNO hosting an MVNO; required for an mvno,
	// empty for an mno.
	Host   string  `yaml:"host"`
	Trunks []Trunk `yaml:"trunks"`
}

// Trunk is one SIP gateway of a carrier.
type Trunk struct {
	// Name is unique across all carriers: routes name trunks alone.
	Name string `yaml:"name"`
	// DirectMedia and Record: as a subscriber's (media:), for calls
	// through this trunk, in or out.
	DirectMedia bool `yaml:"direct_media"`
	Record      bool `yaml:"record"`
	// Address is host:port of the gateway; the host may be a name.
	Address string `yaml:"address"`
	// Transport is udp, tcp or tls. Default udp.
	Transport string `yaml:"transport"`
	// MaxChannels (concurrent calls) and MaxCPS (new calls per second)
	// are the carrier's limits, across every switch node; 0 = unlimited.
	MaxChannels int `yaml:"max_channels"`
	MaxCPS      int `yaml:"max_cps"`
	// ACL are the sources whose INVITEs are taken as this trunk's: CIDRs
	// or single IPs (any source port) or ip:port (that port only), and
	// only over the trunk's transport. Over UDP a source address can be
	// spoofed: pin the port, keep the interconnect private, or require
	// InboundAuth (docs/security.md).
	ACL []string `yaml:"acl"`
	// InboundAuth, when set, makes the trunk's INVITEs authenticate with
	// digest (407) as well as come from the ACL.
	InboundAuth *TrunkAuth `yaml:"inbound_auth"`
	// Account pays for the trunk's transit calls (policy, spend control,
	// rating as that account). Default "trunk:<name>".
	Account string `yaml:"account"`
	// Transit lets calls from the ACL that are not to a DID go out through
	// the routes (a customer platform connected by IP). Default false:
	// a carrier's calls reach DIDs only.
	Transit bool `yaml:"transit"`
	// OptionsInterval (duration) between OPTIONS keepalives; 0 = none.
	OptionsInterval time.Duration `yaml:"options_interval"`
	// OptionsTimeout (duration) after which a keepalive is missed.
	// Default 5s.
	OptionsTimeout time.Duration `yaml:"options_timeout"`
	// Register, when set, registers the switch to the carrier.
	Register *TrunkRegister `yaml:"register"`
	// Auth answers the carrier's digest challenges to outbound INVITEs.
	// Default: Register's username and password.
	Auth     *TrunkAuth `yaml:"auth"`
	CallerID CallerID   `yaml:"caller_id"`
	Rewrite  Rewrite    `yaml:"rewrite"`
	// Codecs offered on this trunk, in preference order. Default
	// [PCMU, PCMA].
	Codecs []string `yaml:"codecs"`
}

// TrunkRegister is the switch's registration to a carrier.
type TrunkRegister struct {
	Username string `yaml:"username"`
	// Password may be "env:NAME"; it never enters the event log.
	Password string `yaml:"password"`
	// Realm to answer; empty accepts the carrier's.
	Realm string `yaml:"realm"`
	// Expires (seconds) asked for. Default 3600.
	Expires int `yaml:"expires"`
}

// TrunkAuth are the credentials for a carrier's challenges.
type TrunkAuth struct {
	Username string `yaml:"username"`
	// Password may be "env:NAME"; it never enters the event log.
	Password string `yaml:"password"`
}

// CallerID is the trunk's caller-id policy.
type CallerID struct {
	// PAI adds P-Asserted-Identity (RFC 3325).
	PAI bool `yaml:"pai"`
	// Presentation (digits) replaces the caller's number when set.
	Presentation string `yaml:"presentation"`
	// Pool (digits each) are the caller numbers the carrier accepts.
	Pool []string `yaml:"pool"`
}

// Rewrite is the number format the carrier wants.
type Rewrite struct {
	// Format is e164, +e164, national or 00. Default e164.
	Format string `yaml:"format"`
	// StripPrefix and AddPrefix (digits) apply after formatting.
	StripPrefix string `yaml:"strip_prefix"`
	AddPrefix   string `yaml:"add_prefix"`
}

// Route is one item of `routes:`.
type Route struct {
	// Prefix (E.164 digits) the route serves; the longest match wins.
	Prefix string `yaml:"prefix"`
	// DirectMedia and Record: as a subscriber's (media:), for calls
	// routed by this route.
	DirectMedia bool `yaml:"direct_media"`
	Record      bool `yaml:"record"`
	// Trunks in failover order, or spread by Weights (one per trunk).
	Trunks  []string `yaml:"trunks"`
	Weights []int    `yaml:"weights"`
	// ByCarrier routes to the trunks of the number's carrier instead.
	ByCarrier bool `yaml:"by_carrier"`
}

// DID is one item of `dids:`: a number delivered by the trunks.
type DID struct {
	// Number is E.164 digits, without '+'.
	Number string `yaml:"number"`
	// User is the subscriber it rings.
	User string `yaml:"user"`
}

// knownCodecs maps lower-case names to their SDP spelling (RFC 3551,
// RFC 4733): codec names are case-insensitive in SDP, so typos are what
// the check catches.
var knownCodecs = map[string]string{
	"pcmu": "PCMU", "pcma": "PCMA", "g722": "G722", "g729": "G729", "gsm": "GSM",
	"ilbc": "iLBC", "opus": "opus", "amr": "AMR", "amr-wb": "AMR-WB", "telephone-event": "telephone-event",
}

func (n *Numbering) setDefaults() {
	if n.CountryCode == "" {
		n.CountryCode = "86"
	}
}

// Validate checks the numbering section.
func (n *Numbering) Validate() error {
	if !domain.IsDigits(n.CountryCode, 1) || len(n.CountryCode) > 3 || n.CountryCode[0] == '0' {
		return fieldErr("numbering.country_code", "must be 1 to 3 digits without '+' or a leading 0, got %q", n.CountryCode)
	}
	for i, sg := range n.Segments {
		f := fmt.Sprintf("numbering.segments[%d]", i)
		switch {
		case !domain.IsDigits(sg.Prefix, 1):
			return fieldErr(f+".prefix", "must be digits, got %q", sg.Prefix)
		case !domain.IsName(sg.Carrier):
			return fieldErr(f+".carrier", "must be a carrier name, got %q", sg.Carrier)
		case sg.Kind != domain.CarrierMNO && sg.Kind != domain.CarrierMVNO:
			return fieldErr(f+".kind", "must be mno or mvno, got %q", sg.Kind)
		case (sg.Kind == domain.CarrierMVNO) != (sg.Host != ""):
			return fieldErr(f+".host", "an mvno segment needs its host MNO, an mno segment none")
		}
	}
	for num, carrier := range n.Ported {
		if !domain.IsE164(num) {
			return fieldErr("numbering.ported["+num+"]", "must be an E.164 number (digits, no '+')")
		}
		if !domain.IsName(carrier) {
			return fieldErr("numbering.ported["+num+"]", "must name a carrier, got %q", carrier)
		}
	}
	return nil
}

func (t *Trunk) setDefaults() {
	if t.Transport == "" {
		t.Transport = domain.TransportUDP
	}
	if t.OptionsTimeout == 0 {
		t.OptionsTimeout = 5 * time.Second
	}
	if t.Register != nil && t.Register.Expires == 0 {
		t.Register.Expires = 3600
	}
	if t.Rewrite.Format == "" {
		t.Rewrite.Format = domain.FormatE164
	}
	if t.Codecs == nil {
		t.Codecs = []string{"PCMU", "PCMA"}
	}
}

// validate checks one trunk; f is its YAML path.
func (t *Trunk) validate(f string) error {
	if !domain.IsName(t.Name) {
		return fieldErr(f+".name", "must be letters, digits, '.', '_' or '-', got %q", t.Name)
	}
	if err := validGateway(t.Address); err != nil {
		return fieldErr(f+".address", "%v", err)
	}
	switch t.Transport {
	case domain.TransportUDP, domain.TransportTCP, domain.TransportTLS:
	default:
		return fieldErr(f+".transport", "must be udp, tcp or tls, got %q", t.Transport)
	}
	if t.MaxChannels < 0 {
		return fieldErr(f+".max_channels", "must not be negative")
	}
	if t.MaxCPS < 0 {
		return fieldErr(f+".max_cps", "must not be negative")
	}
	for k, a := range t.ACL {
		p, err := parseACL(a)
		if err != nil {
			return fieldErr(fmt.Sprintf("%s.acl[%d]", f, k), "%v", err)
		}
		t.ACL[k] = p
	}
	if a := t.InboundAuth; a != nil {
		if a.Username == "" {
			return fieldErr(f+".inbound_auth.username", "must not be empty")
		}
		pw, err := resolveSecret(a.Password)
		if err != nil || pw == "" {
			return fieldErr(f+".inbound_auth.password", "must not be empty (%v)", err)
		}
		a.Password = pw
	}
	if t.OptionsInterval < 0 {
		return fieldErr(f+".options_interval", "must not be negative")
	}
	if t.OptionsTimeout < 0 || (t.OptionsInterval > 0 && t.OptionsTimeout >= t.OptionsInterval) {
		return fieldErr(f+".options_timeout", "must be positive and shorter than options_interval (%s)", t.OptionsInterval)
	}
	if r := t.Register; r != nil {
		if r.Username == "" {
			return fieldErr(f+".register.username", "must not be empty")
		}
		pw, err := resolveSecret(r.Password)
		if err != nil {
			return fieldErr(f+".register.password", "%v", err)
		}
		if r.Password = pw; pw == "" {
			return fieldErr(f+".register.password", "must not be empty")
		}
		if r.Expires < 1 {
			return fieldErr(f+".register.expires", "must be at least 1 second")
		}
	}
	if a := t.Auth; a != nil {
		if a.Username == "" {
			return fieldErr(f+".auth.username", "must not be empty")
		}
		pw, err := resolveSecret(a.Password)
		if err != nil {
			return fieldErr(f+".auth.password", "%v", err)
		}
		if a.Password = pw; pw == "" {
			return fieldErr(f+".auth.password", "must not be empty")
		}
	} else if t.Register != nil {
		// Carriers that register a trunk challenge its INVITEs with the
		// same account.
		t.Auth = &TrunkAuth{Username: t.Register.Username, Password: t.Register.Password}
	}
	if !domain.IsDigits(t.CallerID.Presentation, 0) {
		return fieldErr(f+".caller_id.presentation", "must be digits, got %q", t.CallerID.Presentation)
	}
	for k, n := range t.CallerID.Pool {
		if !domain.IsDigits(n, 1) {
			return fieldErr(fmt.Sprintf("%s.caller_id.pool[%d]", f, k), "must be digits, got %q", n)
		}
	}
	switch t.Rewrite.Format {
	case domain.FormatE164, domain.FormatPlusE164, domain.FormatNational, domain.FormatIntl00:
	default:
		return fieldErr(f+".rewrite.format", "must be e164, +e164, national or 00, got %q", t.Rewrite.Format)
	}
	if !domain.IsDigits(t.Rewrite.StripPrefix, 0) {
		return fieldErr(f+".rewrite.strip_prefix", "must be digits, got %q", t.Rewrite.StripPrefix)
	}
	if !domain.IsDigits(t.Rewrite.AddPrefix, 0) {
		return fieldErr(f+".rewrite.add_prefix", "must be digits, got %q", t.Rewrite.AddPrefix)
	}
	for k, c := range t.Codecs {
		name, ok := knownCodecs[strings.ToLower(c)]
		if !ok {
			return fieldErr(fmt.Sprintf("%s.codecs[%d]", f, k), "unknown codec %q", c)
		}
		t.Codecs[k] = name
	}
	return nil
}

// validateInterconnect checks carriers, trunks, routes and DIDs, and the
// references between them.
func (c *Config) validateInterconnect() error {
	if err := c.Numbering.Validate(); err != nil {
		return err
	}
	kinds := map[string]string{}
	for i := range c.Carriers {
		ca := &c.Carriers[i]
		f := fmt.Sprintf("carriers[%d]", i)
		if !domain.IsName(ca.Name) {
			return fieldErr(f+".name", "must be letters, digits, '.', '_' or '-', got %q", ca.Name)
		}
		if _, dup := kinds[ca.Name]; dup {
			return fieldErr(f+".name", "duplicate carrier %q", ca.Name)
		}
		if ca.Kind != domain.CarrierMNO && ca.Kind != domain.CarrierMVNO {
			return fieldErr(f+".kind", "must be mno or mvno, got %q", ca.Kind)
		}
		kinds[ca.Name] = ca.Kind
	}
	trunks, inbound := map[string]bool{}, map[string]bool{}
	for i := range c.Carriers {
		ca := &c.Carriers[i]
		f := fmt.Sprintf("carriers[%d]", i)
		switch {
		case ca.Kind == domain.CarrierMNO && ca.Host != "":
			return fieldErr(f+".host", "an mno has no host, got %q", ca.Host)
		case ca.Kind == domain.CarrierMVNO && ca.Host == "":
			return fieldErr(f+".host", "an mvno needs the name of its host mno")
		case ca.Kind == domain.CarrierMVNO && kinds[ca.Host] != domain.CarrierMNO:
			return fieldErr(f+".host", "%q is not an mno in carriers", ca.Host)
		}
		for j := range ca.Trunks {
			t := &ca.Trunks[j]
			tf := fmt.Sprintf("%s.trunks[%d]", f, j)
			if err := t.validate(tf); err != nil {
				return err
			}
			if trunks[t.Name] {
				return fieldErr(tf+".name", "duplicate trunk %q (trunk names are unique across carriers)", t.Name)
			}
			trunks[t.Name] = true
			if a := t.InboundAuth; a != nil {
				// One digest username space: a trunk's credentials must
				// never authenticate as a subscriber, nor another trunk.
				for _, s := range c.Subscribers {
					if s.User == a.Username {
						return fieldErr(tf+".inbound_auth.username", "%q is a subscriber", a.Username)
					}
				}
				if inbound[a.Username] {
					return fieldErr(tf+".inbound_auth.username", "%q is another trunk's", a.Username)
				}
				inbound[a.Username] = true
			}
		}
	}
	prefixes := map[string]bool{}
	for i, r := range c.Routes {
		f := fmt.Sprintf("routes[%d]", i)
		if !domain.IsDigits(r.Prefix, 1) || len(r.Prefix) > 15 {
			return fieldErr(f+".prefix", "must be 1 to 15 digits of an E.164 number, got %q", r.Prefix)
		}
		if prefixes[r.Prefix] {
			return fieldErr(f+".prefix", "duplicate prefix %q", r.Prefix)
		}
		prefixes[r.Prefix] = true
		if r.ByCarrier == (len(r.Trunks) > 0) {
			return fieldErr(f+".trunks", "a route has either trunks or by_carrier: true")
		}
		seen := map[string]bool{}
		for j, t := range r.Trunks {
			if !trunks[t] {
				return fieldErr(fmt.Sprintf("%s.trunks[%d]", f, j), "unknown trunk %q", t)
			}
			if seen[t] {
				return fieldErr(fmt.Sprintf("%s.trunks[%d]", f, j), "trunk %q listed twice", t)
			}
			seen[t] = true
		}
		if len(r.Weights) > 0 && len(r.Weights) != len(r.Trunks) {
			return fieldErr(f+".weights", "needs one weight per trunk (%d), got %d", len(r.Trunks), len(r.Weights))
		}
		for j, w := range r.Weights {
			if w < 1 {
				return fieldErr(fmt.Sprintf("%s.weights[%d]", f, j), "must be at least 1, got %d", w)
			}
		}
	}
	numbers := map[string]bool{}
	for i, d := range c.DIDs {
		f := fmt.Sprintf("dids[%d]", i)
		if !domain.IsE164(d.Number) {
			return fieldErr(f+".number", "must be an E.164 number without '+' (country code first), got %q", d.Number)
		}
		if numbers[d.Number] {
			return fieldErr(f+".number", "duplicate number %q", d.Number)
		}
		numbers[d.Number] = true
		if d.User == "" || strings.ContainsAny(d.User, " @:;<>\"") {
			return fieldErr(f+".user", "must be a SIP user part, got %q", d.User)
		}
	}
	return nil
}

// validatePolicy checks a subscriber's calling policy; f is its path.
func (s *Subscriber) validatePolicy(f string) error {
	for _, l := range []struct {
		name string
		v    []string
	}{{"allow", s.Allow}, {"deny", s.Deny}} {
		for k, p := range l.v {
			if !domain.IsDigits(p, 1) {
				return fieldErr(fmt.Sprintf("%s.%s[%d]", f, l.name, k), "must be digits of an E.164 prefix (country code first), got %q", p)
			}
		}
	}
	for k, id := range s.Identities {
		if d := strings.TrimPrefix(id, "+"); !domain.IsDigits(d, 7) || len(d) > 15 {
			return fieldErr(fmt.Sprintf("%s.identities[%d]", f, k), "must be an E.164 number (country code first, 7 to 15 digits, '+' optional), got %q", id)
		}
	}
	return nil
}

// CallingPolicy is the subscriber's policy for calls through trunks.
func (s *Subscriber) CallingPolicy() domain.CallingPolicy {
	var ids []string
	for _, id := range s.Identities {
		ids = append(ids, strings.TrimPrefix(id, "+"))
	}
	return domain.CallingPolicy{Allow: s.Allow, Deny: s.Deny, International: s.International, Identities: ids}
}

// Trunk returns the configured trunk of that name and its carrier's name,
// for the secrets the event log does not hold.
func (c *Config) Trunk(name string) (*Trunk, string, bool) {
	for i := range c.Carriers {
		for j := range c.Carriers[i].Trunks {
			if t := &c.Carriers[i].Trunks[j]; t.Name == name {
				return t, c.Carriers[i].Name, true
			}
		}
	}
	return nil, "", false
}

// InterconnectDefinitions is the configured interconnect as the events
// the provisioner records, without any secret.
func (c *Config) InterconnectDefinitions() domain.InterconnectDefinitions {
	var d domain.InterconnectDefinitions
	for _, ca := range c.Carriers {
		d.Carriers = append(d.Carriers, domain.CarrierDefined{Name: ca.Name, Kind: ca.Kind, Host: ca.Host})
		for _, t := range ca.Trunks {
			def := domain.TrunkDefined{
				Name: t.Name, Carrier: ca.Name, Address: t.Address, Transport: t.Transport,
				MaxChannels: t.MaxChannels, MaxCPS: t.MaxCPS, ACL: t.ACL, Transit: t.Transit,
				OptionsInterval: t.OptionsInterval, OptionsTimeout: t.OptionsTimeout, Codecs: t.Codecs,
				CallerID: domain.CallerIDPolicy{PAI: t.CallerID.PAI, Presentation: t.CallerID.Presentation, Pool: t.CallerID.Pool},
				Rewrite:  domain.NumberRewrite{Format: t.Rewrite.Format, StripPrefix: t.Rewrite.StripPrefix, AddPrefix: t.Rewrite.AddPrefix},
			}
			if r := t.Register; r != nil {
				def.Register = domain.TrunkRegistration{Enabled: true, Username: r.Username, Realm: r.Realm, Expires: r.Expires}
			}
			if t.Auth != nil {
				def.AuthUsername = t.Auth.Username
			}
			if t.InboundAuth != nil {
				def.InboundUsername = t.InboundAuth.Username
			}
			def.Account = t.Account
			d.Trunks = append(d.Trunks, def)
		}
	}
	for _, r := range c.Routes {
		d.Routes = append(d.Routes, domain.RouteDefined{Prefix: r.Prefix, Trunks: r.Trunks, Weights: r.Weights, ByCarrier: r.ByCarrier})
	}
	for _, n := range c.DIDs {
		d.DIDs = append(d.DIDs, domain.DIDAssigned{Number: n.Number, User: n.User})
	}
	return d
}

// validGateway accepts host:port where the host may be a DNS name, as
// carriers hand out gateway names.
func validGateway(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil || host == "" || strings.ContainsAny(host, " /") {
		return fmt.Errorf("must be host:port, got %q", a)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port must be a number from 1 to 65535, got %q", port)
	}
	return nil
}

// parseACL accepts a CIDR, a single address or an address:port and
// returns the canonical form, so that 10.0.0.1/8 is stored as what it
// matches: 10.0.0.0/8.
func parseACL(s string) (string, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked().String(), nil
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()).String(), nil
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Zone() == "" && ap.Port() != 0 {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String(), nil
	}
	return "", fmt.Errorf("must be a CIDR such as 192.0.2.0/24, an IP address, or ip:port, got %q", s)
}

// InboundCredentials are the trunks' inbound_auth credentials, passwords
// resolved.
func (c *Config) InboundCredentials() []TrunkAuth {
	var out []TrunkAuth
	for _, ca := range c.Carriers {
		for _, t := range ca.Trunks {
			if t.InboundAuth != nil {
				out = append(out, *t.InboundAuth)
			}
		}
	}
	return out
}
