package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/eventstore"
)

func testEmpty(t *testing.T, open Opener) {
	s := openStore(t, open)
	if h := s.Head(); h != 0 {
		t.Fatalf("Head = %d on empty store", h)
	}
	if got := readAll(t, s, 1); len(got) != 0 {
		t.Fatalf("empty store read %d envelopes", len(got))
	}
}

func testAppendReadOrder(t *testing.T, open Opener) {
	s := openStore(t, open)
	var want []domain.Envelope
	want = append(want, mustAppend(t, s, batch(0, 3, "call:a", 1)...)...)
	want = append(want, mustAppend(t, s, batch(3, 1, "call:b", 1)...)...)
	want = append(want, mustAppend(t, s, batch(4, 5, "call:a", 4)...)...)
	requireGapless(t, want, 1) // Append set the positions on our slices
	requireSame(t, readAll(t, s, 1), want)
	if h := s.Head(); h != uint64(len(want)) {
		t.Fatalf("Head = %d, want %d", h, len(want))
	}
}

func testAppendEmptyAndCancelled(t *testing.T, open Opener) {
	s := openStore(t, open)
	if err := s.Append(ctxT(t), nil); err != nil {
		t.Fatalf("Append(nil) = %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Append(ctx, batch(0, 1, "call:a", 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append with cancelled ctx = %v, want context.Canceled", err)
	}
	if h := s.Head(); h != 0 {
		t.Fatalf("Head = %d after empty and cancelled appends", h)
	}
}

func testPositionsGapless(t *testing.T, open Opener) {
	s := openStore(t, open)
	n := 0
	for _, size := range []int{1, 7, 1, 64, 2, 300} {
		envs := mustAppend(t, s, batch(n, size, fmt.Sprintf("aor:%d", size), 1)...)
		requireGapless(t, envs, uint64(n)+1)
		n += size
	}
	requireGapless(t, readAll(t, s, 1), 1)
}

func testConcurrentAppenders(t *testing.T, open Opener) {
	s := openStore(t, open)
	const writers, appends = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			seq := uint64(1)
			for i := range appends {
				n := 1 + i%3
				envs := batch(w*1000+int(seq), n, fmt.Sprintf("call:%d", w), seq)
				if err := s.Append(ctxT(t), envs); err != nil {
					errs <- err
					return
				}
				// One Append is one contiguous run of positions.
				for k := 1; k < n; k++ {
					if envs[k].Position != envs[0].Position+uint64(k) {
						errs <- fmt.Errorf("batch not contiguous: %d then %d", envs[0].Position, envs[k].Position)
						return
					}
				}
				seq += uint64(n)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := readAll(t, s, 1)
	requireGapless(t, got, 1)
	if h := s.Head(); h != uint64(len(got)) {
		t.Fatalf("Head = %d, read %d", h, len(got))
	}
	next := map[string]uint64{}
	for _, e := range got {
		if want := next[e.Aggregate] + 1; e.Seq != want {
			t.Fatalf("aggregate %s: seq %d at position %d, want %d", e.Aggregate, e.Seq, e.Position, want)
		}
		next[e.Aggregate] = e.Seq
	}
	if len(next) != writers {
		t.Fatalf("saw %d aggregates, want %d", len(next), writers)
	}
}

func testReadFrom(t *testing.T, open Opener) {
	s := openStore(t, open)
	const n = 500
	all := mustAppend(t, s, batch(0, n, "call:a", 1)...)
	tests := []struct {
		from  uint64
		first int // index into all, or n for none
	}{
		{0, 0}, {1, 0}, {2, 1}, {250, 249}, {n, n - 1}, {n + 1, n}, {n + 100, n},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.from), func(t *testing.T) {
			requireSame(t, readAll(t, s, tc.from), all[tc.first:])
		})
	}
}

