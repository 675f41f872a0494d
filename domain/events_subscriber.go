package domain

// Subscriber events. The aggregate is "subscriber:<user>". Passwords never
// enter the log: only the digest HA1 values (RFC 7616 §3.4.2) for the realm
// the subscriber was provisioned in, one per algorithm.

const (
	TypeSubscriberProvisioned        = "subscriber.provisioned"
	TypeSubscriberCredentialsChanged = "subscriber.credentials_changed"
	TypeSubscriberRemoved            = "subscriber.removed"
)

// SubscriberKey is the aggregate key of a subscriber.
func SubscriberKey(user string) string { return "subscriber:" + user }

// SubscriberProvisioned creates a subscriber that may register and call.
type SubscriberProvisioned struct {
	User      string `json:"user"`
	Realm     string `json:"realm"`
	HA1MD5    string `json:"ha1_md5"`
	HA1SHA256 string `json:"ha1_sha256"`
}

func (SubscriberProvisioned) EventType() string      { return TypeSubscriberProvisioned }
func (SubscriberProvisioned) SchemaVersion() int     { return 1 }
func (e SubscriberProvisioned) AggregateKey() string { return SubscriberKey(e.User) }

// SubscriberCredentialsChanged replaces a subscriber's digest secrets.
type SubscriberCredentialsChanged struct {
	User      string `json:"user"`
	Realm     string `json:"realm"`
	HA1MD5    string `json:"ha1_md5"`
	HA1SHA256 string `json:"ha1_sha256"`
}

func (SubscriberCredentialsChanged) EventType() string      { return TypeSubscriberCredentialsChanged }
func (SubscriberCredentialsChanged) SchemaVersion() int     { return 1 }
func (e SubscriberCredentialsChanged) AggregateKey() string { return SubscriberKey(e.User) }

// SubscriberRemoved deletes a subscriber; its bindings are unbound by
// separate ContactUnbound events.
type SubscriberRemoved struct {
	User string `json:"user"`
}

func (SubscriberRemoved) EventType() string      { return TypeSubscriberRemoved }
func (SubscriberRemoved) SchemaVersion() int     { return 1 }
func (e SubscriberRemoved) AggregateKey() string { return SubscriberKey(e.User) }
