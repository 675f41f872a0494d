package kafkalog

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/segmentio/kafka-go"

	"softswitch/domain"
)

// ReadAggregate returns every envelope of one aggregate ("call:<id>") from
// the events topic, for an auditor's replay from Kafka: it reads only the
// partition the shipper's key hash put the aggregate on, from the start to
// the partition's end at the time of the call, and keeps the aggregate's
// envelopes in seq order, a redelivered duplicate once.
func ReadAggregate(ctx context.Context, brokers []string, topic, aggregate string) ([]domain.Envelope, error) {
	if len(brokers) == 0 {
		return nil, errors.New("kafkalog: no brokers")
	}
	conn, err := kafka.DialContext(ctx, "tcp", brokers[0])
	if err != nil {
		return nil, err
	}
	parts, err := conn.ReadPartitions(topic)
	conn.Close()
	if err != nil {
		return nil, fmt.Errorf("kafkalog: partitions of %s: %w", topic, err)
	}
	ids := make([]int, 0, len(parts))
	for _, p := range parts {
		ids = append(ids, p.ID)
	}
	sort.Ints(ids)
	if len(ids) == 0 {
		return nil, fmt.Errorf("kafkalog: topic %s has no partitions", topic)
	}
	// The same balancer the shipper's writer uses (kafka.Hash over the
	// sorted partitions), so the key lands on the same partition.
	part := (&kafka.Hash{}).Balance(kafka.Message{Key: []byte(aggregate)}, ids...)
	lead, err := kafka.DialLeader(ctx, "tcp", brokers[0], topic, part)
	if err != nil {
		return nil, err
	}
	first, last, err := lead.ReadOffsets()
	lead.Close()
	if err != nil {
		return nil, err
	}
	if last <= first {
		return nil, nil
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: part,
		MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	if err := r.SetOffset(first); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []domain.Envelope
	for {
		msg, err := r.FetchMessage(ctx)
		if err != nil {
			return nil, err
		}
		if string(msg.Key) == aggregate {
			env, err := Decode(msg)
			if err != nil {
				return nil, fmt.Errorf("kafkalog: %s/%d@%d: %w", topic, part, msg.Offset, err)
			}
			if !seen[env.ID] {
				seen[env.ID] = true
				out = append(out, env)
			}
		}
		if msg.Offset >= last-1 {
			break
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}
