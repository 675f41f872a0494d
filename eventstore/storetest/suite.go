package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/eventstore"
)

// Opener opens one store location. Called again after the previous store
// from it was closed, it must reopen the same data.
type Opener func(t *testing.T) eventstore.Store

// Factory makes a fresh, empty store location (a temp dir, a new topic)
// and returns its Opener.
type Factory func(t *testing.T) Opener

// Run runs the whole suite, one subtest per behaviour, each on a fresh
// store location.
func Run(t *testing.T, factory Factory) {
	tests := []struct {
		name string
		run  func(t *testing.T, open Opener)
	}{
		{"Empty", testEmpty},
		{"AppendReadOrder", testAppendReadOrder},
		{"AppendEmptyAndCancelled", testAppendEmptyAndCancelled},
		{"PositionsGapless", testPositionsGapless},
		{"ConcurrentAppenders", testConcurrentAppenders},
		{"ReadFrom", testReadFrom},
		{"ReadStopsOnCallbackError", testReadStopsOnCallbackError},
		{"ReadCancelled", testReadCancelled},
		{"WaitFor", testWaitFor},
		{"Reopen", testReopen},
		{"ReadDuringAppend", testReadDuringAppend},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, factory(t))
		})
	}
}

// openStore opens a store that is closed when the test ends, unless the
// test closed it first.
func openStore(t *testing.T, open Opener) eventstore.Store {
	t.Helper()
	s := open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, eventstore.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustAppend(t *testing.T, s eventstore.Store, envs ...domain.Envelope) []domain.Envelope {
	t.Helper()
	if err := s.Append(ctxT(t), envs); err != nil {
		t.Fatalf("Append: %v", err)
	}
	return envs
}

func readAll(t *testing.T, s eventstore.Store, from uint64) []domain.Envelope {
	t.Helper()
	var out []domain.Envelope
	if err := s.Read(ctxT(t), from, func(e domain.Envelope) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatalf("Read(%d): %v", from, err)
	}
	return out
}

// batch returns n envelopes for one aggregate, seqs starting at seq.
func batch(start, n int, aggregate string, seq uint64) []domain.Envelope {
	envs := make([]domain.Envelope, n)
	for i := range envs {
		envs[i] = Envelope(start+i, aggregate, seq+uint64(i))
	}
	return envs
}

func requireSame(t *testing.T, got, want []domain.Envelope) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d envelopes, want %d", len(got), len(want))
	}
	for i := range want {
		if !Same(got[i], want[i]) {
			t.Fatalf("envelope %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// requireGapless checks positions run from first without holes and every
// envelope is intact.
func requireGapless(t *testing.T, envs []domain.Envelope, first uint64) {
	t.Helper()
	for i, e := range envs {
		if want := first + uint64(i); e.Position != want {
			t.Fatalf("envelope %d has position %d, want %d", i, e.Position, want)
		}
		if err := Check(e); err != nil {
			t.Fatal(err)
		}
	}
}
