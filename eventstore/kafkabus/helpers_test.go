package kafkabus_test

import (
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"softswitch/eventstore/kafkabus"
	"softswitch/internal/testenv"
)

const wait = 30 * time.Second

// testLogger shows kafka-go's warnings on stderr: t.Log would panic when
// a reader logs after its test returned.
func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func newPublisher(t testing.TB, brokers []string, partitions int) *kafkabus.Publisher {
	t.Helper()
	pub, err := kafkabus.NewPublisher(kafkabus.PublisherConfig{
		Brokers:      brokers,
		CreateTopics: kafkabus.TopicSpec{Partitions: partitions},
	}, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	return pub
}

func newSubscriber(t testing.TB, cfg kafkabus.SubscriberConfig) *kafkabus.Subscriber {
	t.Helper()
	sub, err := kafkabus.NewSubscriber(cfg, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Close() })
	return sub
}

// receive returns the next message, acked.
func receive(t testing.TB, ch <-chan *message.Message) *message.Message {
	t.Helper()
	select {
	case msg, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		msg.Ack()
		return msg
	case <-time.After(wait):
		t.Fatal("no message")
	}
	return nil
}

func brokersOf(t testing.TB) []string {
	t.Helper()
	return testenv.Kafka(t)
}
