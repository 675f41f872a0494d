package kafkabus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// adminTimeout bounds one admin round trip when ctx has no deadline.
const adminTimeout = 10 * time.Second

// EnsureTopic creates topic with the given partitions and replication
// factor. A topic that already exists is left as it is, whatever its
// partition count.
func EnsureTopic(ctx context.Context, brokers []string, topic string, partitions, replication int) error {
	if len(brokers) == 0 || topic == "" || partitions <= 0 || replication <= 0 {
		return fmt.Errorf("%w: EnsureTopic(%v, %q, %d, %d)", ErrInvalidConfig, brokers, topic, partitions, replication)
	}
	transport := &kafka.Transport{}
	defer transport.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: adminTimeout, Transport: transport}
	resp, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{
		Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: partitions, ReplicationFactor: replication}},
	})
	if err != nil {
		return fmt.Errorf("kafkabus: create topic %s: %w", topic, err)
	}
	if err := resp.Errors[topic]; err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
		return fmt.Errorf("kafkabus: create topic %s: %w", topic, err)
	}
	return nil
}

// partitions returns the partition IDs of topic, or ErrTopicNotFound.
func partitions(ctx context.Context, client *kafka.Client, topic string) ([]int, error) {
	resp, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("kafkabus: metadata of %s: %w", topic, err)
	}
	for _, t := range resp.Topics {
		if t.Name != topic {
			continue
		}
		if errors.Is(t.Error, kafka.UnknownTopicOrPartition) || (t.Error == nil && len(t.Partitions) == 0) {
			return nil, fmt.Errorf("%w: %s", ErrTopicNotFound, topic)
		}
		if t.Error != nil {
			return nil, fmt.Errorf("kafkabus: metadata of %s: %w", topic, t.Error)
		}
		ids := make([]int, len(t.Partitions))
		for i, p := range t.Partitions {
			ids[i] = p.ID
		}
		return ids, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrTopicNotFound, topic)
}
