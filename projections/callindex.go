package projections

import (
	"strings"
	"sync"

	"softswitch/domain"
)

// CallIndex maps a call id to the log positions of its events, so an
// auditor's replay reads a handful of records instead of scanning the log
// (the journal seeks to a position through its sparse offset index). It
// holds every call the node's log has: about 8 bytes per call event, so a
// log of 10M events costs some 80 MB; a node that keeps years of journal
// should move it to disk.
type CallIndex struct {
	mu    sync.RWMutex
	calls map[string][]uint64
}

// NewCallIndex returns an empty index.
func NewCallIndex() *CallIndex { return &CallIndex{calls: map[string][]uint64{}} }

// Apply implements Projection.
func (x *CallIndex) Apply(env domain.Envelope, _ domain.Event) error {
	id, ok := strings.CutPrefix(env.Aggregate, "call:")
	if !ok || env.Position == 0 {
		return nil
	}
	x.mu.Lock()
	ps := x.calls[id]
	// A redelivered or re-applied position is not indexed twice.
	if n := len(ps); n == 0 || ps[n-1] < env.Position {
		x.calls[id] = append(ps, env.Position)
	}
	x.mu.Unlock()
	return nil
}

// Positions returns the positions of the call's events in log order.
func (x *CallIndex) Positions(callID string) []uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return append([]uint64(nil), x.calls[callID]...)
}
