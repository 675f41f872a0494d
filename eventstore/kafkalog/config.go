package kafkalog

import (
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// Defaults applied by Config.setDefaults.
const (
	DefaultBatchSize = 5000
	// DefaultBatchBytes stays under the broker's default message.max.bytes
	// (1048588) so that one partition's share of a batch always fits in
	// one produce request. See BatchBytes.
	DefaultBatchBytes   = 1_000_000
	DefaultBatchTimeout = time.Millisecond
	DefaultWriteTimeout = 10 * time.Second
	DefaultMinBackoff   = 100 * time.Millisecond
	DefaultMaxBackoff   = 10 * time.Second
)

// Config configures a Shipper.
type Config struct {
	// Brokers is the bootstrap broker list, host:port each. Required.
	Brokers []string
	// Prefix names the topics (see TopicNames). Default DefaultPrefix.
	Prefix string
	// DataDir holds the checkpoint file. Required; use the node's data
	// directory, not a temp dir, or a restart re-ships everything.
	DataDir string
	// BatchSize caps how many envelopes one Kafka write carries. Default
	// 5000.
	BatchSize int
	// BatchBytes caps, in encoded bytes, one partition's share of a Kafka
	// write; a batch ends early rather than exceed it on any partition. It
	// must not exceed the topic's max.message.bytes. kafka-go splits a
	// share larger than this into several produce requests, and if one of
	// them failed while a later one succeeded an aggregate's events could
	// reach consumers out of order. Default 1,000,000.
	BatchBytes int
	// BatchTimeout is kafka-go's linger per partition. The shipper hands
	// the writer whole batches already, so lingering only adds latency;
	// it cannot be zero because kafka-go would then use 1s. Default 1ms.
	BatchTimeout time.Duration
	// WriteTimeout bounds one produce request. Default 10s.
	WriteTimeout time.Duration
	// Compression is the record batch codec; 0 means none. See
	// docs/kafka.md for measurements.
	Compression kafka.Compression
	// MinBackoff and MaxBackoff bound the exponential backoff after a
	// failed write or topic creation. Defaults 100ms and 10s.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// Partitions and Replication are used when the shipper creates the
	// topics. Defaults 12 and 1.
	Partitions  int
	Replication int
	// SkipCreateTopics stops Run from creating missing topics, for clusters
	// where the shipper's principal may not create topics.
	SkipCreateTopics bool
}

func (c *Config) setDefaults() {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.BatchBytes == 0 {
		c.BatchBytes = DefaultBatchBytes
	}
	if c.BatchTimeout == 0 {
		c.BatchTimeout = DefaultBatchTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = DefaultMinBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.Partitions == 0 {
		c.Partitions = DefaultPartitions
	}
	if c.Replication == 0 {
		c.Replication = DefaultReplication
	}
}

// Validate reports a config that cannot work, naming the field.
func (c Config) Validate() error {
	switch {
	case len(c.Brokers) == 0:
		return fmt.Errorf("%w: Brokers is empty", ErrInvalidConfig)
	case c.DataDir == "":
		return fmt.Errorf("%w: DataDir is empty", ErrInvalidConfig)
	case c.BatchSize < 1:
		return fmt.Errorf("%w: BatchSize %d < 1", ErrInvalidConfig, c.BatchSize)
	case c.BatchBytes < 1024:
		return fmt.Errorf("%w: BatchBytes %d < 1024", ErrInvalidConfig, c.BatchBytes)
	case c.BatchTimeout < 0:
		return fmt.Errorf("%w: BatchTimeout %v is negative", ErrInvalidConfig, c.BatchTimeout)
	case c.WriteTimeout < 0:
		return fmt.Errorf("%w: WriteTimeout %v is negative", ErrInvalidConfig, c.WriteTimeout)
	case c.MinBackoff <= 0:
		return fmt.Errorf("%w: MinBackoff %v <= 0", ErrInvalidConfig, c.MinBackoff)
	case c.MaxBackoff < c.MinBackoff:
		return fmt.Errorf("%w: MaxBackoff %v < MinBackoff %v", ErrInvalidConfig, c.MaxBackoff, c.MinBackoff)
	case c.Partitions < 1:
		return fmt.Errorf("%w: Partitions %d < 1", ErrInvalidConfig, c.Partitions)
	case c.Replication < 1:
		return fmt.Errorf("%w: Replication %d < 1", ErrInvalidConfig, c.Replication)
	}
	return nil
}
