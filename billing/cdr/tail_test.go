package cdr_test

import (
	"context"
	"testing"
	"time"

	"softswitch/billing/cdr"
)

// TestTail drives the builder straight off a log, as the embedded path
// does: with the store failing its first flushes (batches of 5 force them
// on the Apply path), every CDR still lands, equal to the reference run,
// the checkpoint reaches the end, and cancelling returns cleanly.
func TestTail(t *testing.T) {
	envs := mixedLog(t, 40, 6, 3)
	want := jsonString(t, reference(t, envs))

	log := &memLog{}
	must(t, log.Append(context.Background(), envs))
	s, _ := newStore(t)
	flaky := &flakyStore{Store: s, fail: 3}
	b := newBuilder(t, flaky, cdr.Config{BatchSize: 5, FlushInterval: 10 * time.Millisecond})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cdr.Tail(ctx, log, s.Checkpoint, b, discardLogger()) }()

	deadline := time.After(10 * time.Second)
	for checkpointOf(t, s) != uint64(len(envs))+1 {
		select {
		case <-deadline:
			t.Fatalf("checkpoint stuck at %d; stats %+v", checkpointOf(t, s), b.Stats())
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	select {
	case err := <-done:
		must(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("Tail did not return after cancel")
	}
	if got := jsonString(t, listAll(t, s)); got != want {
		t.Fatal("CDRs through Tail differ from the reference run")
	}
	if flaky.fail != 0 {
		t.Fatalf("%d injected failures left: the store was not retried through them", flaky.fail)
	}
}

// TestTailResumesFromCheckpoint: a second Tail over the same store starts
// at its checkpoint and writes nothing twice.
func TestTailResumesFromCheckpoint(t *testing.T) {
	envs := mixedLog(t, 30, 4, 5)
	want := jsonString(t, reference(t, envs))
	s, _ := newStore(t)
	run := func(upTo int, from uint64) {
		t.Helper()
		log := &memLog{}
		must(t, log.Append(context.Background(), envs[:upTo]))
		b := newBuilder(t, s, cdr.Config{FlushInterval: 5 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- cdr.Tail(ctx, log, s.Checkpoint, b, discardLogger()) }()
		wantEvents := uint64(upTo) - (max(from, 1) - 1)
		deadline := time.After(10 * time.Second)
		for b.Stats().Events < wantEvents {
			select {
			case <-deadline:
				t.Fatalf("stats %+v, want %d events", b.Stats(), wantEvents)
			case <-time.After(5 * time.Millisecond):
			}
		}
		cancel()
		must(t, <-done)
		if got := b.Stats().Events; got != wantEvents {
			t.Fatalf("folded %d events from %d, want %d", got, from, wantEvents)
		}
	}
	run(len(envs)/2, 0)
	cp := checkpointOf(t, s)
	if cp <= 1 {
		t.Fatalf("checkpoint %d after the first half", cp)
	}
	run(len(envs), cp)
	if got := jsonString(t, listAll(t, s)); got != want {
		t.Fatal("CDRs over two Tails differ from the reference run")
	}
}
