package kafkabus

import (
	"context"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/segmentio/kafka-go"
)

// source is where a subscription's records come from: a group reader, or
// one reader per partition fanned into a channel.
type source interface {
	fetch(ctx context.Context) (kafka.Message, error)
	// acked is called after the consumer Acked rec.
	acked(ctx context.Context, rec kafka.Message) error
}

type groupSource struct {
	r      *kafka.Reader
	commit bool
}

func (g groupSource) fetch(ctx context.Context) (kafka.Message, error) { return g.r.FetchMessage(ctx) }

func (g groupSource) acked(ctx context.Context, rec kafka.Message) error {
	if !g.commit {
		return nil
	}
	return g.r.CommitMessages(ctx, rec)
}

type partitionSource struct{ recs chan kafka.Message }

func (p partitionSource) fetch(ctx context.Context) (kafka.Message, error) {
	select {
	case rec := <-p.recs:
		return rec, nil
	case <-ctx.Done():
		return kafka.Message{}, ctx.Err()
	}
}

func (partitionSource) acked(context.Context, kafka.Message) error { return nil }

// consume delivers records from src one at a time until ctx ends.
func (s *Subscriber) consume(ctx context.Context, src source, out chan<- *message.Message, log *slog.Logger) {
	for {
		rec, err := src.fetch(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			// A group reader reports join and fetch errors here and keeps
			// retrying underneath; back off so the log is not flooded.
			log.Warn("kafkabus: fetch failed, retrying", "err", err)
			if !sleep(ctx, s.cfg.NackResendSleep) {
				return
			}
			continue
		}
		if !s.deliver(ctx, rec, out, log) {
			return
		}
		if err := src.acked(ctx, rec); err != nil && ctx.Err() == nil {
			// The message was handled; a lost commit only means it is
			// delivered again after a restart or rebalance (at-least-once).
			log.Warn("kafkabus: commit failed", "partition", rec.Partition, "offset", rec.Offset, "err", err)
		}
	}
}

// deliver sends rec and waits for its Ack, redelivering a fresh copy after
// each Nack (a watermill message can be acked or nacked only once). A
// Kafka reader cannot seek back inside a group, so the record is held
// rather than re-read. It reports false when ctx ended first.
func (s *Subscriber) deliver(ctx context.Context, rec kafka.Message, out chan<- *message.Message, log *slog.Logger) bool {
	for {
		msg := decode(rec)
		// Cancelled once the message is settled, as watermill expects.
		msgCtx, cancel := context.WithCancel(withRecord(ctx, rec))
		msg.SetContext(msgCtx)
		select {
		case out <- msg:
		case <-ctx.Done():
			cancel()
			return false
		}
		select {
		case <-msg.Acked():
			cancel()
			return true
		case <-msg.Nacked():
			cancel()
			log.Debug("kafkabus: nacked, redelivering", "partition", rec.Partition, "offset", rec.Offset, "uuid", msg.UUID)
			if !sleep(ctx, s.cfg.NackResendSleep) {
				return false
			}
		case <-ctx.Done():
			cancel()
			return false
		}
	}
}
