package domain

import "time"

// Interconnect events: the carriers, their trunks, the routes over them
// and the numbers (DIDs) they deliver. Each definition is its own
// aggregate ("carrier:<name>", "trunk:<name>", "route:<prefix>",
// "did:<number>"), so changing one route never orders behind another.
// Definitions carry no secrets: digest passwords for registering to a
// carrier or answering its challenges stay in the config file.
//
// A trunk aggregate has several writers (the provisioner and every node's
// OPTIONS pinger), so its consumers order its events by (time, id), not by
// seq alone; see projections/interconnect.go.

const (
	TypeCarrierDefined           = "carrier.defined"
	TypeCarrierRemoved           = "carrier.removed"
	TypeTrunkDefined             = "trunk.defined"
	TypeTrunkRemoved             = "trunk.removed"
	TypeTrunkHealthChanged       = "trunk.health_changed"
	TypeTrunkRegistrationChanged = "trunk.registration_changed"
	TypeRouteDefined             = "route.defined"
	TypeRouteRemoved             = "route.removed"
	TypeDIDAssigned              = "did.assigned"
	TypeDIDRemoved               = "did.removed"
)

// Aggregate keys of the interconnect definitions.
func CarrierKey(name string) string { return "carrier:" + name }
func TrunkKey(name string) string   { return "trunk:" + name }
func RouteKey(prefix string) string { return "route:" + prefix }
func DIDKey(number string) string   { return "did:" + number }

// Carrier kinds.
const (
	CarrierMNO  = "mno"  // a mobile network operator with its own network
	CarrierMVNO = "mvno" // a virtual operator hosted on an MNO's network
)

// Trunk transports.
const (
	TransportUDP = "udp"
	TransportTCP = "tcp"
	TransportTLS = "tls"
)

// Number formats a trunk wants in its Request-URI and To (see
// interconnect/number).
const (
	FormatE164     = "e164"     // 8613800138000
	FormatPlusE164 = "+e164"    // +8613800138000
	FormatNational = "national" // 13800138000, 01012345678
	FormatIntl00   = "00"       // 008613800138000
)

// CarrierDefined creates or replaces a carrier.
type CarrierDefined struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Host is the hosting MNO of an MVNO, empty for an MNO.
	Host string `json:"host,omitempty"`
}

func (CarrierDefined) EventType() string      { return TypeCarrierDefined }
func (CarrierDefined) SchemaVersion() int     { return 1 }
func (e CarrierDefined) AggregateKey() string { return CarrierKey(e.Name) }

// CarrierRemoved deletes a carrier; its trunks are removed by their own
// TrunkRemoved events, recorded before it.
type CarrierRemoved struct {
	Name string `json:"name"`
}

func (CarrierRemoved) EventType() string      { return TypeCarrierRemoved }
func (CarrierRemoved) SchemaVersion() int     { return 1 }
func (e CarrierRemoved) AggregateKey() string { return CarrierKey(e.Name) }

// TrunkRegistration says whether and as whom the switch registers to the
// carrier (RFC 3261 §10). The password is in the config, never here.
type TrunkRegistration struct {
	Enabled  bool   `json:"enabled"`
	Username string `json:"username,omitempty"`
	Realm    string `json:"realm,omitempty"`
	// Expires (seconds) asked for in each REGISTER.
	Expires int `json:"expires,omitempty"`
}

// CallerIDPolicy is how the switch presents the caller on a trunk.
type CallerIDPolicy struct {
	// PAI adds P-Asserted-Identity (RFC 3325) with the caller's number.
	PAI bool `json:"pai,omitempty"`
	// Presentation replaces the From user with this number when set.
	Presentation string `json:"presentation,omitempty"`
	// Pool are the numbers the carrier accepts as caller ids; a caller
	// whose number is not in it is presented as one of them.
	Pool []string `json:"pool,omitempty"`
}

// NumberRewrite is the per-trunk rewrite of the called number: formatted
// from E.164 to Format, then StripPrefix removed and AddPrefix prepended.
type NumberRewrite struct {
	Format      string `json:"format"`
	StripPrefix string `json:"strip_prefix,omitempty"`
	AddPrefix   string `json:"add_prefix,omitempty"`
}

