package config_test

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"softswitch/internal/config"
)

// TestExampleParses keeps the shipped example loadable: it is what a new
// operator copies first, so a rename in config.go must not break it.
func TestExampleParses(t *testing.T) {
	c, err := config.Load("../../deploy/examples/softswitch.yaml")
	if err != nil {
		t.Fatalf("example config: %v", err)
	}
	if c.NodeID != "node1" || c.SIP.Realm != "softswitch.local" || len(c.Subscribers) != 2 {
		t.Fatalf("example decoded wrongly: %+v", c)
	}
	if c.SIP.MaxCallDuration != 3*time.Hour {
		t.Fatalf("max_call_duration = %v, want 3h", c.SIP.MaxCallDuration)
	}
}

// TestDefaults pins every default documented in docs/configuration.md, so
// that the document and the code cannot drift apart silently.
func TestDefaults(t *testing.T) {
	c, err := config.Parse([]byte("node_id: n1\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		NodeID:  "n1",
		DataDir: "./data",
		SIP: config.SIP{
			Listen:              "127.0.0.1:5060",
			Realm:               "softswitch",
			AuthAlgorithms:      []string{"SHA-256", "MD5"},
			NonceLifetime:       30 * time.Second,
			RingTimeout:         30 * time.Second,
			MaxCallDuration:     3 * time.Hour,
			TrunkAttemptTimeout: 3 * time.Second,
			MinExpires:          60,
			MaxExpires:          3600,
			DefaultExpires:      3600,
			MaxContacts:         10,
			UDPBufferBytes:      4 << 20,
			OverloadQueueDelay:  50 * time.Millisecond,
			OverloadRetryAfter:  2 * time.Second,
			UserAgent:           "softswitch",
			SessionExpires:      30 * time.Minute,
			MinSE:               90 * time.Second,
			Edge: config.Edge{MaxMessageBytes: 32768, TCPMaxConnections: 4096, TCPMaxConnectionsPerSource: 64,
				TCPIdleTimeout: 10 * time.Second, ErrorAnswersPerSecond: 10},
		},
		HTTP: config.HTTP{Listen: "127.0.0.1:8080"},
		// Zero but the heartbeat: the journal applies its own defaults.
		Journal: config.Journal{HeartbeatInterval: time.Second, MinFreeBytes: 256 << 20},
		Security: config.Security{
			MaxAuthFailures:     10,
			FailureWindow:       time.Minute,
			BanDuration:         15 * time.Minute,
			TrustedFor:          10 * time.Minute,
			TrustedFactor:       10,
			MaxTrackedSources:   100_000,
			AuthFailureInterval: 10 * time.Second,
			ScannerUserAgents:   []string{"friendly-scanner", "sipvicious", "sipcli", "sip-scan", "VaxSIPUserAgent"},
		},
		Media: config.Media{Bind: "127.0.0.1", Advertise: "127.0.0.1", PortMin: 30000, PortMax: 40000, LearnWindow: 3 * time.Second,
			Timeout: time.Minute, HoldTimeout: time.Hour, StatsInterval: 30 * time.Second, RecordDir: "./data/recordings",
			BindAddr: netip.MustParseAddr("127.0.0.1"), AdvertiseAddr: netip.MustParseAddr("127.0.0.1")},
		Dialer:     config.Dialer{Bind: "127.0.0.1", PortMin: 40002, PortMax: 41000, RingTimeout: 30 * time.Second},
		Log:        config.Log{Level: "info", Format: "text"},
		Kafka:      config.Kafka{TopicPrefix: "softswitch.", Partitions: 12, ReplicationFactor: 1, ShipBatch: 5000, LedgerTimeout: 2 * time.Second},
		ClickHouse: config.ClickHouse{FlushInterval: 200 * time.Millisecond},
		Numbering:  config.Numbering{CountryCode: "86"},
		Audit:      config.Audit{AnchorInterval: time.Minute, Capture: "summary"},
	}
	if !reflect.DeepEqual(*c, want) {
		t.Fatalf("defaults:\n got %+v\nwant %+v", *c, want)
	}
}

// TestEmptyFile: an empty file is a valid, all-defaults config (io.EOF from
// the decoder must not surface as an error). node_id falls back to the host
// name, which must never be empty.
func TestEmptyFile(t *testing.T) {
	c, err := config.Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.NodeID == "" {
		t.Fatal("node_id default is empty")
	}
}

// TestExplicitValuesKept checks that setDefaults only fills zero fields.
func TestExplicitValuesKept(t *testing.T) {
	c, err := config.Parse([]byte(`
sip:
  auth_algorithms: [MD5]
  min_expires: 30
  max_expires: 600
  default_expires: 120
security:
  scanner_user_agents: []
log: {level: debug, format: json}
`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.SIP.AuthAlgorithms, []string{"MD5"}) || c.SIP.MinExpires != 30 ||
		c.SIP.MaxExpires != 600 || c.SIP.DefaultExpires != 120 || c.Log.Level != "debug" || c.Log.Format != "json" {
		t.Fatalf("explicit values overwritten: %+v", c)
	}
	// An explicit empty list means "filter no scanners", unlike an absent key.
	if c.Security.ScannerUserAgents == nil || len(c.Security.ScannerUserAgents) != 0 {
		t.Fatalf("scanner_user_agents: [] became %v", c.Security.ScannerUserAgents)
	}
}

// TestEnvSecrets: "env:NAME" keeps passwords out of the file; the value is
// resolved at parse time and replaces the reference.
func TestEnvSecrets(t *testing.T) {
	t.Setenv("SOFTSWITCH_TEST_PW", "s3cret")
	c, err := config.Parse([]byte(`
subscribers:
  - {user: "6000", password: "env:SOFTSWITCH_TEST_PW"}
  - {user: "6001", password: "plain"}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Subscribers[0].Password; got != "s3cret" {
		t.Fatalf("env password = %q", got)
	}
	if got := c.Subscribers[1].Password; got != "plain" {
		t.Fatalf("literal password = %q", got)
	}
}

func TestInvalid(t *testing.T) {
	// Set an empty variable: set-but-empty must fail as "empty password",
	// not silently provision a user without a secret.
	t.Setenv("SOFTSWITCH_TEST_EMPTY", "")
	os.Unsetenv("SOFTSWITCH_TEST_UNSET_PW")
	tests := []struct {
		name string
		yaml string
		// field is the name the operator must see in the message.
		field string
	}{
		{"unknown key", "sip:\n  lisen: \"127.0.0.1:5060\"\n", "lisen"},
		{"unknown top-level key", "nodeid: x\n", "nodeid"},
		{"wrong type", "sip:\n  max_expires: soon\n", "soon"},
		{"node_id with slash", "node_id: a/b\n", "node_id"},
		{"sip.listen no port", "sip: {listen: \"127.0.0.1\"}\n", "sip.listen"},
		{"sip.listen host name", "sip: {listen: \"localhost:5060\"}\n", "sip.listen"},
		{"sip.listen empty port", "sip: {listen: \"127.0.0.1:\"}\n", "sip.listen"},
		{"sip.realm with space", "sip: {realm: \"a b\"}\n", "sip.realm"},
		{"sip.auth_algorithms second bad", "sip: {auth_algorithms: [MD5, SHA-1]}\n", "sip.auth_algorithms[1]"},
		{"sip.nonce_lifetime negative", "sip: {nonce_lifetime: -1s}\n", "sip.nonce_lifetime"},
		{"sip.ring_timeout negative", "sip: {ring_timeout: -1s}\n", "sip.ring_timeout"},
		{"sip.max_call_duration negative", "sip: {max_call_duration: -1h}\n", "sip.max_call_duration"},
		{"sip.trunk_attempt_timeout negative", "sip: {trunk_attempt_timeout: -1s}\n", "sip.trunk_attempt_timeout"},
		{"sip.min_expires negative", "sip: {min_expires: -5}\n", "sip.min_expires"},
		{"sip.max_expires below min", "sip: {min_expires: 600, max_expires: 300, default_expires: 600}\n", "sip.max_expires"},
		{"sip.default_expires above max", "sip: {max_expires: 600, default_expires: 900}\n", "sip.default_expires"},
		{"sip.max_contacts negative", "sip: {max_contacts: -1}\n", "sip.max_contacts"},
		{"sip.udp_buffer_bytes negative", "sip: {udp_buffer_bytes: -1}\n", "sip.udp_buffer_bytes"},
		{"sip.session_expires above 30m", "sip: {session_expires: 1h}\n", "sip.session_expires"},
		{"sip.session_expires fraction", "sip: {session_expires: 1500ms}\n", "sip.session_expires"},
		{"sip.min_se above session_expires", "sip: {session_expires: 10m, min_se: 11m}\n", "sip.min_se"},
		{"sip.min_se negative", "sip: {min_se: -1s}\n", "sip.min_se"},
		{"journal.heartbeat_interval", "journal: {heartbeat_interval: 10ms}\n", "journal.heartbeat_interval"},
		{"kafka.ledger_timeout", "kafka: {ledger_timeout: -1s}\n", "kafka.ledger_timeout"},
		{"http.listen", "http: {listen: \"8080\"}\n", "http.listen"},
		{"journal.segment_bytes", "journal: {segment_bytes: -1}\n", "journal.segment_bytes"},
		{"journal.max_delay", "journal: {max_delay: -1ms}\n", "journal.max_delay"},
		{"security.max_auth_failures", "security: {max_auth_failures: -1}\n", "security.max_auth_failures"},
		{"security.failure_window", "security: {failure_window: -1s}\n", "security.failure_window"},
		{"security.ban_duration", "security: {ban_duration: -1s}\n", "security.ban_duration"},
		{"sip.overload_queue_delay", "sip: {overload_queue_delay: 1us}\n", "sip.overload_queue_delay"},
		{"sip.overload_retry_after", "sip: {overload_retry_after: 500ms}\n", "sip.overload_retry_after"},
		{"sip.udp_shards negative", "sip: {udp_shards: -1}\n", "sip.udp_shards"},
		{"sip.udp_readers negative", "sip: {udp_readers: -1}\n", "sip.udp_readers"},
		{"media.bind", "media: {bind: somehost}\n", "media.bind"},
		{"dialer.account missing", "dialer: {enabled: true}\n", "dialer.account"},
		{"dialer.account not a subscriber", "dialer: {enabled: true, account: nobody}\n", "dialer.account"},
		{"dialer.bind", "subscribers: [{user: d, password: p}]\ndialer: {enabled: true, account: d, bind: 0.0.0.0}\n", "dialer.bind"},
		{"dialer.port_min odd", "subscribers: [{user: d, password: p}]\ndialer: {enabled: true, account: d, port_min: 40001}\n", "dialer.port_min"},
		{"dialer.ring_timeout", "subscribers: [{user: d, password: p}]\ndialer: {enabled: true, account: d, ring_timeout: 10ms}\n", "dialer.ring_timeout"},
		{"media.advertise unspecified", "media: {advertise: 0.0.0.0}\n", "media.advertise"},
		{"media.port_min odd", "media: {port_min: 30001, port_max: 40000}\n", "media.port_min"},
		{"media.port_min low", "media: {port_min: 100, port_max: 40000}\n", "media.port_min"},
		{"media.port_max below min", "media: {port_min: 30000, port_max: 20000}\n", "media.port_max"},
		{"media.timeout negative", "media: {timeout: -1s}\n", "media.timeout"},
		{"media.hold_timeout negative", "media: {hold_timeout: -1s}\n", "media.hold_timeout"},
		{"media.record_header", "media: {record_header: \"X Record\"}\n", "media.record_header"},
		{"media.read_buffer_bytes negative", "media: {read_buffer_bytes: -1}\n", "media.read_buffer_bytes"},
		{"log.level", "log: {level: verbose}\n", "log.level"},
		{"log.format", "log: {format: xml}\n", "log.format"},
		{"kafka.brokers not host:port", "kafka: {brokers: [\"127.0.0.1\"]}\n", "kafka.brokers[0]"},
		{"kafka.topic_prefix with slash", "kafka: {topic_prefix: \"a/b\"}\n", "kafka.topic_prefix"},
		{"kafka.partitions negative", "kafka: {partitions: -1}\n", "kafka.partitions"},
		{"kafka.replication_factor negative", "kafka: {replication_factor: -1}\n", "kafka.replication_factor"},
		{"kafka.ship_batch negative", "kafka: {ship_batch: -1}\n", "kafka.ship_batch"},
		{"clickhouse.dsn scheme", "clickhouse: {dsn: \"mysql://127.0.0.1:9000/default\"}\n", "clickhouse.dsn"},
		{"clickhouse.dsn not a url", "clickhouse: {dsn: \"127.0.0.1:9000\"}\n", "clickhouse.dsn"},
		{"clickhouse.flush_interval negative", "clickhouse: {flush_interval: -1s}\n", "clickhouse.flush_interval"},
		{"clickhouse.password env unset", "clickhouse: {dsn: \"clickhouse://127.0.0.1:9000/default\", password: \"env:SOFTSWITCH_TEST_UNSET_PW\"}\n", "clickhouse.password"},
		{"audit.capture", "audit: {capture: everything}\n", "audit.capture"},
		{"audit.anchor_interval negative", "audit: {anchor_interval: -1s}\n", "audit.anchor_interval"},
		{"audit.signing_key_file missing", "audit: {signing_key_file: /nonexistent/bundle.key}\n", "audit.signing_key_file"},
		{"audit.signing_key_file a directory", "audit: {signing_key_file: /}\n", "audit.signing_key_file"},
		{"accounts user unknown", "subscribers: [{user: \"6000\", password: x}]\naccounts: [{user: \"7000\"}]\n", "accounts[0].user"},
		{"accounts balance not decimal", "subscribers: [{user: \"6000\", password: x}]\naccounts: [{user: \"6000\", balance: \"1,5\"}]\n", "accounts[0].balance"},
		{"accounts currency", "subscribers: [{user: \"6000\", password: x}]\naccounts: [{user: \"6000\", currency: yuan}]\n", "accounts[0].currency"},
		{"accounts daily_cap", "subscribers: [{user: \"6000\", password: x}]\naccounts: [{user: \"6000\", daily_cap: \"-1\"}]\n", "accounts[0].daily_cap"},
		{"accounts max_concurrent_calls", "subscribers: [{user: \"6000\", password: x}]\naccounts: [{user: \"6000\", max_concurrent_calls: -2}]\n", "accounts[0].max_concurrent_calls"},
		{"accounts reservation_slice", "subscribers: [{user: \"6000\", password: x}]\naccounts: [{user: \"6000\", reservation_slice: 100ms}]\n", "accounts[0].reservation_slice"},
		{"accounts duplicate", "subscribers: [{user: \"6000\", password: x}]\naccounts: [{user: \"6000\"}, {user: \"6000\"}]\n", "accounts[1].user"},
		{"subscribers user empty", "subscribers: [{user: \"\", password: x}]\n", "subscribers[0].user"},
		{"subscribers user with @", "subscribers: [{user: \"a@b\", password: x}]\n", "subscribers[0].user"},
		{"subscribers duplicate user", "subscribers: [{user: \"6000\", password: x}, {user: \"6000\", password: y}]\n", "subscribers[1].user"},
		{"subscribers password env unset", "subscribers: [{user: \"6000\", password: \"env:SOFTSWITCH_TEST_UNSET_PW\"}]\n", "subscribers[0].password"},
		{"subscribers password env empty", "subscribers: [{user: \"6000\", password: \"env:SOFTSWITCH_TEST_EMPTY\"}]\n", "subscribers[0].password"},
		{"subscribers password empty", "subscribers: [{user: \"6000\"}]\n", "subscribers[0].password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("accepted: %+v", c)
			}
			if !errors.Is(err, config.ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not name %q", err, tt.field)
			}
			// Validation errors (not YAML syntax ones) are FieldErrors whose
			// Field is exactly the YAML path, for tools that highlight it.
			var fe *config.FieldError
			if errors.As(err, &fe) && fe.Field != tt.field {
				t.Errorf("FieldError.Field = %q, want %q", fe.Field, tt.field)
			}
		})
	}
}

// TestAuditSigningKey: a key file that exists is accepted, and so is the
// environment variable alone, but not both at once.
func TestAuditSigningKey(t *testing.T) {
	key := filepath.Join(t.TempDir(), "bundle.key")
	if err := os.WriteFile(key, []byte("-----BEGIN PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		file  string
		env   string
		field string // "" when valid
	}{
		{"file", key, "", ""},
		{"env", "", "c2VlZA==", ""},
		{"neither", "", "", ""},
		{"both", key, "c2VlZA==", "audit.signing_key_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(config.SigningKeyEnv, tt.env)
			c, err := config.Parse([]byte("audit: {signing_key_file: \"" + tt.file + "\"}\n"))
			var fe *config.FieldError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("Parse: %v", err)
			case tt.field == "" && c.Audit.SigningKeyFile != tt.file:
				t.Errorf("signing_key_file = %q, want %q", c.Audit.SigningKeyFile, tt.file)
			case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field):
				t.Errorf("Parse = %v, want a FieldError on %s", err, tt.field)
			}
		})
	}
}
