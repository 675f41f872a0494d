package kafkabus

import (
	"fmt"
	"time"
)

// DefaultKeyMetadata is the metadata key whose value becomes the record key,
// so envelopes encoded by wmjournal.ToMessage are keyed by aggregate.
const DefaultKeyMetadata = "aggregate"

// TopicSpec shapes the topics this package creates. The zero value creates
// nothing and leaves the topic to the operator (or to the broker's
// auto.create.topics.enable, which uses the broker's num.partitions).
type TopicSpec struct {
	// Partitions of a topic created on first use; 0 does not create.
	Partitions int
	// ReplicationFactor of a created topic. Default 1 when Partitions > 0,
	// which suits a single test broker only: set it in production.
	ReplicationFactor int
}

func (t *TopicSpec) setDefaults() {
	if t.Partitions > 0 && t.ReplicationFactor == 0 {
		t.ReplicationFactor = 1
	}
}

func (t TopicSpec) validate() error {
	if t.Partitions < 0 || t.ReplicationFactor < 0 {
		return fmt.Errorf("%w: negative topic partitions %d or replication %d", ErrInvalidConfig, t.Partitions, t.ReplicationFactor)
	}
	return nil
}

// PublisherConfig configures a Publisher.
type PublisherConfig struct {
	// Brokers to bootstrap from, host:port. Required.
	Brokers []string
	// KeyMetadata names the metadata entry whose value is the record key;
	// a message without it is keyed by its UUID. Default "aggregate".
	KeyMetadata string
	// BatchTimeout is how long the writer waits for more messages to join
	// a batch. kafka-go's default (1 s) would delay every synchronous
	// Publish by that much; default 2 ms.
	BatchTimeout time.Duration
	// WriteTimeout bounds one Publish, since watermill's Publish takes no
	// context. Default 10 s.
	WriteTimeout time.Duration
	// CreateTopics creates a topic before the first Publish to it.
	CreateTopics TopicSpec
}

func (c *PublisherConfig) setDefaults() {
	if c.KeyMetadata == "" {
		c.KeyMetadata = DefaultKeyMetadata
	}
	if c.BatchTimeout == 0 {
		c.BatchTimeout = 2 * time.Millisecond
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	c.CreateTopics.setDefaults()
}

// Validate reports a config that cannot work, wrapping ErrInvalidConfig.
func (c PublisherConfig) Validate() error {
	switch {
	case len(c.Brokers) == 0:
		return fmt.Errorf("%w: no brokers", ErrInvalidConfig)
	case c.BatchTimeout < 0:
		return fmt.Errorf("%w: negative BatchTimeout %v", ErrInvalidConfig, c.BatchTimeout)
	case c.WriteTimeout < 0:
		return fmt.Errorf("%w: negative WriteTimeout %v", ErrInvalidConfig, c.WriteTimeout)
	}
	return c.CreateTopics.validate()
}

// SubscriberConfig configures a Subscriber.
type SubscriberConfig struct {
	// Brokers to bootstrap from, host:port. Required.
	Brokers []string
	// ConsumerGroup shares a topic's partitions among the group's members
	// and stores their offsets. Empty reads every partition from the start
	// on each Subscribe and commits nothing (for in-memory projections).
	ConsumerGroup string
	// StartFromNewest makes a group without a committed offset start at
	// the end of each partition instead of the beginning. The zero value,
	// the oldest offset, is the safe one: nothing is skipped.
	StartFromNewest bool
	// ManualCommit turns off committing each message's offset on Ack; the
	// consumer calls Subscriber.Commit itself, e.g. only up to what it has
	// made durable. Only with a ConsumerGroup.
	ManualCommit bool
	// NackResendSleep is how long to wait before redelivering a Nacked
	// message, and before retrying a failed fetch. Default 100 ms.
	NackResendSleep time.Duration

	// MinBytes and MaxBytes bound one fetch. Defaults 1 and 10 MiB.
	MinBytes, MaxBytes int
	// MaxWait is how long the broker may hold a fetch waiting for MinBytes.
	// kafka-go's default is 10 s; default here 100 ms.
	MaxWait time.Duration
	// HeartbeatInterval, SessionTimeout, RebalanceTimeout and
	// JoinGroupBackoff tune the group protocol. A member notices a rebalance
	// at its next heartbeat, so the interval bounds how long a join or a
	// leave stalls the group. Defaults 1 s, 10 s, 10 s, 500 ms (kafka-go's
	// are 3 s, 30 s, 30 s, 5 s). The broker refuses a SessionTimeout below
	// its group.min.session.timeout.ms (6 s by default).
	HeartbeatInterval, SessionTimeout, RebalanceTimeout, JoinGroupBackoff time.Duration
	// CreateTopics creates a topic when it is subscribed to.
	CreateTopics TopicSpec
}

func (c *SubscriberConfig) setDefaults() {
	defaultDur := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	defaultDur(&c.NackResendSleep, 100*time.Millisecond)
	defaultDur(&c.MaxWait, 100*time.Millisecond)
	defaultDur(&c.HeartbeatInterval, time.Second)
	defaultDur(&c.SessionTimeout, 10*time.Second)
	defaultDur(&c.RebalanceTimeout, 10*time.Second)
	defaultDur(&c.JoinGroupBackoff, 500*time.Millisecond)
	if c.MinBytes == 0 {
		c.MinBytes = 1
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = 10 << 20
	}
	c.CreateTopics.setDefaults()
}

// Validate reports a config that cannot work, wrapping ErrInvalidConfig.
func (c SubscriberConfig) Validate() error {
	for name, d := range map[string]time.Duration{
		"NackResendSleep": c.NackResendSleep, "MaxWait": c.MaxWait,
		"HeartbeatInterval": c.HeartbeatInterval, "SessionTimeout": c.SessionTimeout,
		"RebalanceTimeout": c.RebalanceTimeout, "JoinGroupBackoff": c.JoinGroupBackoff,
	} {
		if d < 0 {
			return fmt.Errorf("%w: negative %s %v", ErrInvalidConfig, name, d)
		}
	}
	switch {
	case len(c.Brokers) == 0:
		return fmt.Errorf("%w: no brokers", ErrInvalidConfig)
	case c.ManualCommit && c.ConsumerGroup == "":
		return fmt.Errorf("%w: ManualCommit needs a ConsumerGroup", ErrInvalidConfig)
	case c.MinBytes < 0 || c.MaxBytes < 0 || (c.MaxBytes > 0 && c.MinBytes > c.MaxBytes):
		return fmt.Errorf("%w: MinBytes %d, MaxBytes %d", ErrInvalidConfig, c.MinBytes, c.MaxBytes)
	case c.ConsumerGroup != "" && c.SessionTimeout > 0 && c.HeartbeatInterval >= c.SessionTimeout:
		return fmt.Errorf("%w: HeartbeatInterval %v not below SessionTimeout %v", ErrInvalidConfig, c.HeartbeatInterval, c.SessionTimeout)
	}
	return c.CreateTopics.validate()
}