// TrunkDefined creates or replaces a trunk: one SIP gateway of a carrier.
type TrunkDefined struct {
	Name    string `json:"name"`
	Carrier string `json:"carrier"`
	// Address is host:port of the gateway.
	Address   string `json:"address"`
	Transport string `json:"transport"`
	// MaxChannels (concurrent calls) and MaxCPS (calls/s); 0 = unlimited.
	MaxChannels int `json:"max_channels"`
	MaxCPS      int `json:"max_cps"`
	// ACL are the sources whose calls are taken as this trunk's: CIDRs
	// (any port) or ip:port, over the trunk's transport only.
	ACL []string `json:"acl,omitempty"`
	// Transit lets calls from this trunk's ACL that are not to a DID go out
	// through the routes: a customer's PBX or dialler platform connected by
	// IP, not a carrier. Off by default: a carrier's calls reach DIDs only.
	Transit  bool              `json:"transit,omitempty"`
	Register TrunkRegistration `json:"register"`
	// AuthUsername answers the carrier's digest challenges on outbound
	// INVITEs; empty when the carrier does not challenge.
	AuthUsername string `json:"auth_username,omitempty"`
	// InboundUsername, when set, is the digest username the trunk's
	// INVITEs must also authenticate with (the password stays out of the
	// log): an address alone, over UDP, can be spoofed.
	InboundUsername string `json:"inbound_username,omitempty"`
	// Account is who pays for the trunk's transit calls: the caller's
	// account in policy, spend control and rating. Never the From header,
	// which the sender writes. Empty: "trunk:<name>".
	Account string `json:"account,omitempty"`
	// OptionsInterval between OPTIONS keepalives (0 = none) and
	// OptionsTimeout after which one counts as missed.
	OptionsInterval time.Duration  `json:"options_interval_ns"`
	OptionsTimeout  time.Duration  `json:"options_timeout_ns"`
	Codecs          []string       `json:"codecs,omitempty"`
	CallerID        CallerIDPolicy `json:"caller_id"`
	Rewrite         NumberRewrite  `json:"rewrite"`
}

func (TrunkDefined) EventType() string      { return TypeTrunkDefined }
func (TrunkDefined) SchemaVersion() int     { return 1 }
func (e TrunkDefined) AggregateKey() string { return TrunkKey(e.Name) }

// TrunkRemoved deletes a trunk; routes naming it are redefined or removed
// before it.
type TrunkRemoved struct {
	Name string `json:"name"`
}

func (TrunkRemoved) EventType() string      { return TypeTrunkRemoved }
func (TrunkRemoved) SchemaVersion() int     { return 1 }
func (e TrunkRemoved) AggregateKey() string { return TrunkKey(e.Name) }

// Reasons of trunk health changes.
const (
	HealthOptionsOK      = "options 200"
	HealthOptionsTimeout = "options timeout"
	HealthOptionsError   = "options error"
	HealthRegFailed      = "registration failed"
	HealthRegistered     = "registered"
)

// TrunkHealthChanged records that a node saw a trunk go down or up. It is
// recorded on a change only, not on every keepalive.
type TrunkHealthChanged struct {
	Trunk  string `json:"trunk"`
	Up     bool   `json:"up"`
	Reason string `json:"reason"`
}

func (TrunkHealthChanged) EventType() string      { return TypeTrunkHealthChanged }
func (TrunkHealthChanged) SchemaVersion() int     { return 1 }
func (e TrunkHealthChanged) AggregateKey() string { return TrunkKey(e.Trunk) }

// TrunkRegistrationChanged records the outcome of a REGISTER to the
// carrier when it differs from the previous one: Code is the final answer
// (0 for a timeout), Expires (seconds) what the carrier granted.
type TrunkRegistrationChanged struct {
	Trunk      string `json:"trunk"`
	Registered bool   `json:"registered"`
	Code       int    `json:"code"`
	Expires    int    `json:"expires"`
}

func (TrunkRegistrationChanged) EventType() string      { return TypeTrunkRegistrationChanged }
func (TrunkRegistrationChanged) SchemaVersion() int     { return 1 }
func (e TrunkRegistrationChanged) AggregateKey() string { return TrunkKey(e.Trunk) }

// RouteDefined creates or replaces the route of a prefix of E.164 numbers.
// Trunks are in failover order; Weights, when set, spread calls over them
// instead (one per trunk). ByCarrier routes to the trunks of the number's
// carrier (segment table, then portability) instead of a fixed list.
type RouteDefined struct {
	Prefix    string   `json:"prefix"`
	Trunks    []string `json:"trunks,omitempty"`
	Weights   []int    `json:"weights,omitempty"`
	ByCarrier bool     `json:"by_carrier,omitempty"`
}

func (RouteDefined) EventType() string      { return TypeRouteDefined }
func (RouteDefined) SchemaVersion() int     { return 1 }
func (e RouteDefined) AggregateKey() string { return RouteKey(e.Prefix) }

// RouteRemoved deletes the route of a prefix.
type RouteRemoved struct {
	Prefix string `json:"prefix"`
}

func (RouteRemoved) EventType() string      { return TypeRouteRemoved }
func (RouteRemoved) SchemaVersion() int     { return 1 }
func (e RouteRemoved) AggregateKey() string { return RouteKey(e.Prefix) }

// DIDAssigned sends calls from trunks to an E.164 number (digits, no '+')
// to a subscriber.
type DIDAssigned struct {
	Number string `json:"number"`
	User   string `json:"user"`
}

func (DIDAssigned) EventType() string      { return TypeDIDAssigned }
func (DIDAssigned) SchemaVersion() int     { return 1 }
func (e DIDAssigned) AggregateKey() string { return DIDKey(e.Number) }

// DIDRemoved stops delivering a number.
type DIDRemoved struct {
	Number string `json:"number"`
}

func (DIDRemoved) EventType() string      { return TypeDIDRemoved }
func (DIDRemoved) SchemaVersion() int     { return 1 }
func (e DIDRemoved) AggregateKey() string { return DIDKey(e.Number) }
