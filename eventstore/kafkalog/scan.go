package kafkalog

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// scanFetchTimeout bounds one fetch of scanPartition.
const scanFetchTimeout = 30 * time.Second

// scanPartition calls fn for each record of conn's partition at offsets
// [from, last), until fn returns false. It reads whole fetch responses
// straight off the leader connection: a kafka.Reader hands records over
// one by one through a channel, which costs an auditor's check more than
// the check itself (docs/benchmarks.md, "Kafka partition chains").
func scanPartition(ctx context.Context, conn *kafka.Conn, from, last int64, fn func(kafka.Message) bool) error {
	if _, err := conn.Seek(from, kafka.SeekAbsolute); err != nil {
		return err
	}
	for next := from; next < last; {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := conn.SetReadDeadline(time.Now().Add(scanFetchTimeout)); err != nil {
			return err
		}
		batch := conn.ReadBatchWith(kafka.ReadBatchConfig{MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 100 * time.Millisecond})
		more := true
		for more && next < last {
			msg, err := batch.ReadMessage()
			if err != nil {
				break
			}
			next = msg.Offset + 1
			more = fn(msg)
		}
		if err := batch.Close(); err != nil {
			return fmt.Errorf("kafkalog: read at offset %d: %w", next, err)
		}
		if !more {
			return nil
		}
	}
	return nil
}
