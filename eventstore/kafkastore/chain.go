package kafkastore

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/segmentio/kafka-go"

	"softswitch/eventstore/kafkalog"
)

// A store topic has one writer, so its records form one chain
// (kafkalog.HeaderChain): h_i = SHA-256(h_{i-1} || value_i) over every
// record in offset order, h_0 = 32 zero bytes. The writer goroutine owns
// the head; it learns it from the topic's last record at Open and after
// a failed produce, which may or may not have landed.

// writerChain is the writer goroutine's view of the head.
type writerChain struct {
	head  kafkalog.Chain
	known bool
}

// stamp links the records in order after the head and returns the new
// head, leaving the writer's head alone until the produce succeeds.
func (w *writerChain) stamp(records []kafka.Record, values [][]byte) kafkalog.Chain {
	head := w.head
	for i := range records {
		head = kafkalog.Link(head, values[i])
		h := records[i].Headers
		// A fresh slice: the caller's message headers are not ours to grow.
		records[i].Headers = append(h[:len(h):len(h)], kafka.Header{Key: kafkalog.HeaderChain, Value: []byte(head.String())})
	}
	return head
}

// learnTail is how many of the topic's last records learnHead reads to
// find the head.
const learnTail = 256

// learnHead finds the chain head in the topic's last records: the link of
// the last record that follows from its predecessor's link (or from zero
// at offset 0). A record appended by something else, even one carrying a
// copied link, does not follow, so the store never continues a chain from
// a forgery: Verify then reports the forged records alone. Without any
// such pair in the tail (a topic written before chains, or a tail of
// forgeries) it falls back to the last link there, or zero, and says so.
func (s *Store) learnHead(ctx context.Context) error {
	hwm, err := s.endOffset(ctx)
	if err != nil {
		return err
	}
	s.chain = writerChain{known: true}
	if hwm == 0 {
		return nil
	}
	from := max(0, hwm-learnTail)
	recs, err := s.records(ctx, from, hwm)
	if err != nil {
		return err
	}
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		if !r.linked {
			continue
		}
		var prev kafkalog.Chain
		switch {
		case r.offset == 0:
		case i > 0 && recs[i-1].linked && recs[i-1].offset == r.offset-1:
			prev = recs[i-1].link
		default:
			continue
		}
		if kafkalog.Link(prev, r.value) == r.link {
			s.chain.head = r.link
			return nil
		}
	}
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].linked {
			s.chain.head = recs[i].link
			s.logger.Warn("kafkastore: no record in the topic's tail follows its predecessor; continuing from the last link", "offset", recs[i].offset)
			return nil
		}
	}
	s.logger.Warn("kafkastore: the topic's tail has no chain links; the chain starts at zero", "from", from, "to", hwm)
	return nil
}

// tailRecord is what learnHead needs of a record.
type tailRecord struct {
	offset int64
	value  []byte
	link   kafkalog.Chain
	linked bool
}

// records fetches the records at offsets [from, to).
func (s *Store) records(ctx context.Context, from, to int64) ([]tailRecord, error) {
	var out []tailRecord
	err := s.scanRecords(ctx, from, to, func(rec *kafka.Record, value []byte) error {
		t := tailRecord{offset: rec.Offset, value: value}
		if h, ok := kafkalog.ChainHeader(rec.Headers); ok {
			var err error
			t.link, err = kafkalog.ParseChain(h)
			t.linked = err == nil
		}
		out = append(out, t)
		return nil
	})
	return out, err
}

// scanRecords calls fn for each record at offsets [from, to), with its
// value read, fetching FetchBytes at a time.
func (s *Store) scanRecords(ctx context.Context, from, to int64, fn func(rec *kafka.Record, value []byte) error) error {
	for next := from; next < to; {
		res, err := s.client.Fetch(ctx, &kafka.FetchRequest{
			Topic: s.cfg.Topic, Partition: partition, Offset: next,
			MinBytes: 1, MaxBytes: int64(s.cfg.FetchBytes), MaxWait: fetchWait,
		})
		if err == nil {
			err = res.Error
		}
		if err != nil {
			return fmt.Errorf("kafkastore: fetch %s at %d: %w", s.cfg.Topic, next, err)
		}
		start := next
		for next < to {
			rec, err := res.Records.ReadRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("kafkastore: fetch %s at %d: %w", s.cfg.Topic, next, err)
			}
			if rec.Offset < next {
				continue // a fetch starts at the batch holding next
			}
			value, err := kafka.ReadAll(rec.Value)
			if err != nil {
				return err
			}
			if err := fn(rec, value); err != nil {
				return err
			}
			next = rec.Offset + 1
		}
		if next == start {
			return fmt.Errorf("kafkastore: fetch %s at %d returned nothing below %d", s.cfg.Topic, next, to)
		}
	}
	return nil
}
