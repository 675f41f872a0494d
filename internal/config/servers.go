package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Kafka is the `kafka:` section. An empty Brokers list leaves Kafka off:
// the embedded default needs no broker.
type Kafka struct {
	// Brokers are host:port bootstrap addresses. Setting them switches on
	// the shipper and the Kafka consumers.
	Brokers []string `yaml:"brokers"`
	// TopicPrefix names the topics: <prefix>events and <prefix>events.poison.
	// Default "softswitch.".
	TopicPrefix string `yaml:"topic_prefix"`
	// Partitions (count) of the events topic when the switch creates it.
	// Default 12.
	Partitions int `yaml:"partitions"`
	// ReplicationFactor (count) of topics the switch creates. Default 1.
	ReplicationFactor int `yaml:"replication_factor"`
	// ShipBatch (events) is the most envelopes one produce request carries.
	// Default 5000.
	ShipBatch int `yaml:"ship_batch"`
	// CDRGroup is the consumer group of the CDR builders. Builders that
	// share one CDR store (ClickHouse) share one group and split the
	// partitions. Default "<prefix>cdr" with ClickHouse, and
	// "<prefix>cdr.<node_id>" with the node-local embedded store, so each
	// node's embedded store holds every CDR.
	CDRGroup string `yaml:"cdr_group"`
	// LedgerTimeout (duration) is how long a prepaid call's credit
	// reservation waits to see the shared log decide it (accounts are
	// folded in the log's order on every node, docs/rating.md); past it
	// the call is refused with 503 rather than let through unbilled.
	// Default 2s.
	LedgerTimeout time.Duration `yaml:"ledger_timeout"`
}

// On tells whether Kafka is configured.
func (k *Kafka) On() bool { return len(k.Brokers) > 0 }

func (k *Kafka) setDefaults() {
	if k.TopicPrefix == "" {
		k.TopicPrefix = "softswitch."
	}
	if k.Partitions == 0 {
		k.Partitions = 12
	}
	if k.ReplicationFactor == 0 {
		k.ReplicationFactor = 1
	}
	if k.ShipBatch == 0 {
		k.ShipBatch = 5000
	}
	if k.LedgerTimeout == 0 {
		k.LedgerTimeout = 2 * time.Second
	}
}

// Validate checks the kafka section.
func (k *Kafka) Validate() error {
	for i, b := range k.Brokers {
		if err := validAddr(b); err != nil && !validHostPort(b) {
			return fieldErr(fmt.Sprintf("kafka.brokers[%d]", i), "%v", err)
		}
	}
	if strings.ContainsAny(k.TopicPrefix, " /\\:") || len(k.TopicPrefix) > 200 {
		return fieldErr("kafka.topic_prefix", "must be a Kafka topic name prefix (letters, digits, '.', '_', '-'), got %q", k.TopicPrefix)
	}
	if k.Partitions < 1 {
		return fieldErr("kafka.partitions", "must be at least 1")
	}
	if k.ReplicationFactor < 1 {
		return fieldErr("kafka.replication_factor", "must be at least 1")
	}
	if k.LedgerTimeout < 0 {
		return fieldErr("kafka.ledger_timeout", "must be positive, got %s", k.LedgerTimeout)
	}
	if k.ShipBatch < 1 {
		return fieldErr("kafka.ship_batch", "must be at least 1")
	}
	return nil
}

// ClickHouse is the `clickhouse:` section. An empty DSN keeps CDRs in the
// embedded store.
type ClickHouse struct {
	// DSN is clickhouse://host:9000/database (native protocol) or
	// http://host:8123/database. A password may be given as "env:NAME" in
	// Password instead of in the DSN.
	DSN string `yaml:"dsn"`
	// Password overrides the DSN's password; "env:NAME" reads it from the
	// environment variable NAME.
	Password string `yaml:"password"`
	// FlushInterval (duration) bounds how long a finished CDR waits in the
	// builder before its batch is inserted. Default 200ms.
	FlushInterval time.Duration `yaml:"flush_interval"`
}

// On tells whether ClickHouse is configured.
func (c *ClickHouse) On() bool { return c.DSN != "" }

func (c *ClickHouse) setDefaults() {
	if c.FlushInterval == 0 {
		c.FlushInterval = 200 * time.Millisecond
	}
}

// Validate checks the clickhouse section and resolves an env: password.
func (c *ClickHouse) Validate() error {
	if c.DSN != "" {
		u, err := url.Parse(c.DSN)
		if err != nil || u.Host == "" {
			return fieldErr("clickhouse.dsn", "must be a URL like clickhouse://127.0.0.1:9000/default, got %q", c.DSN)
		}
		switch u.Scheme {
		case "clickhouse", "tcp", "http", "https":
		default:
			return fieldErr("clickhouse.dsn", "scheme must be clickhouse, tcp, http or https, got %q", u.Scheme)
		}
	}
	if c.FlushInterval < 0 {
		return fieldErr("clickhouse.flush_interval", "must not be negative")
	}
	v, err := resolveSecret(c.Password)
	if err != nil {
		return fieldErr("clickhouse.password", "%v", err)
	}
	c.Password = v
	return nil
}

// validHostPort accepts a DNS name with a port, which brokers may use.
func validHostPort(a string) bool {
	host, port, ok := strings.Cut(a, ":")
	return ok && host != "" && port != "" && !strings.ContainsAny(host, " /") && strings.Trim(port, "0123456789") == ""
}
