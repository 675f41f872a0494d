// Package config is the switch's one YAML configuration. Every component's
// section has setDefaults and Validate; Validate names the field at fault.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("invalid config")

// FieldError names the YAML field that is wrong.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Config is the whole file.
type Config struct {
	// NodeID names this switch node in every event it writes. Default: the
	// host name.
	NodeID string `yaml:"node_id"`
	// DataDir holds all local state: journal, CDR store. Default "./data";
	// relative to the config file's directory (Load).
	DataDir string  `yaml:"data_dir"`
	SIP     SIP     `yaml:"sip"`
	HTTP    HTTP    `yaml:"http"`
	Journal Journal `yaml:"journal"`
	// Security is the `security:` section: bans and scanner filtering.
	Security Security `yaml:"security"`
	Media    Media    `yaml:"media"`
	// Dialer places the switch's own calls (click-to-call).
	Dialer Dialer `yaml:"dialer"`
	Log    Log    `yaml:"log"`
	// Kafka switches on the shared event log; ClickHouse the CDR warehouse.
	Kafka      Kafka      `yaml:"kafka"`
	ClickHouse ClickHouse `yaml:"clickhouse"`
	// Audit is the tamper-evidence section (anchors).
	Audit Audit `yaml:"audit"`
	// Accounts is spend control per subscriber (prepaid balances, credit
	// limits, daily caps).
	Accounts []Account `yaml:"accounts"`
	// Subscribers are provisioned at start, idempotently: a subscriber whose
	// credentials already match produces no event.
	Subscribers []Subscriber `yaml:"subscribers"`
	// Numbering, Carriers, Routes and DIDs are the interconnect: calls to
	// numbers out through carriers' trunks, and in from them (see
	// interconnect.go). They are provisioned at start like subscribers.
	Numbering Numbering `yaml:"numbering"`
	Carriers  []Carrier `yaml:"carriers"`
	Routes    []Route   `yaml:"routes"`
	DIDs      []DID     `yaml:"dids"`
}

