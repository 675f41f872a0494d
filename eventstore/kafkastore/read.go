package kafkastore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/segmentio/kafka-go"

	"softswitch/domain"
	"softswitch/eventstore"
	"softswitch/eventstore/kafkalog"
)

// fetchWait bounds how long the broker holds a fetch. Read only asks for
// offsets below the high-water mark, so it should never have to wait.
const fetchWait = 500 * time.Millisecond

// Read calls fn for every envelope from position from up to the head at
// the time of the call, fetching FetchBytes at a time.
func (s *Store) Read(ctx context.Context, from uint64, fn func(domain.Envelope) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.isClosed() {
		return eventstore.ErrClosed
	}
	if from == 0 {
		from = 1
	}
	head := s.head.Load()
	for next := int64(from - 1); next < int64(head); {
		got, err := s.fetch(ctx, next, int64(head), fn)
		if err != nil {
			if s.isClosed() {
				return eventstore.ErrClosed
			}
			return err
		}
		next = got
	}
	return nil
}

// fetch delivers records from offset next below end and returns the
// offset after the last one delivered.
func (s *Store) fetch(ctx context.Context, next, end int64, fn func(domain.Envelope) error) (int64, error) {
	res, err := s.client.Fetch(ctx, &kafka.FetchRequest{
		Topic: s.cfg.Topic, Partition: partition, Offset: next,
		MinBytes: 1, MaxBytes: int64(s.cfg.FetchBytes), MaxWait: fetchWait,
	})
	if err != nil {
		return next, fmt.Errorf("kafkastore: fetch %s at %d: %w", s.cfg.Topic, next, err)
	}
	if res.Error != nil {
		return next, fmt.Errorf("kafkastore: fetch %s at %d: %w", s.cfg.Topic, next, res.Error)
	}
	// kafka-go buffers the whole response; its records need no closing.
	start := next
	for next < end {
		rec, err := res.Records.ReadRecord()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return next, fmt.Errorf("kafkastore: fetch %s at %d: %w", s.cfg.Topic, next, err)
		}
		if rec.Offset < next {
			continue // a fetch starts at the batch holding next
		}
		if rec.Offset != next {
			return next, fmt.Errorf("%w: %s offset %d where %d was expected", eventstore.ErrCorrupt, s.cfg.Topic, rec.Offset, next)
		}
		env, err := decode(rec)
		if err != nil {
			return next, fmt.Errorf("%w: %s offset %d: %v", eventstore.ErrCorrupt, s.cfg.Topic, rec.Offset, err)
		}
		if err := ctx.Err(); err != nil {
			return next, err
		}
		if err := fn(env); err != nil {
			return next, err
		}
		next++
	}
	if next == start {
		return next, fmt.Errorf("kafkastore: fetch %s at %d returned nothing below the head %d", s.cfg.Topic, next, end)
	}
	return next, nil
}

func decode(rec *kafka.Record) (domain.Envelope, error) {
	value, err := kafka.ReadAll(rec.Value)
	if err != nil {
		return domain.Envelope{}, err
	}
	env, err := kafkalog.Decode(kafka.Message{Value: value, Headers: rec.Headers})
	if err != nil {
		return domain.Envelope{}, err
	}
	env.Position = uint64(rec.Offset) + 1
	return env, nil
}
