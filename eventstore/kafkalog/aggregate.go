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

// SinceSkew is how far before since ReadAggregate starts, for a since
// taken from a CDR or a listing rounded to the second. Record timestamps
// are the event times of the node that handled the call, and every event
// of a call is stamped by that node's clock at or after the call's start.
const SinceSkew = 5 * time.Second

// afterEnd is how long past a call's call.ended event (in record time) its
// aggregate can still get events: a SIP transaction of the call that was
// still open is recorded when it completes, and no non-INVITE client
// transaction outlives Timer F, 64*T1 = 32 s (RFC 3261 §17.1.2.2). A
// bounded read past the end, plus SinceSkew for clock differences
// between the nodes sharing the partition, is what lets ReadAggregate
// stop before the partition's end.
const afterEnd = 32*time.Second + SinceSkew

// ReadAggregate returns every envelope of one aggregate ("call:<id>") from
// the events topic, for an auditor's replay from Kafka: it reads only the
// partition the shipper's key hash put the aggregate on, to the
// partition's end at the time of the call, and keeps the aggregate's
// envelopes in seq order, a redelivered duplicate once. It stops early
// once records are stamped more than afterEnd past the call's call.ended
// event. With since zero
// it reads the partition from its start, which costs time linear in the
// partition (docs/benchmarks.md); otherwise from the first record stamped
// at or after since minus SinceSkew (Kafka's offset-for-time lookup,
// records being stamped with their event time), so a caller that knows
// when the call started (a CDR, calls search) reads minutes, not the log.
func ReadAggregate(ctx context.Context, brokers []string, topic, aggregate string, since time.Time) ([]domain.Envelope, error) {
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
	defer lead.Close()
	first, last, err := lead.ReadOffsets()
	if err == nil && !since.IsZero() {
		var at int64
		at, err = lead.ReadOffset(since.Add(-SinceSkew))
		switch {
		case err != nil:
		case at < 0:
			// No record that late: nothing of the call is on the topic.
			first = last
		default:
			first = max(first, at)
		}
	}
	if err != nil || last <= first {
		return nil, err
	}
	seen := map[string]bool{}
	var out []domain.Envelope
	var stopAfter time.Time
	var decodeErr error
	err = scanPartition(ctx, lead, first, last, func(msg kafka.Message) bool {
		if string(msg.Key) != aggregate {
			return stopAfter.IsZero() || !msg.Time.After(stopAfter)
		}
		env, err := Decode(msg)
		if err != nil {
			decodeErr = fmt.Errorf("kafkalog: %s/%d@%d: %w", topic, part, msg.Offset, err)
			return false
		}
		if !seen[env.ID] {
			seen[env.ID] = true
			out = append(out, env)
		}
		if env.Type == domain.TypeCallEnded {
			stopAfter = env.Time.Add(afterEnd)
		}
		return true
	})
	if err == nil {
		err = decodeErr
	}
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}
