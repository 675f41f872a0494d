package kafkabus_test

import (
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"softswitch/eventstore/kafkabus"
	"softswitch/internal/testenv"
)

// TestKeyedOrderAcrossPartitions publishes interleaved keys to a
// 12-partition topic and checks each key's messages arrive in order, with
// partition and offset in the message context.
func TestKeyedOrderAcrossPartitions(t *testing.T) {
	tests := []struct {
		name  string
		group string
	}{
		{"NoGroup", ""},
		{"Group", testenv.Unique("kafkabus-order-")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			brokers := brokersOf(t)
			topic := testenv.Unique("kafkabus-order-")
			pub := newPublisher(t, brokers, 12)
			const keys, perKey = 8, 25
			var msgs []*message.Message
			for i := range perKey {
				for k := range keys {
					msg := message.NewMessage(testenv.Unique("m-"), []byte{byte(i)})
					msg.Metadata.Set("aggregate", string(rune('a'+k)))
					msgs = append(msgs, msg)
				}
			}
			if err := pub.Publish(topic, msgs...); err != nil {
				t.Fatal(err)
			}
			sub := newSubscriber(t, kafkabus.SubscriberConfig{Brokers: brokers, ConsumerGroup: tc.group})
			ch, err := sub.Subscribe(t.Context(), topic)
			if err != nil {
				t.Fatal(err)
			}
			next := map[string]byte{}
			for range len(msgs) {
				msg := receive(t, ch)
				key := msg.Metadata.Get("aggregate")
				if got := msg.Payload[0]; got != next[key] {
					t.Fatalf("key %s: got #%d, want #%d", key, got, next[key])
				}
				next[key]++
				if _, ok := kafkabus.PartitionFromCtx(msg.Context()); !ok {
					t.Fatal("no partition in context")
				}
				if _, ok := kafkabus.OffsetFromCtx(msg.Context()); !ok {
					t.Fatal("no offset in context")
				}
			}
		})
	}
}
