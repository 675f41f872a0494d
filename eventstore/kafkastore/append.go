package kafkastore

import (
	"context"
	"errors"
	"fmt"

	"github.com/segmentio/kafka-go"

	"softswitch/domain"
	"softswitch/eventstore"
	"softswitch/eventstore/kafkalog"
)

// appendReq is one Append waiting for its group commit.
type appendReq struct {
	msgs  []kafka.Message
	bytes int
	done  chan appendResult
}

type appendResult struct {
	first uint64
	err   error
}

// Append encodes envs on the caller's goroutine, queues them for the
// writer and waits for the produce request that carries them. All of one
// Append's records travel in one record batch, which Kafka stores at
// contiguous offsets: that is what makes its positions contiguous. Once
// queued the wait ignores ctx, as the journal's does: returning early
// would leave the caller unsure whether its events were written.
func (s *Store) Append(ctx context.Context, envs []domain.Envelope) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(envs) == 0 {
		return nil
	}
	r := &appendReq{msgs: make([]kafka.Message, len(envs)), done: make(chan appendResult, 1)}
	for i, env := range envs {
		// The offset is the position; a position in the value could only
		// disagree with it.
		env.Position = 0
		msg, err := kafkalog.Encode(env)
		if err != nil {
			return fmt.Errorf("kafkastore: %w", err)
		}
		r.msgs[i] = msg
		r.bytes += len(msg.Key) + len(msg.Value) + 64
	}
	select {
	case s.reqs <- r:
	case <-s.closing:
		return eventstore.ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	res := <-r.done
	if res.err != nil {
		return res.err
	}
	for i := range envs {
		envs[i].Position = res.first + uint64(i)
	}
	return nil
}

func (s *Store) run() {
	defer close(s.writerDone)
	var batch []*appendReq
	for {
		select {
		case r := <-s.reqs:
			batch = s.collect(append(batch[:0], r))
			s.commit(batch)
			clear(batch)
		case <-s.closing:
			return
		}
	}
}

// collect adds the Appends already queued, up to MaxBatchBytes. It never
// waits: under load Appends queue while the previous request is in
// flight, which is all the batching group commit needs.
func (s *Store) collect(batch []*appendReq) []*appendReq {
	size := batch[0].bytes
	for size < s.cfg.MaxBatchBytes {
		select {
		case r := <-s.reqs:
			batch = append(batch, r)
			size += r.bytes
		default:
			return batch
		}
	}
	return batch
}

// commit produces a batch as one record batch with acks=all and hands
// every caller its first position.
func (s *Store) commit(batch []*appendReq) {
	var records []kafka.Record
	var values [][]byte
	for _, r := range batch {
		for _, m := range r.msgs {
			records = append(records, kafka.Record{
				Time: m.Time, Key: kafka.NewBytes(m.Key), Value: kafka.NewBytes(m.Value), Headers: m.Headers,
			})
			values = append(values, m.Value)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	defer cancel()
	if !s.chain.known {
		// A failed produce left the head unknown: linking to a guess would
		// break the chain for good.
		if err := s.learnHead(ctx); err != nil {
			err = fmt.Errorf("kafkastore: chain head of %s: %w", s.cfg.Topic, err)
			for _, r := range batch {
				r.done <- appendResult{err: err}
			}
			return
		}
	}
	head := s.chain.stamp(records, values)
	res, err := s.client.Produce(ctx, &kafka.ProduceRequest{
		Topic:        s.cfg.Topic,
		Partition:    partition,
		RequiredAcks: kafka.RequireAll,
		Records:      kafka.NewRecordReader(records...),
		Compression:  s.cfg.Compression,
	})
	if err == nil && res.Error != nil {
		err = res.Error
	}
	if err == nil && res.BaseOffset < int64(s.head.Load()) {
		// Offsets never go back; this would mean positions are being
		// handed out twice.
		err = fmt.Errorf("base offset %d below head %d", res.BaseOffset, s.head.Load())
	}
	if err != nil {
		err = fmt.Errorf("kafkastore: produce to %s: %w", s.cfg.Topic, err)
		s.logger.Warn("kafkastore: append failed", "records", len(records), "err", err)
		s.chain.known = false
		s.resync()
		for _, r := range batch {
			r.done <- appendResult{err: err}
		}
		return
	}
	s.chain.head = head
	first := uint64(res.BaseOffset) + 1
	s.advance(first + uint64(len(records)) - 1)
	for _, r := range batch {
		r.done <- appendResult{first: first}
		first += uint64(len(r.msgs))
	}
}

// resync re-reads the end after a failed produce: a request that timed
// out may still have been written, and Head must not lag behind records
// Read can see.
func (s *Store) resync() {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	defer cancel()
	hwm, err := s.endOffset(ctx)
	if err != nil {
		if !errors.Is(err, context.DeadlineExceeded) {
			s.logger.Debug("kafkastore: resync", "err", err)
		}
		return
	}
	s.advance(uint64(hwm))
}
