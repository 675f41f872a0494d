package kafkabus

import (
	"context"
	"sort"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/segmentio/kafka-go"
)

// Header names of the wire format (see doc.go).
const (
	// HeaderUUID carries a generic watermill message's UUID.
	HeaderUUID = "_watermill_message_uuid"
	// HeaderID carries an envelope's ID in records written by the shipper;
	// it is the UUID when HeaderUUID is absent.
	HeaderID = "id"
)

// encode turns msg into a record. The key keeps every message of one
// aggregate in one partition, which is what orders them.
func encode(topic, keyMetadata string, msg *message.Message) kafka.Message {
	key := msg.Metadata.Get(keyMetadata)
	if key == "" {
		key = msg.UUID
	}
	names := make([]string, 0, len(msg.Metadata))
	for k := range msg.Metadata {
		if k != HeaderUUID {
			names = append(names, k)
		}
	}
	// Sorted so the same message always makes the same bytes.
	sort.Strings(names)
	headers := make([]kafka.Header, 0, len(names)+1)
	for _, k := range names {
		headers = append(headers, kafka.Header{Key: k, Value: []byte(msg.Metadata[k])})
	}
	headers = append(headers, kafka.Header{Key: HeaderUUID, Value: []byte(msg.UUID)})
	return kafka.Message{Topic: topic, Key: []byte(key), Value: msg.Payload, Headers: headers}
}

// decode turns a record into a message. The UUID comes from HeaderUUID,
// else HeaderID; every other header becomes metadata.
func decode(rec kafka.Message) *message.Message {
	uuidHeader := HeaderID
	for _, h := range rec.Headers {
		if h.Key == HeaderUUID {
			uuidHeader = HeaderUUID
			break
		}
	}
	var uuid string
	meta := make(message.Metadata, len(rec.Headers))
	for _, h := range rec.Headers {
		if h.Key == uuidHeader {
			uuid = string(h.Value)
			continue
		}
		meta[h.Key] = string(h.Value)
	}
	msg := message.NewMessage(uuid, rec.Value)
	msg.Metadata = meta
	return msg
}

type ctxKey int

const (
	partitionKey ctxKey = iota
	offsetKey
)

// withRecord puts where rec came from into ctx. It is context, not
// metadata, because it describes this delivery, not the message: it would
// be wrong after a republish.
func withRecord(ctx context.Context, rec kafka.Message) context.Context {
	ctx = context.WithValue(ctx, partitionKey, rec.Partition)
	return context.WithValue(ctx, offsetKey, rec.Offset)
}

// PartitionFromCtx returns the partition a received message was read from.
func PartitionFromCtx(ctx context.Context) (int, bool) {
	p, ok := ctx.Value(partitionKey).(int)
	return p, ok
}

// OffsetFromCtx returns the offset of a received message in its partition.
func OffsetFromCtx(ctx context.Context) (int64, bool) {
	o, ok := ctx.Value(offsetKey).(int64)
	return o, ok
}