// SIP is the `sip:` section.
type SIP struct {
	// Listen is host:port, used for both UDP and TCP. Default
	// "127.0.0.1:5060".
	Listen string `yaml:"listen"`
	// Realm is the digest realm and the domain of B-leg URIs. Default
	// "softswitch".
	Realm string `yaml:"realm"`
	// AuthAlgorithms are challenged in order of preference, one header
	// each (RFC 8760). Default ["SHA-256", "MD5"]. SIPp 3.6 knows only MD5.
	AuthAlgorithms []string `yaml:"auth_algorithms"`
	// NonceLifetime (duration) bounds how long a nonce is accepted.
	// Default 30s.
	NonceLifetime time.Duration `yaml:"nonce_lifetime"`
	// RingTimeout (duration) before an unanswered call gets 480. Default 30s.
	RingTimeout time.Duration `yaml:"ring_timeout"`
	// TrunkAttemptTimeout (duration) an attempt through a carrier's trunk
	// may go without any response before the next trunk is tried.
	// Default 3s.
	TrunkAttemptTimeout time.Duration `yaml:"trunk_attempt_timeout"`
	// MaxCallDuration (duration) of an answered call. Default 3h.
	MaxCallDuration time.Duration `yaml:"max_call_duration"`
	// MinExpires, MaxExpires and DefaultExpires (seconds) bound
	// registrations (RFC 3261 §10.3). Defaults 60, 3600, 3600.
	MinExpires     int `yaml:"min_expires"`
	MaxExpires     int `yaml:"max_expires"`
	DefaultExpires int `yaml:"default_expires"`
	// MaxContacts (count) per AOR. Default 10.
	MaxContacts int `yaml:"max_contacts"`
	// UDPBufferBytes (bytes) for the UDP socket buffers. Default 4 MiB.
	UDPBufferBytes int `yaml:"udp_buffer_bytes"`
	// UDPReaders (count) is how many sockets (SO_REUSEPORT) read the SIP
	// UDP port, each on its own goroutine. 0 (default): one per CPU the
	// process may use (GOMAXPROCS).
	UDPReaders int `yaml:"udp_readers"`
	// UDPShards (count), above 1, hands what the UDP sockets receive to
	// that many goroutines by sender address, so one sender's load (an
	// SBC in front, a load generator) is parsed in parallel. Default 0
	// (off): on the 2-vCPU bench box it cost 8 % more CPU per call and
	// saved a fifth per REGISTER from one sender (docs/benchmarks.md).
	UDPShards int `yaml:"udp_shards"`
	// OverloadQueueDelay (duration): when SIP datagrams wait longer than
	// this on average in the receive queue, new INVITEs get 503 with
	// Retry-After OverloadRetryAfter (duration, whole seconds). Defaults
	// 50ms and 2s: well under RFC 3261's T1 (500 ms, past which peers
	// retransmit and double the load) and under the time an 8 MB receive
	// buffer takes to overflow, which drops the ACKs and BYEs of calls in
	// progress; 100ms and 200ms let 0.2 % to 2.7 % of admitted calls fail
	// at 6,000 calls/s (docs/benchmarks.md).
	OverloadQueueDelay time.Duration `yaml:"overload_queue_delay"`
	OverloadRetryAfter time.Duration `yaml:"overload_retry_after"`
	// UserAgent is the Server/User-Agent header value.
	UserAgent string `yaml:"user_agent"`
	// SessionExpires (duration) is the RFC 4028 session interval the
	// switch asks for on every leg and the longest it accepts: a call
	// whose party vanished is found within it and billed to its last
	// proof of life. At most 30m (the RFC's recommended value); carriers
	// often use 10m to 15m. Default 30m.
	SessionExpires time.Duration `yaml:"session_expires"`
	// MinSE (duration) is the shortest session interval accepted; a
	// caller asking for less gets 422 with it (RFC 4028 §6). The RFC
	// floor for the network is 90s; less is for labs. Default 90s.
	MinSE time.Duration `yaml:"min_se"`
	// Edge is the `sip.edge:` sub-section: message size, TCP connection
	// caps and timeouts, error answer rate (edge.go).
	Edge Edge `yaml:"edge"`
}

// Journal is the `journal:` section of the embedded event store.
type Journal struct {
	// SegmentBytes (bytes) before a new segment file. Default 64 MiB.
	SegmentBytes int64 `yaml:"segment_bytes"`
	// MaxDelay (duration) a group commit waits for more appends. Default 0.
	MaxDelay time.Duration `yaml:"max_delay"`
	// MinFreeBytes (bytes) is the free-space floor of the data directory's
	// disk: below it new calls and registrations get 503 and /healthz
	// turns unhealthy, so calls in progress can still be recorded.
	// Default 256 MiB.
	MinFreeBytes int64 `yaml:"min_free_bytes"`
	// HeartbeatInterval (duration) between the node's node.alive events:
	// after a crash, the calls it left open are billed to its last
	// heartbeat, so this is the most a crash can under-bill. Default 1s.
	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
}

// Log is the `log:` section.
type Log struct {
	// Level is debug, info, warn or error. Default info.
	Level string `yaml:"level"`
	// Format is text or json. Default text.
	Format string `yaml:"format"`
}

