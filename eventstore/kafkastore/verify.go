package kafkastore

import (
	"context"
	"fmt"

	"github.com/segmentio/kafka-go"

	"softswitch/eventstore/kafkalog"
)

// VerifyChain reads the topic from its first record to the head at the
// time of the call and checks its chain: a record changed, deleted,
// reordered or written by anything but a Store is a break
// (kafkalog.ChainCheck). It only reads, so it runs beside the writer.
func (s *Store) VerifyChain(ctx context.Context) (kafkalog.ChainCheck, error) {
	res, err := s.client.ListOffsets(ctx, &kafka.ListOffsetsRequest{
		Topics: map[string][]kafka.OffsetRequest{s.cfg.Topic: {kafka.FirstOffsetOf(partition)}},
	})
	if err != nil {
		return kafkalog.ChainCheck{}, fmt.Errorf("kafkastore: first offset of %s: %w", s.cfg.Topic, err)
	}
	first := int64(0)
	for _, p := range res.Topics[s.cfg.Topic] {
		if p.Partition == partition {
			if p.Error != nil {
				return kafkalog.ChainCheck{}, fmt.Errorf("kafkastore: first offset of %s: %w", s.cfg.Topic, p.Error)
			}
			first = p.FirstOffset
		}
	}
	end := int64(s.head.Load())
	check := kafkalog.NewChainChecker(partition, first)
	err = s.scanRecords(ctx, first, end, func(rec *kafka.Record, value []byte) error {
		msg := kafka.Message{Offset: rec.Offset, Value: value, Headers: rec.Headers}
		id := ""
		if env, err := kafkalog.Decode(msg); err == nil {
			id = env.ID
		}
		// One writer: the store's chain runs over every record.
		check.Add(msg, s.cfg.Topic, id)
		return nil
	})
	return check.Result(), err
}
