package kafkabus_test

import (
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"

	"softswitch/eventstore/kafkabus"
)

// suitePartitions is the partition count of the suite's topics: more than
// one, so fan-in across partitions and group assignment are exercised, but
// few, because every topic costs the broker a log per partition and the
// suite makes hundreds of topics.
const suitePartitions = 3

func constructors(partitions int) (tests.PubSubConstructor, tests.ConsumerGroupPubSubConstructor) {
	withGroup := func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
		brokers := brokersOf(t)
		pub := newPublisher(t, brokers, partitions)
		sub := newSubscriber(t, kafkabus.SubscriberConfig{
			Brokers:         brokers,
			ConsumerGroup:   group,
			NackResendSleep: 10 * time.Millisecond,
			CreateTopics:    kafkabus.TopicSpec{Partitions: partitions},
		})
		return pub, sub
	}
	// The plain constructor has no group: every subscriber reads the topic
	// from the start, as an in-memory projection does.
	plain := func(t *testing.T) (message.Publisher, message.Subscriber) { return withGroup(t, "") }
	return plain, withGroup
}

// TestPubSub runs watermill's suite on topics of suitePartitions partitions.
func TestPubSub(t *testing.T) {
	brokersOf(t)
	plain, withGroup := constructors(suitePartitions)
	tests.TestPubSub(t, tests.Features{
		ConsumerGroups: true,
		// A commit can be lost after the Ack (crash, rebalance): consumers
		// dedupe by id.
		ExactlyOnceDelivery: false,
		// Kafka orders per partition, i.e. per key. The suite's messages
		// have no key metadata, so each is keyed by its UUID and spread
		// over the partitions, and the suite's order check (by payload
		// across all messages) cannot hold. Order is checked on a
		// single-partition topic by TestPubSubOrdered, and per key on 12
		// partitions by TestKeyedOrderAcrossPartitions.
		GuaranteedOrder: false,
		Persistent:      true,
		// The plain constructor reads from the start of the topic.
		NewSubscriberReceivesOldMessages: true,
		// Restarting the shared test broker would break every other
		// package's tests running against it.
		RestartServiceCommand: nil,
	}, plain, withGroup)
}

// TestPubSubOrdered runs the suite's order tests on single-partition
// topics, where Kafka's per-partition order is the whole topic's order.
func TestPubSubOrdered(t *testing.T) {
	brokersOf(t)
	plain, _ := constructors(1)
	features := tests.Features{
		ConsumerGroups:                   true,
		GuaranteedOrder:                  true,
		Persistent:                       true,
		NewSubscriberReceivesOldMessages: true,
	}
	for name, fn := range map[string]func(*testing.T, tests.TestContext, tests.PubSubConstructor){
		"PublishSubscribeInOrder": tests.TestPublishSubscribeInOrder,
		"NoAck":                   tests.TestNoAck,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, tests.TestContext{TestID: tests.NewTestID(), Features: features}, plain)
		})
	}
}