// Subscriber is one provisioned user. Password may be "env:NAME" to read
// it from the environment variable NAME, so secrets stay out of the file.
type Subscriber struct {
	User     string `yaml:"user"`
	Password string `yaml:"password"`
	// Allow, Deny (E.164 prefixes) and International are the calling
	// policy for numbers through trunks: deny wins, international calls
	// need International (default off), and a non-empty Allow is the only
	// prefixes callable.
	Allow         []string `yaml:"allow"`
	Deny          []string `yaml:"deny"`
	International bool     `yaml:"international"`
	// Identities are the numbers (E.164, country code first) the
	// subscriber may present as caller ID to carriers by sending
	// P-Preferred-Identity (RFC 3325 §9.2): a PBX's DIDs, the dialer's
	// caller-ID pool. Others asked for are ignored (the account is
	// presented) and counted.
	Identities []string `yaml:"identities"`
	// TrustContact reaches the subscriber at its registered Contact
	// rather than at the address its REGISTER came from (a PBX on a
	// fixed address registering for phones behind it). The Contact must
	// then be an IP inside security.registration_networks. Default false:
	// reached at the source, as SBCs do for phones behind NAT.
	TrustContact bool `yaml:"trust_contact"`
	// DirectMedia keeps this subscriber's calls' media end to end instead
	// of anchoring it (media:); Record records them (a stereo WAV in
	// media.record_dir). Both default false.
	DirectMedia bool `yaml:"direct_media"`
	Record      bool `yaml:"record"`
}

// Load reads, defaults and validates a config file. Relative paths in it
// (data_dir, media.record_dir, audit.signing_key_file, the dialer's
// recordings) are resolved against the file's own directory and made
// absolute, so the switch finds the same files whatever directory it is
// started from (a systemd unit, a container, a shell elsewhere): the
// file's author wrote them next to it.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	base, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	return parse(b, base)
}

// Parse decodes YAML strictly: an unknown key is an error naming it.
// Relative paths stay relative to the working directory.
func Parse(b []byte) (*Config, error) { return parse(b, "") }

func parse(b []byte, base string) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if base != "" {
		c.resolvePaths(base)
	}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// resolvePaths makes the file's relative paths absolute under base, the
// default data_dir ("./data") included.
func (c *Config) resolvePaths(base string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	if c.DataDir == "" {
		c.DataDir = defaultDataDir
	}
	abs(&c.DataDir)
	abs(&c.Media.RecordDir)
	abs(&c.Audit.SigningKeyFile)
	for i := range c.Dialer.Announcements {
		abs(&c.Dialer.Announcements[i].File)
	}
	for i := range c.Dialer.Prompts {
		abs(&c.Dialer.Prompts[i].File)
	}
}

// defaultDataDir is data_dir's default: beside the config file when the
// config is a file (Load), else in the working directory.
const defaultDataDir = "./data"

// SetDefaults fills zero fields.
func (c *Config) SetDefaults() {
	if c.NodeID == "" {
		c.NodeID, _ = os.Hostname()
		if c.NodeID == "" {
			c.NodeID = "node1"
		}
	}
	if c.DataDir == "" {
		c.DataDir = defaultDataDir
	}
	c.SIP.setDefaults()
	c.HTTP.setDefaults()
	if c.Journal.HeartbeatInterval == 0 {
		c.Journal.HeartbeatInterval = time.Second
	}
	if c.Journal.MinFreeBytes == 0 {
		c.Journal.MinFreeBytes = 256 << 20
	}
	c.Security.setDefaults()
	c.Media.setDefaults(c.SIP.Listen, c.DataDir)
	c.Dialer.setDefaults(c.Media.Bind)
	c.Log.setDefaults()
	c.Kafka.setDefaults()
	c.ClickHouse.setDefaults()
	c.Audit.setDefaults()
	c.Numbering.setDefaults()
	for i := range c.Carriers {
		for j := range c.Carriers[i].Trunks {
			c.Carriers[i].Trunks[j].setDefaults()
		}
	}
}

