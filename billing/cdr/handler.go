package cdr

import (
	"encoding/json"

	"github.com/ThreeDotsLabs/watermill/message"

	"softswitch/domain"
	"softswitch/eventstore"
)

// Handle is the watermill handler (message.NoPublishHandlerFunc): each
// message's payload is the JSON of one domain.Envelope. The message is
// acked when Handle returns nil, possibly before its CDR is flushed; see
// Builder for why that is safe.
func (b *Builder) Handle(msg *message.Message) error {
	if env, ok := eventstore.EnvelopeFromContext(msg.Context()); ok && env.ID == msg.UUID {
		// From the journal in this process: already decoded.
		return b.Apply(msg.Context(), env)
	}
	var env domain.Envelope
	if err := json.Unmarshal(msg.Payload, &env); err != nil {
		// Redelivering it cannot help, and without a position it cannot
		// hold the checkpoint back: count it, say so, move on.
		b.mu.Lock()
		b.stats.Malformed++
		b.mu.Unlock()
		b.logger.Error("cdr: undecodable message skipped", "message_uuid", msg.UUID, "error", err)
		return nil
	}
	return b.Apply(msg.Context(), env)
}

var _ message.NoPublishHandlerFunc = (*Builder)(nil).Handle
