package kafkastore

import (
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// ErrInvalidConfig is wrapped by Config.Validate.
var ErrInvalidConfig = errors.New("kafkastore: invalid config")

// ErrNotSinglePartition is returned by Open for a topic with more than one
// partition: only a single partition is a total order.
var ErrNotSinglePartition = errors.New("kafkastore: topic must have exactly one partition")

// Defaults applied by Config.setDefaults.
const (
	DefaultReplication  = 1
	DefaultMaxBatchByte = 1 << 20
	DefaultFetchBytes   = 4 << 20
	DefaultWriteTimeout = 10 * time.Second
	DefaultFollow       = time.Second
	// topicMaxMessageBytes is set on topics Open creates, so that one
	// Append larger than MaxBatchBytes (it is never split: its positions
	// must be contiguous) still fits a record batch.
	topicMaxMessageBytes = 8 << 20
)

// Config configures a Store.
type Config struct {
	// Brokers is the bootstrap broker list. Required.
	Brokers []string
	// Topic holds the store; one topic per node (see docs/kafka.md).
	// Required.
	Topic string
	// Replication is the replication factor of a topic Open creates.
	// Default 1; use 3 in production, with min.insync.replicas 2, since
	// the store's durability is exactly that of acks=all.
	Replication int
	// SkipCreateTopic makes Open fail on a missing topic instead of
	// creating it.
	SkipCreateTopic bool
	// MaxBatchBytes caps, in encoded bytes, how many queued Appends one
	// produce request takes. A single larger Append still goes alone.
	// Default 1 MiB.
	MaxBatchBytes int
	// FetchBytes is the size Read asks each fetch for. Default 4 MiB.
	FetchBytes int
	// WriteTimeout bounds one produce request. Default 10s.
	WriteTimeout time.Duration
	// Follow is how often WaitFor asks the broker for the partition's end,
	// to see records another process appended (an auditor following a live
	// replica). This Store's own Appends wake WaitFor at once. Default 1s.
	Follow time.Duration
	// Compression is the record batch codec; 0 means none.
	Compression kafka.Compression
}

func (c *Config) setDefaults() {
	if c.Replication == 0 {
		c.Replication = DefaultReplication
	}
	if c.MaxBatchBytes == 0 {
		c.MaxBatchBytes = DefaultMaxBatchByte
	}
	if c.FetchBytes == 0 {
		c.FetchBytes = DefaultFetchBytes
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.Follow == 0 {
		c.Follow = DefaultFollow
	}
}

// Validate reports a config that cannot work, naming the field.
func (c Config) Validate() error {
	switch {
	case len(c.Brokers) == 0:
		return fmt.Errorf("%w: Brokers is empty", ErrInvalidConfig)
	case c.Topic == "":
		return fmt.Errorf("%w: Topic is empty", ErrInvalidConfig)
	case c.Replication < 1:
		return fmt.Errorf("%w: Replication %d < 1", ErrInvalidConfig, c.Replication)
	case c.MaxBatchBytes < 1024:
		return fmt.Errorf("%w: MaxBatchBytes %d < 1024", ErrInvalidConfig, c.MaxBatchBytes)
	case c.FetchBytes < 1024:
		return fmt.Errorf("%w: FetchBytes %d < 1024", ErrInvalidConfig, c.FetchBytes)
	case c.WriteTimeout < 0:
		return fmt.Errorf("%w: WriteTimeout %v is negative", ErrInvalidConfig, c.WriteTimeout)
	case c.Follow < 0:
		return fmt.Errorf("%w: Follow %v is negative", ErrInvalidConfig, c.Follow)
	}
	return nil
}
