package eventstore

import (
	"context"

	"softswitch/domain"
)

type envelopeKey struct{}

// ContextWithEnvelope carries the decoded envelope beside a message whose
// payload is its JSON, for an in-process consumer: the journal's watermill
// subscriber has the envelope already, and decoding its own encoding again
// was a tenth of the switch's CPU under call load. The payload stays the
// source of truth for every other transport.
func ContextWithEnvelope(ctx context.Context, env domain.Envelope) context.Context {
	return context.WithValue(ctx, envelopeKey{}, env)
}

// EnvelopeFromContext returns the envelope ContextWithEnvelope put there.
func EnvelopeFromContext(ctx context.Context) (domain.Envelope, bool) {
	env, ok := ctx.Value(envelopeKey{}).(domain.Envelope)
	return env, ok
}