func testReadStopsOnCallbackError(t *testing.T, open Opener) {
	s := openStore(t, open)
	mustAppend(t, s, batch(0, 10, "call:a", 1)...)
	stop := errors.New("stop")
	calls := 0
	err := s.Read(ctxT(t), 1, func(domain.Envelope) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 3 {
		t.Fatalf("Read = %v after %d calls, want stop after 3", err, calls)
	}
}

func testReadCancelled(t *testing.T, open Opener) {
	s := openStore(t, open)
	mustAppend(t, s, batch(0, 2000, "call:a", 1)...)
	ctx, cancel := context.WithCancel(t.Context())
	calls := 0
	err := s.Read(ctx, 1, func(domain.Envelope) error {
		if calls++; calls == 1 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Read with cancelled ctx = %v after %d calls, want context.Canceled", err, calls)
	}
}

func testWaitFor(t *testing.T, open Opener) {
	s := openStore(t, open)
	mustAppend(t, s, batch(0, 2, "call:a", 1)...)

	t.Run("AlreadyThere", func(t *testing.T) {
		for _, pos := range []uint64{0, 1, 2} {
			if err := s.WaitFor(ctxT(t), pos); err != nil {
				t.Fatalf("WaitFor(%d) = %v", pos, err)
			}
		}
	})
	t.Run("WakesOnAppend", func(t *testing.T) {
		done := make(chan error, 1)
		go func() { done <- s.WaitFor(ctxT(t), 5) }()
		mustAppend(t, s, batch(2, 2, "call:a", 3)...)
		select {
		case err := <-done:
			t.Fatalf("WaitFor(5) returned %v at head 4", err)
		case <-time.After(50 * time.Millisecond):
		}
		mustAppend(t, s, batch(4, 1, "call:a", 5)...)
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("WaitFor(5) = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("WaitFor(5) did not wake after head reached 5")
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.WaitFor(ctx, 1000) }()
		time.Sleep(20 * time.Millisecond)
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("WaitFor after cancel = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("WaitFor ignored ctx cancel")
		}
	})
	t.Run("Deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
		defer cancel()
		if err := s.WaitFor(ctx, 1000); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WaitFor past deadline = %v", err)
		}
	})
}

func testReopen(t *testing.T, open Opener) {
	s := openStore(t, open)
	want := mustAppend(t, s, batch(0, 10, "call:a", 1)...)
	want = append(want, mustAppend(t, s, batch(10, 250, "call:b", 1)...)...)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = openStore(t, open)
	if h := s.Head(); h != uint64(len(want)) {
		t.Fatalf("Head after reopen = %d, want %d", h, len(want))
	}
	requireSame(t, readAll(t, s, 1), want)
	more := mustAppend(t, s, batch(260, 1, "call:a", 11)...)
	if more[0].Position != uint64(len(want))+1 {
		t.Fatalf("first append after reopen got position %d, want %d", more[0].Position, len(want)+1)
	}
}

// testReadDuringAppend hammers Read while appends are in flight: every
// read must be a gapless prefix that reaches at least the head seen before
// it started, made only of intact envelopes.
func testReadDuringAppend(t *testing.T, open Opener) {
	s := openStore(t, open)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	wg.Go(func() {
		defer close(stop)
		for i := range 200 {
			if err := s.Append(ctxT(t), batch(i*10, 10, fmt.Sprintf("call:%d", i%7), uint64(i/7*10+1))); err != nil {
				errs <- err
				return
			}
		}
	})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				before := s.Head()
				var last uint64
				err := s.Read(ctxT(t), 1, func(e domain.Envelope) error {
					if e.Position != last+1 {
						return fmt.Errorf("read position %d after %d", e.Position, last)
					}
					last = e.Position
					return Check(e)
				})
				if err == nil && last < before {
					err = fmt.Errorf("read stopped at %d, head was %d before the read", last, before)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	requireGapless(t, readAll(t, s, 1), 1)
}

func testClosed(t *testing.T, open Opener) {
	s := openStore(t, open)
	mustAppend(t, s, batch(0, 1, "call:a", 1)...)
	waiting := make(chan error, 1)
	go func() { waiting <- s.WaitFor(ctxT(t), 100) }()
	time.Sleep(20 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-waiting:
		if !errors.Is(err, eventstore.ErrClosed) {
			t.Fatalf("WaitFor blocked across Close = %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not wake WaitFor")
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"Append", func() error { return s.Append(ctxT(t), batch(1, 1, "call:a", 2)) }},
		{"Read", func() error { return s.Read(ctxT(t), 1, func(domain.Envelope) error { return nil }) }},
		{"WaitFor", func() error { return s.WaitFor(ctxT(t), 100) }},
	}
	for _, tc := range tests {
		if err := tc.call(); !errors.Is(err, eventstore.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", tc.name, err)
		}
	}
}
