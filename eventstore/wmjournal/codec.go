// Package wmjournal exposes an eventstore.Store as a watermill Subscriber,
// and fixes the message encoding every watermill transport of envelopes
// (this one, a later Kafka adapter) shares.
package wmjournal

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"

	"softswitch/domain"
)

// Metadata keys. They duplicate fields of the JSON payload so routers and
// middleware can filter without decoding it.
const (
	MetaType      = "type"
	MetaVersion   = "version"
	MetaAggregate = "aggregate"
	MetaSeq       = "seq"
	MetaNode      = "node"
	MetaPosition  = "position"
)

// ErrBadMessage is returned by FromMessage for a message that does not
// carry an envelope.
var ErrBadMessage = errors.New("wmjournal: message is not an envelope")

// ToMessage encodes env: UUID is env.ID (so redeliveries and duplicates
// are recognisable), payload is the JSON of the whole envelope.
func ToMessage(env domain.Envelope) (*message.Message, error) {
	payload, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("wmjournal: encode envelope %s: %w", env.ID, err)
	}
	msg := message.NewMessage(env.ID, payload)
	msg.Metadata.Set(MetaType, env.Type)
	msg.Metadata.Set(MetaVersion, strconv.Itoa(env.Version))
	msg.Metadata.Set(MetaAggregate, env.Aggregate)
	msg.Metadata.Set(MetaSeq, strconv.FormatUint(env.Seq, 10))
	msg.Metadata.Set(MetaNode, env.Node)
	msg.Metadata.Set(MetaPosition, strconv.FormatUint(env.Position, 10))
	return msg, nil
}

// FromMessage decodes a message made by ToMessage. The payload is the
// source of truth; metadata is not consulted.
func FromMessage(msg *message.Message) (domain.Envelope, error) {
	var env domain.Envelope
	if err := json.Unmarshal(msg.Payload, &env); err != nil {
		return domain.Envelope{}, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	if env.ID == "" || env.ID != msg.UUID {
		return domain.Envelope{}, fmt.Errorf("%w: envelope id %q, message uuid %q", ErrBadMessage, env.ID, msg.UUID)
	}
	return env, nil
}
