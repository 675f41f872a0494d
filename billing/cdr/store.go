// Package cdr turns the call events of the log into call detail records.
//
// The Builder folds call:* envelopes into domain.Call aggregates and writes
// each finished call's CDR to a Store together with a checkpoint, so the
// consumer can stop, crash and resume without losing or duplicating a
// record. The store is a projection: it can always be rebuilt from the log
// (see Rebuild).
package cdr

import (
	"context"
	"errors"
	"fmt"
	"time"

	"softswitch/domain"
)

// ErrNotFound is returned by Store.Get for an unknown CDR id.
var ErrNotFound = errors.New("cdr: not found")

// ErrClosed is returned by calls on a closed Store or Builder.
var ErrClosed = errors.New("cdr: closed")

// ErrReadOnly is returned by Put on a store opened read-only.
var ErrReadOnly = errors.New("cdr: store is read-only")

// ErrPoison marks a message that can never be processed (it does not
// decode): retrying cannot help, so Run sends it to the poison queue.
var ErrPoison = errors.New("cdr: poison message")

// ErrInvalidCDR is returned by Put for a record that cannot be stored (no
// id, no call id or no start time); the whole batch is rejected.
var ErrInvalidCDR = errors.New("cdr: invalid record")

// Store holds CDRs and the consumer checkpoint. Implementations: boltstore
// (embedded) and, later, ClickHouse; cdrtest.Run is the suite both pass.
type Store interface {
	// Put upserts cdrs by ID and records checkpoint in the same atomic
	// write: either all of them and the checkpoint are stored, or nothing
	// is. Writing a CDR whose ID exists replaces it, so replay and
	// redelivery leave one record per call. Put does not keep cdrs.
	Put(ctx context.Context, cdrs []domain.CDR, checkpoint uint64) error
	// Checkpoint is the log position the consumer resumes reading from
	// (the `from` of eventstore.Store.Read: the first position not yet
	// fully accounted for). A fresh store returns 0, which reads from the
	// start of the log.
	Checkpoint(ctx context.Context) (uint64, error)
	// Get returns the CDR with id, or ErrNotFound.
	Get(ctx context.Context, id string) (domain.CDR, error)
	// List returns the CDRs matching f, ordered by start time then call id.
	List(ctx context.Context, f Filter) ([]domain.CDR, error)
	// Close releases the store.
	Close() error
}

// Filter selects CDRs for List. Zero fields match everything.
type Filter struct {
	// Since and Until bound the call's start time: Since <= start < Until.
	Since time.Time
	Until time.Time
	// Limit caps the number of records returned; 0 means no cap.
	Limit int
	// Caller, Callee and Disposition match exactly when set.
	Caller      string
	Callee      string
	Disposition string
	// Number matches a record whose caller or callee is exactly it, and
	// Trunk one that left by that trunk (the web console's search).
	Number string
	Trunk  string
}

// Match tells whether r passes f, ignoring Limit. Adapters that cannot push
// a predicate down use it so every store filters the same way.
func (f Filter) Match(r domain.CDR) bool {
	start := r.Start.Time()
	switch {
	case !f.Since.IsZero() && start.Before(f.Since):
		return false
	case !f.Until.IsZero() && !start.Before(f.Until):
		return false
	case f.Caller != "" && r.Caller != f.Caller:
		return false
	case f.Callee != "" && r.Callee != f.Callee:
		return false
	case f.Disposition != "" && r.Disposition != f.Disposition:
		return false
	case f.Number != "" && r.Caller != f.Number && r.Callee != f.Number:
		return false
	case f.Trunk != "" && r.Trunk != f.Trunk:
		return false
	}
	return true
}

// Validate reports whether r can be stored.
func Validate(r domain.CDR) error {
	switch {
	case r.ID == "":
		return fmt.Errorf("%w: empty id (call %q)", ErrInvalidCDR, r.CallID)
	case r.CallID == "":
		return fmt.Errorf("%w: %s: empty call id", ErrInvalidCDR, r.ID)
	case r.Start.Time().IsZero():
		return fmt.Errorf("%w: %s: zero start time", ErrInvalidCDR, r.ID)
	}
	return nil
}
