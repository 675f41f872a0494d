package kafkalog_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"softswitch/domain"
	"softswitch/eventstore/journal"
	"softswitch/eventstore/kafkalog"
	"softswitch/eventstore/storetest"
)

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func openJournal(t testing.TB, dir string) *journal.Journal {
	t.Helper()
	j, err := journal.Open(context.Background(), dir, journal.Options{NoSync: true}, nil)
	if err != nil {
		t.Fatalf("journal.Open: %v", err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// fill appends n envelopes spread over calls and AORs, each aggregate
// with its own gapless seq; seqs carries the counters across calls.
func fill(t testing.TB, j *journal.Journal, start, n int, seqs map[string]uint64) {
	t.Helper()
	const chunk = 500
	for off := 0; off < n; off += chunk {
		envs := make([]domain.Envelope, 0, chunk)
		for i := off; i < min(n, off+chunk); i++ {
			agg := fmt.Sprintf("call:%d", (start+i)%97)
			if (start+i)%3 == 0 {
				agg = fmt.Sprintf("aor:user%d", (start+i)%13)
			}
			seqs[agg]++
			envs = append(envs, storetest.Envelope(start+i, agg, seqs[agg]))
		}
		if err := j.Append(context.Background(), envs); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
}

// shipper is a Run in the background.
type shipper struct {
	*kafkalog.Shipper
	cancel context.CancelFunc
	done   chan error
}

func startShipper(t testing.TB, j *journal.Journal, cfg kafkalog.Config) *shipper {
	t.Helper()
	s, err := kafkalog.NewShipper(j, cfg, testLogger(t))
	if err != nil {
		t.Fatalf("NewShipper: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sh := &shipper{Shipper: s, cancel: cancel, done: make(chan error, 1)}
	go func() { sh.done <- s.Run(ctx) }()
	t.Cleanup(func() { sh.stop(t) })
	return sh
}

// stop cancels Run and requires it to end promptly and cleanly.
func (s *shipper) stop(t testing.TB) {
	t.Helper()
	if s.done == nil {
		return
	}
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("Run = %v after cancel, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of cancel")
	}
	s.done = nil
}

func (s *shipper) waitShipped(t testing.TB, next uint64) {
	t.Helper()
	// 60 s, or more for a benchmark's large journal at 50k events/s.
	deadline := time.Now().Add(max(60*time.Second, time.Duration(next/50_000)*time.Second))
	for s.Stats().Next < next {
		if time.Now().After(deadline) {
			t.Fatalf("not shipped up to %d in time: %+v", next, s.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readTopic reads every record of topic with one raw reader per
// partition, up to each partition's end at the time of the call.
func readTopic(t testing.TB, brokers []string, topic string) map[int][]kafka.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: tr}
	meta, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil || len(meta.Topics) != 1 || meta.Topics[0].Error != nil {
		t.Fatalf("metadata %s: %v %+v", topic, err, meta)
	}
	var reqs []kafka.OffsetRequest
	for _, p := range meta.Topics[0].Partitions {
		reqs = append(reqs, kafka.LastOffsetOf(p.ID))
	}
	offs, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		t.Fatalf("list offsets %s: %v", topic, err)
	}
	var mu sync.Mutex
	out := map[int][]kafka.Message{}
	var wg sync.WaitGroup
	for _, po := range offs.Topics[topic] {
		if po.Error != nil {
			t.Fatalf("partition %d: %v", po.Partition, po.Error)
		}
		if po.LastOffset == 0 {
			continue
		}
		wg.Go(func() {
			r := kafka.NewReader(kafka.ReaderConfig{
				Brokers: brokers, Topic: topic, Partition: po.Partition,
				MaxBytes: 8 << 20, MaxWait: 100 * time.Millisecond,
			})
			defer r.Close()
			var msgs []kafka.Message
			for {
				m, err := r.ReadMessage(ctx)
				if err != nil {
					t.Errorf("read partition %d: %v", po.Partition, err)
					return
				}
				msgs = append(msgs, m)
				if m.Offset+1 >= po.LastOffset {
					break
				}
			}
			mu.Lock()
			out[po.Partition] = msgs
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// closedAddr returns a local address nothing listens on.
func closedAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
