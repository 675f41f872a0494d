// Package eventstore defines the event log the switch appends to and its
// consumers read from. Backends live in subpackages: journal (the embedded
// default) and, later, Kafka. storetest holds the suite every backend passes.
package eventstore

import (
	"context"
	"errors"

	"softswitch/domain"
)

// ErrClosed is returned by calls on a closed store.
var ErrClosed = errors.New("eventstore: closed")

// ErrCorrupt is returned when stored data fails its checksum somewhere other
// than the torn tail that recovery truncates.
var ErrCorrupt = errors.New("eventstore: corrupt record")

// Store is an append-only, totally ordered log of envelopes.
//
// Positions start at 1 and have no gaps. An envelope is acknowledged once
// Append returns nil: from then on it survives a crash of the process.
type Store interface {
	// Append writes envs in order and returns once they are durable. It sets
	// each envelope's Position. Concurrent callers are group-committed.
	Append(ctx context.Context, envs []domain.Envelope) error
	// Read calls fn for every envelope with Position >= from, in order, up to
	// the head at the time of the call. An error from fn stops the read and
	// is returned.
	Read(ctx context.Context, from uint64, fn func(domain.Envelope) error) error
	// Head is the position of the last durable envelope, 0 when empty.
	Head() uint64
	// WaitFor blocks until Head() >= pos or ctx ends.
	WaitFor(ctx context.Context, pos uint64) error
	// Close flushes and releases the store.
	Close() error
}
