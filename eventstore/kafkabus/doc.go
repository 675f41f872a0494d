// Package kafkabus is the Kafka adapter of the event bus: a watermill
// Publisher and Subscriber over github.com/segmentio/kafka-go. It is the
// only package besides other adapters that imports kafka-go.
//
// # Wire format
//
// A domain envelope record (written by the journal shipper, or by
// publishing a wmjournal.ToMessage message here) has:
//
//	Key     the envelope's aggregate, "call:<id>", "aor:<user>"
//	Value   the JSON of the whole envelope (wmjournal.ToMessage's payload)
//	Headers id, type, version, aggregate, seq, node, time
//
// A generic watermill message is written as Value = payload, one header per
// metadata entry, and header _watermill_message_uuid = the message UUID.
// Its key is the value of PublisherConfig.KeyMetadata ("aggregate" by
// default) when set, else the UUID; so envelopes are keyed by aggregate.
// Partitions are chosen by kafka.Hash (FNV-1a of the key); writers that
// must put a key in the same partition (the shipper) use the same balancer.
//
// A received message's UUID is header _watermill_message_uuid, else header
// id; every other header is metadata; the payload is the value. The
// partition and offset it was read from are in its context
// (PartitionFromCtx, OffsetFromCtx), not in metadata, because they describe
// the delivery, not the message.
//
// # Delivery
//
// Publish returns after the broker has acknowledged every message with
// acks=all. Each subscription hands out one message at a time and waits for
// its Ack or Nack; a Nacked message is held and redelivered after
// NackResendSleep (a group reader cannot seek back). Order is kept within a
// partition, i.e. per key.
//
// With a ConsumerGroup the group's members share the topic's partitions
// (the classic group protocol, client-side assignment) and each Ack
// commits the message's offset before the next message is fetched, unless
// ManualCommit is set and the consumer calls Commit with the first offset
// it has not made durable. Without a group every Subscribe reads every
// partition from its first offset and commits nothing: for in-memory
// projections rebuilt on each start.
//
// Delivery is at-least-once: a commit lost to a crash or a rebalance
// redelivers messages already handled. Consumers dedupe by envelope id
// (or CDR id).
//
// # Kafka 4.x
//
// kafka-go v0.4.51 works against Kafka 4.3.1 with the classic group
// protocol, with no special setting. Kafka 4 dropped old API versions
// (KIP-896); the broker's minimums and what kafka-go sends are:
//
//	OffsetCommit  min 2   kafka-go sends v2 (consumer-group commits)
//	OffsetFetch   min 1   kafka-go sends v1 (committed offsets on join)
//	ListOffsets   min 1   kafka-go sends v1 (first/last offset of a partition)
//	Fetch         min 4   kafka-go negotiates v10
//	JoinGroup     min 0   kafka-go negotiates v2 (v0.4.47 sent v1, which 4.0.0 refused)
//	CreateTopics  min 2   Client.CreateTopics and Conn.CreateTopics both negotiate v2+
//
// Three of those sit exactly at the broker's minimum, so a later Kafka that
// raises them breaks kafka-go's group reader; TestPubSub's consumer-group
// tests are the canary. The new consumer protocol (KIP-848) is not used.
package kafkabus