// Validate checks every section.
func (c *Config) Validate() error {
	if strings.ContainsAny(c.NodeID, " \t/:") {
		return fieldErr("node_id", "must not contain spaces, '/' or ':'")
	}
	for _, v := range []func() error{c.SIP.Validate, c.HTTP.Validate, c.Journal.Validate, c.Security.Validate, c.Media.Validate, c.Log.Validate, c.Kafka.Validate, c.ClickHouse.Validate, c.Audit.Validate} {
		if err := v(); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for i := range c.Subscribers {
		s := &c.Subscribers[i]
		f := fmt.Sprintf("subscribers[%d]", i)
		if s.User == "" || strings.ContainsAny(s.User, " @:;<>\"") {
			return fieldErr(f+".user", "must be a non-empty SIP user part, got %q", s.User)
		}
		if seen[s.User] {
			return fieldErr(f+".user", "duplicate user %q", s.User)
		}
		seen[s.User] = true
		v, err := resolveSecret(s.Password)
		if err != nil {
			return fieldErr(f+".password", "%v", err)
		}
		s.Password = v
		if s.Password == "" {
			return fieldErr(f+".password", "must not be empty")
		}
		if err := s.validatePolicy(f); err != nil {
			return err
		}
	}
	if err := validateAccounts(c.Accounts, seen); err != nil {
		return err
	}
	if err := c.Dialer.validate(seen); err != nil {
		return err
	}
	return c.validateInterconnect()
}

func (s *SIP) setDefaults() {
	if s.Listen == "" {
		s.Listen = "127.0.0.1:5060"
	}
	if s.Realm == "" {
		s.Realm = "softswitch"
	}
	if len(s.AuthAlgorithms) == 0 {
		s.AuthAlgorithms = []string{"SHA-256", "MD5"}
	}
	if s.NonceLifetime == 0 {
		s.NonceLifetime = 30 * time.Second
	}
	if s.RingTimeout == 0 {
		s.RingTimeout = 30 * time.Second
	}
	if s.TrunkAttemptTimeout == 0 {
		s.TrunkAttemptTimeout = 3 * time.Second
	}
	if s.MaxCallDuration == 0 {
		s.MaxCallDuration = 3 * time.Hour
	}
	if s.MinExpires == 0 {
		s.MinExpires = 60
	}
	if s.MaxExpires == 0 {
		s.MaxExpires = 3600
	}
	if s.DefaultExpires == 0 {
		s.DefaultExpires = 3600
	}
	if s.MaxContacts == 0 {
		s.MaxContacts = 10
	}
	if s.OverloadQueueDelay == 0 {
		s.OverloadQueueDelay = 50 * time.Millisecond
	}
	if s.OverloadRetryAfter == 0 {
		s.OverloadRetryAfter = 2 * time.Second
	}
	if s.UDPBufferBytes == 0 {
		s.UDPBufferBytes = 4 << 20
	}
	if s.UserAgent == "" {
		s.UserAgent = "softswitch"
	}
	if s.SessionExpires == 0 {
		s.SessionExpires = 30 * time.Minute
	}
	if s.MinSE == 0 {
		s.MinSE = 90 * time.Second
	}
	s.Edge.setDefaults()
}

// Validate checks the sip section.
func (s *SIP) Validate() error {
	if err := validAddr(s.Listen); err != nil {
		return fieldErr("sip.listen", "%v", err)
	}
	if s.Realm == "" || strings.ContainsAny(s.Realm, "\" \t") {
		return fieldErr("sip.realm", "must be a token without quotes or spaces, got %q", s.Realm)
	}
	for i, a := range s.AuthAlgorithms {
		switch a {
		case "MD5", "SHA-256", "MD5-sess", "SHA-256-sess":
		default:
			return fieldErr(fmt.Sprintf("sip.auth_algorithms[%d]", i), "unsupported algorithm %q (MD5, SHA-256, MD5-sess, SHA-256-sess)", a)
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"sip.nonce_lifetime", s.NonceLifetime}, {"sip.ring_timeout", s.RingTimeout}, {"sip.max_call_duration", s.MaxCallDuration}, {"sip.trunk_attempt_timeout", s.TrunkAttemptTimeout}} {
		if d.v < 0 {
			return fieldErr(d.name, "must be positive, got %s", d.v)
		}
	}
	if s.MinExpires < 1 {
		return fieldErr("sip.min_expires", "must be at least 1 second")
	}
	if s.MaxExpires < s.MinExpires {
		return fieldErr("sip.max_expires", "must be >= sip.min_expires (%d)", s.MinExpires)
	}
	if s.DefaultExpires < s.MinExpires || s.DefaultExpires > s.MaxExpires {
		return fieldErr("sip.default_expires", "must be between min_expires and max_expires")
	}
	if s.MaxContacts < 1 {
		return fieldErr("sip.max_contacts", "must be at least 1")
	}
	if s.UDPBufferBytes < 0 {
		return fieldErr("sip.udp_buffer_bytes", "must not be negative")
	}
	if s.OverloadQueueDelay < time.Millisecond {
		return fieldErr("sip.overload_queue_delay", "must be at least 1ms, got %s", s.OverloadQueueDelay)
	}
	if s.OverloadRetryAfter < time.Second {
		return fieldErr("sip.overload_retry_after", "must be at least 1s, got %s", s.OverloadRetryAfter)
	}
	if s.UDPShards < 0 || s.UDPShards > 256 {
		return fieldErr("sip.udp_shards", "must be 0 (off) to 256, got %d", s.UDPShards)
	}
	if s.UDPReaders < 0 || s.UDPReaders > 256 {
		return fieldErr("sip.udp_readers", "must be 0 (one per CPU) to 256, got %d", s.UDPReaders)
	}
	if s.SessionExpires < time.Second || s.SessionExpires > 30*time.Minute {
		return fieldErr("sip.session_expires", "must be between 1s and 30m (RFC 4028 recommends 30m), got %s", s.SessionExpires)
	}
	if s.SessionExpires%time.Second != 0 {
		return fieldErr("sip.session_expires", "must be whole seconds (Session-Expires is delta-seconds), got %s", s.SessionExpires)
	}
	if s.MinSE < time.Second || s.MinSE > s.SessionExpires || s.MinSE%time.Second != 0 {
		return fieldErr("sip.min_se", "must be whole seconds between 1s and sip.session_expires (%s), got %s", s.SessionExpires, s.MinSE)
	}
	return s.Edge.Validate()
}

// Validate checks the journal section; zero values take the journal's own
// defaults.
func (j *Journal) Validate() error {
	if j.SegmentBytes < 0 {
		return fieldErr("journal.segment_bytes", "must not be negative")
	}
	if j.MaxDelay < 0 {
		return fieldErr("journal.max_delay", "must not be negative")
	}
	if j.MinFreeBytes < 0 {
		return fieldErr("journal.min_free_bytes", "must not be negative, got %d", j.MinFreeBytes)
	}
	if j.HeartbeatInterval < 100*time.Millisecond {
		return fieldErr("journal.heartbeat_interval", "must be at least 100ms, got %s", j.HeartbeatInterval)
	}
	return nil
}

func (l *Log) setDefaults() {
	if l.Level == "" {
		l.Level = "info"
	}
	if l.Format == "" {
		l.Format = "text"
	}
}

// Validate checks the log section.
func (l *Log) Validate() error {
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		return fieldErr("log.level", "must be debug, info, warn or error, got %q", l.Level)
	}
	switch l.Format {
	case "text", "json":
	default:
		return fieldErr("log.format", "must be text or json, got %q", l.Format)
	}
	return nil
}

// resolveSecret turns "env:NAME" into the value of the environment
// variable NAME, so secrets stay out of the file; other values pass as is.
func resolveSecret(v string) (string, error) {
	name, ok := strings.CutPrefix(v, "env:")
	if !ok {
		return v, nil
	}
	val, set := os.LookupEnv(name)
	if !set {
		return "", fmt.Errorf("environment variable %s is not set", name)
	}
	return val, nil
}

func validAddr(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("must be host:port, got %q", a)
	}
	if host != "" && net.ParseIP(host) == nil {
		return fmt.Errorf("host must be an IP address, got %q", host)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port must be a number from 0 to 65535, got %q", port)
	}
	return nil
}
