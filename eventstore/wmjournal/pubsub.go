package wmjournal

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"softswitch/domain"
	"softswitch/eventstore"
)

// TransportType is the envelope type of a generic watermill message carried
// by PubSub. It is a transport envelope, not a domain event: domain.Decode
// does not know it, and nothing but PubSub should read its payload.
const TransportType = "watermill.message"

// transportPayload is the payload of a TransportType envelope.
type transportPayload struct {
	Metadata map[string]string `json:"metadata"`
	Payload  []byte            `json:"payload"`
}

// PubSub carries generic watermill messages over embedded stores, one
// store per topic, opened on first use by the factory and shared by every
// Publisher and Subscriber made from this PubSub. Consumer groups are not
// supported: every subscription reads its topic from the beginning.
type PubSub struct {
	open   func(topic string) (eventstore.Store, error)
	cfg    Config
	logger watermill.LoggerAdapter

	mu     sync.Mutex
	stores map[string]eventstore.Store
	closed bool
}

// NewPubSub returns a PubSub whose topics are opened by open (typically a
// journal in a subdirectory named after the topic). cfg configures every
// subscription; its StartFrom is ignored, since topics are read from the
// beginning. A nil logger discards.
func NewPubSub(open func(topic string) (eventstore.Store, error), cfg Config, logger watermill.LoggerAdapter) (*PubSub, error) {
	cfg.StartFrom = nil
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if open == nil {
		return nil, fmt.Errorf("%w: nil store factory", ErrInvalidConfig)
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	return &PubSub{open: open, cfg: cfg, logger: logger, stores: map[string]eventstore.Store{}}, nil
}

// Publisher returns a Publisher on ps. Closing it leaves the stores open.
func (ps *PubSub) Publisher() *TopicPublisher { return &TopicPublisher{ps: ps} }

// Subscriber returns a Subscriber on ps. Closing it leaves the stores open.
func (ps *PubSub) Subscriber() *TopicSubscriber {
	return &TopicSubscriber{ps: ps}
}

// Close closes every store opened so far. Publishers and Subscribers made
// from ps should be closed first.
func (ps *PubSub) Close() error {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.closed {
		return nil
	}
	ps.closed = true
	var first error
	for topic, st := range ps.stores {
		if err := st.Close(); err != nil && first == nil {
			first = fmt.Errorf("wmjournal: close topic %s: %w", topic, err)
		}
	}
	return first
}

// store returns topic's store, opening it on first use.
func (ps *PubSub) store(topic string) (eventstore.Store, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.closed {
		return nil, ErrClosed
	}
	if st, ok := ps.stores[topic]; ok {
		return st, nil
	}
	st, err := ps.open(topic)
	if err != nil {
		return nil, fmt.Errorf("wmjournal: open topic %s: %w", topic, err)
	}
	ps.stores[topic] = st
	return st, nil
}

// wrap puts msg into a transport envelope on topic.
func wrap(topic string, msg *message.Message, now time.Time) (domain.Envelope, error) {
	if msg.UUID == "" {
		return domain.Envelope{}, fmt.Errorf("%w: message without UUID", ErrBadMessage)
	}
	payload, err := json.Marshal(transportPayload{Metadata: msg.Metadata, Payload: msg.Payload})
	if err != nil {
		return domain.Envelope{}, fmt.Errorf("wmjournal: encode message %s: %w", msg.UUID, err)
	}
	return domain.Envelope{
		ID: msg.UUID, Type: TransportType, Version: 1,
		Aggregate: "topic:" + topic, Time: now.UTC(), Payload: payload,
	}, nil
}

// unwrap turns a transport envelope back into the message it carries.
func unwrap(env domain.Envelope) (*message.Message, error) {
	if env.Type != TransportType || env.Version != 1 {
		return nil, fmt.Errorf("%w: type %s v%d is not a transport envelope", ErrBadMessage, env.Type, env.Version)
	}
	var p transportPayload
	if err := json.Unmarshal(env.Payload, &p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	msg := message.NewMessage(env.ID, p.Payload)
	if p.Metadata != nil {
		msg.Metadata = p.Metadata
	}
	return msg, nil
}
