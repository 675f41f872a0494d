package kafkabus

import (
	"errors"
	"testing"
	"time"
)

func TestSubscriberConfigValidate(t *testing.T) {
	brokers := []string{"127.0.0.1:9092"}
	tests := []struct {
		name string
		cfg  SubscriberConfig
		ok   bool
	}{
		{"Defaults", SubscriberConfig{Brokers: brokers}, true},
		{"Group", SubscriberConfig{Brokers: brokers, ConsumerGroup: "g", ManualCommit: true}, true},
		{"NoBrokers", SubscriberConfig{}, false},
		{"ManualCommitWithoutGroup", SubscriberConfig{Brokers: brokers, ManualCommit: true}, false},
		{"NegativeSleep", SubscriberConfig{Brokers: brokers, NackResendSleep: -time.Second}, false},
		{"MinOverMax", SubscriberConfig{Brokers: brokers, MinBytes: 10, MaxBytes: 5}, false},
		{"HeartbeatOverSession", SubscriberConfig{Brokers: brokers, ConsumerGroup: "g", HeartbeatInterval: 10 * time.Second, SessionTimeout: 6 * time.Second}, false},
		{"NegativePartitions", SubscriberConfig{Brokers: brokers, CreateTopics: TopicSpec{Partitions: -1}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSubscriber(tc.cfg, nil)
			if tc.ok && err != nil {
				t.Fatalf("NewSubscriber = %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("NewSubscriber = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestPublisherConfigValidate(t *testing.T) {
	brokers := []string{"127.0.0.1:9092"}
	tests := []struct {
		name string
		cfg  PublisherConfig
		ok   bool
	}{
		{"Defaults", PublisherConfig{Brokers: brokers}, true},
		{"CreateTopics", PublisherConfig{Brokers: brokers, CreateTopics: TopicSpec{Partitions: 3}}, true},
		{"NoBrokers", PublisherConfig{}, false},
		{"NegativeBatchTimeout", PublisherConfig{Brokers: brokers, BatchTimeout: -1}, false},
		{"NegativeReplication", PublisherConfig{Brokers: brokers, CreateTopics: TopicSpec{Partitions: 1, ReplicationFactor: -1}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPublisher(tc.cfg, nil)
			if tc.ok {
				if err != nil {
					t.Fatalf("NewPublisher = %v", err)
				}
				if err := p.Close(); err != nil {
					t.Fatal(err)
				}
				if err := p.Close(); err != nil {
					t.Fatalf("second Close = %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("NewPublisher = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestCommitErrors(t *testing.T) {
	noGroup, err := NewSubscriber(SubscriberConfig{Brokers: []string{"127.0.0.1:1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer noGroup.Close()
	if err := noGroup.Commit(t.Context(), "t", 0, 1); !errors.Is(err, ErrNoConsumerGroup) {
		t.Fatalf("Commit without group = %v", err)
	}
	group, err := NewSubscriber(SubscriberConfig{Brokers: []string{"127.0.0.1:1"}, ConsumerGroup: "g"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer group.Close()
	if err := group.Commit(t.Context(), "t", 0, 1); !errors.Is(err, ErrNotSubscribed) {
		t.Fatalf("Commit without subscription = %v", err)
	}
	if err := group.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := group.Subscribe(t.Context(), "t"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Subscribe after Close = %v", err)
	}
}
