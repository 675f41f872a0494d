package journal

import (
	"errors"
	"os"
	"testing"

	"softswitch/domain"
	"softswitch/eventstore/storetest"
)

// TestWriteFailurePoisons swaps the active segment's descriptor for a
// read-only one so the next write fails, standing in for an EIO from disk.
func TestWriteFailurePoisons(t *testing.T) {
	dir := t.TempDir()
	j, err := Open(t.Context(), dir, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ok := []domain.Envelope{storetest.Envelope(1, "call:a", 1)}
	if err := j.Append(t.Context(), ok); err != nil {
		t.Fatal(err)
	}
	// Safe without a lock: the writer is idle, and the next Append's
	// channel send orders this write before the writer's reads.
	ro, err := os.Open(j.w.seg.path)
	if err != nil {
		t.Fatal(err)
	}
	j.w.f.Close()
	j.w.f = ro

	for i := range 2 {
		err := j.Append(t.Context(), []domain.Envelope{storetest.Envelope(2+i, "call:a", uint64(2+i))})
		if !errors.Is(err, ErrFailed) {
			t.Fatalf("Append %d after write failure = %v, want ErrFailed", i, err)
		}
	}
	if h := j.Head(); h != 1 {
		t.Fatalf("Head = %d after failed appends, want 1", h)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j, err = Open(t.Context(), dir, Options{}, nil)
	if err != nil {
		t.Fatalf("reopen after failure: %v", err)
	}
	defer j.Close()
	if h := j.Head(); h != 1 {
		t.Fatalf("Head after reopen = %d, want 1", h)
	}
	if err := j.Append(t.Context(), []domain.Envelope{storetest.Envelope(9, "call:a", 2)}); err != nil {
		t.Fatalf("Append after reopen: %v", err)
	}
}
