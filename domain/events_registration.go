package domain

import "time"

// Registration events. The aggregate is "aor:<user>", so every binding of
// one address-of-record is ordered (RFC 3261 §10.3).

const (
	TypeContactBound   = "registration.contact_bound"
	TypeContactUnbound = "registration.contact_unbound"
	TypeAuthFailed     = "security.auth_failed"
	TypeSourceBanned   = "security.source_banned"
)

// AORKey is the aggregate key of an address-of-record.
func AORKey(user string) string { return "aor:" + user }

// ContactBound adds or refreshes one contact of an AOR.
type ContactBound struct {
	AOR       string    `json:"aor"`
	Contact   string    `json:"contact"`
	Expires   int       `json:"expires_s"`
	ExpiresAt time.Time `json:"expires_at"`
	CallID    string    `json:"call_id"`
	CSeq      uint32    `json:"cseq"`
	Source    string    `json:"source"`
	Transport string    `json:"transport"`
	UserAgent string    `json:"user_agent,omitempty"`
}

func (ContactBound) EventType() string      { return TypeContactBound }
func (ContactBound) SchemaVersion() int     { return 1 }
func (e ContactBound) AggregateKey() string { return AORKey(e.AOR) }

// Unbind reasons.
const (
	UnbindRequested = "unregistered" // Expires: 0 or "*" (RFC 3261 §10.2.2)
	UnbindExpired   = "expired"      // the registrar's expiry sweep
	UnbindRemoved   = "subscriber_removed"
)

// ContactUnbound removes one contact of an AOR.
type ContactUnbound struct {
	AOR     string `json:"aor"`
	Contact string `json:"contact"`
	Reason  string `json:"reason"`
}

func (ContactUnbound) EventType() string      { return TypeContactUnbound }
func (ContactUnbound) SchemaVersion() int     { return 1 }
func (e ContactUnbound) AggregateKey() string { return AORKey(e.AOR) }

// SourceKey is the aggregate key of a remote address, for security events
// that must not reveal whether a user exists.
func SourceKey(ip string) string { return "source:" + ip }

// AuthFailed records rejected credentials of one source. User is what
// the request claimed; it is recorded for forensics and never changes the
// answer. The switch records one per source per interval, not one per
// failure, so that unauthenticated traffic cannot fill the disk: Count
// failures since Since, the first few distinct claimed Users, the first
// Reason (all bounded in length). Count 0 (events of older builds) is 1.
type AuthFailed struct {
	Source string    `json:"source"`
	User   string    `json:"user"`
	Method string    `json:"method"`
	Reason string    `json:"reason"`
	Count  int       `json:"count,omitempty"`
	Users  []string  `json:"users,omitempty"`
	Since  time.Time `json:"since,omitzero"`
}

func (AuthFailed) EventType() string      { return TypeAuthFailed }
func (AuthFailed) SchemaVersion() int     { return 1 }
func (e AuthFailed) AggregateKey() string { return SourceKey(e.Source) }

// SourceBanned records that a source (an address, or a network such as
// 2001:db8::/64) exceeded the failed-auth limit after Fails failures.
type SourceBanned struct {
	Source string    `json:"source"`
	Until  time.Time `json:"until"`
	Fails  int       `json:"fails"`
}

func (SourceBanned) EventType() string      { return TypeSourceBanned }
func (SourceBanned) SchemaVersion() int     { return 1 }
func (e SourceBanned) AggregateKey() string { return SourceKey(e.Source) }
