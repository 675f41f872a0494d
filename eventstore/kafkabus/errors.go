package kafkabus

import "errors"

// ErrInvalidConfig is wrapped by the Validate methods.
var ErrInvalidConfig = errors.New("kafkabus: invalid config")

// ErrClosed is returned by calls on a closed Publisher or Subscriber.
var ErrClosed = errors.New("kafkabus: closed")

// ErrNoConsumerGroup is returned by Commit on a Subscriber without a
// consumer group: without a group there is nowhere to store offsets.
var ErrNoConsumerGroup = errors.New("kafkabus: no consumer group")

// ErrNotSubscribed is returned by Commit for a topic this Subscriber has no
// live subscription to: Kafka accepts a commit only from a group member.
var ErrNotSubscribed = errors.New("kafkabus: not subscribed to topic")

// ErrTopicNotFound is returned when a topic does not exist on the brokers.
var ErrTopicNotFound = errors.New("kafkabus: topic not found")
