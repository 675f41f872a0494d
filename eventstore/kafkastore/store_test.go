package kafkastore_test

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/eventstore"
	"softswitch/eventstore/kafkalog"
	"softswitch/eventstore/kafkastore"
	"softswitch/eventstore/storetest"
	"softswitch/internal/testenv"

	"github.com/segmentio/kafka-go"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func TestStoreSuite(t *testing.T) {
	brokers := testenv.Kafka(t)
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		topic := testenv.Unique("kafkastore-test-")
		return func(t *testing.T) eventstore.Store {
			s, err := kafkastore.Open(t.Context(), kafkastore.Config{Brokers: brokers, Topic: topic}, testLogger(t))
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return s
		}
	})
}

func TestOpenRefusesPartitionedTopic(t *testing.T) {
	brokers := testenv.Kafka(t)
	topic := testenv.Unique("kafkastore-test-")
	if err := kafkalog.CreateTopics(t.Context(), brokers, kafka.TopicConfig{Topic: topic, NumPartitions: 3, ReplicationFactor: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := kafkastore.Open(t.Context(), kafkastore.Config{Brokers: brokers, Topic: topic}, testLogger(t))
	if !errors.Is(err, kafkastore.ErrNotSinglePartition) {
		t.Fatalf("Open on a 3-partition topic = %v, want ErrNotSinglePartition", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   kafkastore.Config
		field string
	}{
		{"Brokers", kafkastore.Config{Topic: "t"}, "Brokers"},
		{"Topic", kafkastore.Config{Brokers: []string{"x:1"}}, "Topic"},
		{"Replication", kafkastore.Config{Brokers: []string{"x:1"}, Topic: "t", Replication: -1}, "Replication"},
		{"MaxBatchBytes", kafkastore.Config{Brokers: []string{"x:1"}, Topic: "t", MaxBatchBytes: 5}, "MaxBatchBytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := kafkastore.Open(t.Context(), tc.cfg, nil)
			if !errors.Is(err, kafkastore.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("Open = %v, want ErrInvalidConfig naming %s", err, tc.field)
			}
		})
	}
}

// TestStoreChain: a store topic's records form one chain across reopens;
// records written into it by something else break it where they sit.
func TestStoreChain(t *testing.T) {
	brokers := testenv.Kafka(t)
	cfg := kafkastore.Config{Brokers: brokers, Topic: testenv.Unique("kafkastore-test-")}
	open := func() *kafkastore.Store {
		s, err := kafkastore.Open(t.Context(), cfg, testLogger(t))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	appendN := func(s *kafkastore.Store, from, n int) {
		var envs []domain.Envelope
		for i := from; i < from+n; i++ {
			envs = append(envs, storetest.Envelope(i, "call:chain", uint64(i+1)))
		}
		if err := s.Append(t.Context(), envs); err != nil {
			t.Fatal(err)
		}
	}
	s := open()
	appendN(s, 0, 5)
	appendN(s, 5, 7)
	s.Close()
	s = open() // the head is learnt from the topic's last record
	appendN(s, 12, 3)
	res, err := s.VerifyChain(t.Context())
	if err != nil || !res.OK() || res.Linked != 15 {
		t.Fatalf("VerifyChain = %+v, %v; want 15 linked", res, err)
	}

	// Something else writes: a record without a link, then a changed
	// copy of offset 3 under offset 3's link.
	var orig []kafka.Message
	err = s.Read(t.Context(), 4, func(env domain.Envelope) error {
		orig = append(orig, kafka.Message{Value: []byte(env.ID)})
		return errStop
	})
	if !errors.Is(err, errStop) || len(orig) != 1 {
		t.Fatalf("read position 4: %v", err)
	}
	link := headerAt(t, brokers, cfg.Topic, 3, kafkalog.HeaderChain)
	forged := fmt.Appendf(nil, `{"id":%q,"type":"call.answered","node":"node-a","payload":{"forged":true}}`, orig[0].Value)
	produce(t, brokers, cfg.Topic,
		kafka.Record{Value: kafka.NewBytes([]byte(`{"id":"by-hand"}`))},
		kafka.Record{Value: kafka.NewBytes(forged), Headers: []kafka.Header{{Key: kafkalog.HeaderChain, Value: link}}})
	s.Close()
	s = open()
	appendN(s, 15, 2)
	res, err = s.VerifyChain(t.Context())
	if err != nil || res.OK() || len(res.Breaks) != 2 || res.Linked != 17 ||
		!strings.HasPrefix(res.Breaks[0], "0@15 by-hand: no chain header") ||
		!strings.Contains(res.Breaks[1], "0@16 ") || !strings.Contains(res.Breaks[1], "the value differs") {
		t.Fatalf("VerifyChain after tampering = %+v, %v; want breaks at offsets 15 and 16 only", res, err)
	}
}

var errStop = errors.New("stop")

func headerAt(t *testing.T, brokers []string, topic string, off int64, key string) []byte {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: 0, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	if err := r.SetOffset(off); err != nil {
		t.Fatal(err)
	}
	msg, err := r.FetchMessage(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range msg.Headers {
		if h.Key == key {
			return h.Value
		}
	}
	t.Fatalf("offset %d has no %s header", off, key)
	return nil
}

func produce(t *testing.T, brokers []string, topic string, records ...kafka.Record) {
	t.Helper()
	c := &kafka.Client{Addr: kafka.TCP(brokers...)}
	res, err := c.Produce(t.Context(), &kafka.ProduceRequest{Topic: topic, Partition: 0, RequiredAcks: kafka.RequireAll,
		Records: kafka.NewRecordReader(records...)})
	if err == nil {
		err = res.Error
	}
	if err != nil {
		t.Fatalf("produce: %v", err)
	}
}
