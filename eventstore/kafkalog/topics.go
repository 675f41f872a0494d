package kafkalog

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/segmentio/kafka-go"
)

// DefaultPrefix names the topics when Config.Prefix is empty.
const DefaultPrefix = "softswitch."

// Defaults for EnsureTopics.
const (
	DefaultPartitions  = 12
	DefaultReplication = 1
)

// Topics are the names the shipper writes to.
type Topics struct {
	// Events holds every envelope, keyed by aggregate.
	Events string
	// Poison holds records that could not be delivered as envelopes, by the
	// shipper or by a consumer's poison-queue middleware.
	Poison string
}

// TopicNames derives the topic names from a prefix; an empty prefix means
// DefaultPrefix.
func TopicNames(prefix string) Topics {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return Topics{Events: prefix + "events", Poison: prefix + "events.poison"}
}

// EnsureTopics creates the events and poison topics if missing. Existing
// topics are left as they are, even with other partition counts: changing
// the partition count of a live topic would move aggregates between
// partitions and break their order, so that is an operator's decision.
// partitions and replication of 0 mean the defaults.
func EnsureTopics(ctx context.Context, brokers []string, prefix string, partitions, replication int) error {
	if partitions == 0 {
		partitions = DefaultPartitions
	}
	if replication == 0 {
		replication = DefaultReplication
	}
	if len(brokers) == 0 {
		return fmt.Errorf("%w: no brokers", ErrInvalidConfig)
	}
	names := TopicNames(prefix)
	return CreateTopics(ctx, brokers,
		kafka.TopicConfig{Topic: names.Events, NumPartitions: partitions, ReplicationFactor: replication},
		kafka.TopicConfig{Topic: names.Poison, NumPartitions: partitions, ReplicationFactor: replication},
	)
}

// CreateTopics creates topics on the cluster at brokers, tolerating those
// that already exist. kafkastore shares it.
//
// It returns once every partition of those topics has a leader: a
// produce to a partition the broker does not lead yet fails with Not
// Leader For Partition, and a batch that failed on some partitions only
// is sent again whole, which duplicates the rest.
func CreateTopics(ctx context.Context, brokers []string, topics ...kafka.TopicConfig) error {
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	c := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: tr}
	if err := createTopics(ctx, c, topics); err != nil {
		return err
	}
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = t.Topic
	}
	return waitLeaders(ctx, c, names)
}

// leaderPoll is how often waitLeaders asks for metadata.
const leaderPoll = 50 * time.Millisecond

func waitLeaders(ctx context.Context, c *kafka.Client, topics []string) error {
	for {
		meta, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
		if err != nil {
			return fmt.Errorf("kafkalog: metadata for %v: %w", topics, err)
		}
		if allLed(meta) && allServing(ctx, c, meta) {
			return nil
		}
		t := time.NewTimer(leaderPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("kafkalog: waiting for partition leaders of %v: %w", topics, ctx.Err())
		case <-t.C:
		}
	}
}

// allServing asks every partition for its end offset. On Kafka 4.3 a
// partition is listed with a leader some 100-300 ms before that leader
// accepts produce requests; ListOffsets fails the same way until then.
func allServing(ctx context.Context, c *kafka.Client, meta *kafka.MetadataResponse) bool {
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, t := range meta.Topics {
		for _, p := range t.Partitions {
			req.Topics[t.Name] = append(req.Topics[t.Name], kafka.LastOffsetOf(p.ID))
		}
	}
	res, err := c.ListOffsets(ctx, req)
	if err != nil {
		return false
	}
	for _, parts := range res.Topics {
		for _, p := range parts {
			if p.Error != nil {
				return false
			}
		}
	}
	return true
}

func allLed(meta *kafka.MetadataResponse) bool {
	for _, t := range meta.Topics {
		if t.Error != nil || len(t.Partitions) == 0 {
			return false
		}
		for _, p := range t.Partitions {
			if p.Error != nil || p.Leader.Host == "" {
				return false
			}
		}
	}
	return true
}

func createTopics(ctx context.Context, c *kafka.Client, topics []kafka.TopicConfig) error {
	res, err := c.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: topics})
	if err != nil {
		return fmt.Errorf("kafkalog: create topics at %s: %w", addrString(c.Addr), err)
	}
	var errs []error
	for name, err := range res.Errors {
		if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
			errs = append(errs, fmt.Errorf("kafkalog: create topic %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func addrString(a net.Addr) string {
	if a == nil {
		return "<nil>"
	}
	return a.String()
}

// partitionCount returns how many partitions topic has.
func partitionCount(ctx context.Context, brokers []string, topic string) (int, error) {
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	c := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: tr}
	meta, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return 0, fmt.Errorf("kafkalog: metadata for %s: %w", topic, err)
	}
	for _, t := range meta.Topics {
		if t.Name == topic {
			if t.Error != nil {
				return 0, fmt.Errorf("kafkalog: topic %s: %w", topic, t.Error)
			}
			return len(t.Partitions), nil
		}
	}
	return 0, fmt.Errorf("kafkalog: topic %s missing from metadata", topic)
}
