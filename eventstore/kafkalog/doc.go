// Package kafkalog ships the local journal to Kafka.
//
// The journal stays the system of record: a call is acknowledged once its
// events are fsynced locally, and the Shipper copies them to Kafka in the
// background, so call setup never waits on a broker. The Shipper keeps its
// progress in a checkpoint file and delivers at least once; consumers
// dedupe by envelope id. docs/kafka.md describes topics, record format and
// guarantees.
//
// kafka-go is imported only here and in eventstore/kafkastore.
package kafkalog
