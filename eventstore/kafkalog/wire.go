package kafkalog

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"

	"softswitch/domain"
)

// Record header names. They duplicate envelope fields so brokers-side
// tooling and consumers can route or filter without parsing the value; the
// value stays the source of truth.
const (
	HeaderID        = "id"
	HeaderType      = "type"
	HeaderVersion   = "version"
	HeaderAggregate = "aggregate"
	HeaderSeq       = "seq"
	HeaderNode      = "node"
	HeaderTime      = "time"
)

// Encode turns env into one Kafka record: key = aggregate (the partitioner
// keeps an aggregate on one partition, hence in order), value = the JSON of
// the whole envelope, byte for byte what wmjournal.ToMessage carries, and
// the record timestamp = the event time. It fails only if env.Payload is
// not valid JSON.
func Encode(env domain.Envelope) (kafka.Message, error) {
	value, err := json.Marshal(env)
	if err != nil {
		return kafka.Message{}, fmt.Errorf("kafkalog: encode envelope %s: %w", env.ID, err)
	}
	return kafka.Message{
		Key:     []byte(env.Aggregate),
		Value:   value,
		Headers: headers(env),
		Time:    env.Time,
	}, nil
}

func headers(env domain.Envelope) []kafka.Header {
	return []kafka.Header{
		{Key: HeaderID, Value: []byte(env.ID)},
		{Key: HeaderType, Value: []byte(env.Type)},
		{Key: HeaderVersion, Value: strconv.AppendInt(nil, int64(env.Version), 10)},
		{Key: HeaderAggregate, Value: []byte(env.Aggregate)},
		{Key: HeaderSeq, Value: strconv.AppendUint(nil, env.Seq, 10)},
		{Key: HeaderNode, Value: []byte(env.Node)},
		{Key: HeaderTime, Value: env.Time.UTC().AppendFormat(nil, time.RFC3339Nano)},
	}
}

// Decode reads back a record made by Encode. The value is authoritative;
// the id header, when present, must agree with it, which catches a record
// whose value was swapped or mangled on the way.
func Decode(msg kafka.Message) (domain.Envelope, error) {
	var env domain.Envelope
	if err := json.Unmarshal(msg.Value, &env); err != nil {
		return domain.Envelope{}, fmt.Errorf("%w: %v", ErrBadRecord, err)
	}
	if env.ID == "" {
		return domain.Envelope{}, fmt.Errorf("%w: no envelope id", ErrBadRecord)
	}
	for _, h := range msg.Headers {
		if h.Key == HeaderID && string(h.Value) != env.ID {
			return domain.Envelope{}, fmt.Errorf("%w: envelope id %q, header id %q", ErrBadRecord, env.ID, h.Value)
		}
	}
	return env, nil
}

// HeaderError is set on poison records: it says why the record could not
// be delivered as an envelope.
const HeaderError = "error"

// poisonRecord carries an envelope the events topic cannot take (Encode
// refused its payload, or it is larger than a batch) to the poison topic,
// with value as the record value (the raw payload, or nil when too large),
// so the shipper moves on and the envelope's identity is kept. The
// journal's checksums and record limit make this unreachable short of a
// bug in an event's encoder.
func poisonRecord(env domain.Envelope, value []byte, cause error) kafka.Message {
	return kafka.Message{
		Key:     []byte(env.Aggregate),
		Value:   value,
		Headers: append(headers(env), kafka.Header{Key: HeaderError, Value: []byte(cause.Error())}),
		Time:    env.Time,
	}
}
