package kafkastore_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

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
