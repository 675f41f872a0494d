package wmjournal_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"softswitch/domain"
	"softswitch/eventstore/journal"
	"softswitch/eventstore/storetest"
	"softswitch/eventstore/wmjournal"
)

const wait = 10 * time.Second

func openJournal(t *testing.T, n int) *journal.Journal {
	t.Helper()
	j, err := journal.Open(t.Context(), t.TempDir(), journal.Options{NoSync: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	appendN(t, j, 0, n)
	return j
}

func appendN(t *testing.T, j *journal.Journal, start, n int) {
	t.Helper()
	if n == 0 {
		return
	}
	envs := make([]domain.Envelope, n)
	for i := range envs {
		envs[i] = storetest.Envelope(start+i, "call:a", uint64(start+i+1))
	}
	if err := j.Append(t.Context(), envs); err != nil {
		t.Fatal(err)
	}
}

func subscribe(t *testing.T, j *journal.Journal, cfg wmjournal.Config) (*wmjournal.Subscriber, <-chan *message.Message) {
	t.Helper()
	if cfg.RetryBackoff == 0 {
		cfg.RetryBackoff = 5 * time.Millisecond
	}
	sub, err := wmjournal.New(j, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Close() })
	ch, err := sub.Subscribe(t.Context(), "events")
	if err != nil {
		t.Fatal(err)
	}
	return sub, ch
}

func receive(t *testing.T, ch <-chan *message.Message) (*message.Message, domain.Envelope) {
	t.Helper()
	select {
	case msg, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		env, err := wmjournal.FromMessage(msg)
		if err != nil {
			t.Fatal(err)
		}
		return msg, env
	case <-time.After(wait):
		t.Fatal("no message")
	}
	panic("unreachable")
}

func expectNothing(t *testing.T, ch <-chan *message.Message) {
	t.Helper()
	select {
	case msg := <-ch:
		t.Fatalf("unexpected message %v", msg)
	case <-time.After(50 * time.Millisecond):
	}
}

func expectClosed(t *testing.T, ch <-chan *message.Message) {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("channel not closed")
		}
	}
}

func TestDeliversInOrderAndTails(t *testing.T) {
	j := openJournal(t, 5)
	_, ch := subscribe(t, j, wmjournal.Config{})
	for want := uint64(1); want <= 8; want++ {
		if want == 6 {
			appendN(t, j, 5, 3) // arrives while the subscriber waits at the head
		}
		msg, env := receive(t, ch)
		if env.Position != want || msg.Metadata.Get(wmjournal.MetaPosition) == "" {
			t.Fatalf("got position %d, want %d", env.Position, want)
		}
		if err := storetest.Check(env); err != nil {
			t.Fatal(err)
		}
		msg.Ack()
	}
	expectNothing(t, ch)
}

func TestOneInFlight(t *testing.T) {
	j := openJournal(t, 3)
	_, ch := subscribe(t, j, wmjournal.Config{})
	msg, _ := receive(t, ch)
	expectNothing(t, ch) // not acked yet
	msg.Ack()
	if _, env := receive(t, ch); env.Position != 2 {
		t.Fatalf("after ack got position %d, want 2", env.Position)
	}
}

func TestNackRedelivers(t *testing.T) {
	j := openJournal(t, 2)
	_, ch := subscribe(t, j, wmjournal.Config{})
	first, env := receive(t, ch)
	for range 3 {
		first.Nack()
		var again domain.Envelope
		first, again = receive(t, ch)
		if again.Position != env.Position || first.UUID != env.ID {
			t.Fatalf("after nack got position %d (%s), want redelivery of %d", again.Position, first.UUID, env.Position)
		}
	}
	first.Ack()
	if _, env := receive(t, ch); env.Position != 2 {
		t.Fatalf("after ack got position %d, want 2", env.Position)
	}
}

func TestStartFrom(t *testing.T) {
	tests := []struct {
		name  string
		start uint64
		want  uint64
	}{
		{"Zero", 0, 1},
		{"One", 1, 1},
		{"Checkpoint", 4, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := openJournal(t, 5)
			_, ch := subscribe(t, j, wmjournal.Config{StartFrom: func(context.Context) (uint64, error) { return tc.start, nil }})
			if _, env := receive(t, ch); env.Position != tc.want {
				t.Fatalf("first position %d, want %d", env.Position, tc.want)
			}
		})
	}
}

func TestStartFromRetried(t *testing.T) {
	j := openJournal(t, 3)
	var calls atomic.Int32
	_, ch := subscribe(t, j, wmjournal.Config{StartFrom: func(context.Context) (uint64, error) {
		if calls.Add(1) < 3 {
			return 0, errors.New("checkpoint store not ready")
		}
		return 2, nil
	}})
	if _, env := receive(t, ch); env.Position != 2 {
		t.Fatalf("first position %d, want 2", env.Position)
	}
}

func TestEnds(t *testing.T) {
	tests := []struct {
		name string
		// end stops the subscription while inFlight is unacked.
		end func(t *testing.T, sub *wmjournal.Subscriber, j *journal.Journal, cancel context.CancelFunc, inFlight *message.Message)
	}{
		{"Close", func(t *testing.T, sub *wmjournal.Subscriber, _ *journal.Journal, _ context.CancelFunc, _ *message.Message) {
			if err := sub.Close(); err != nil {
				t.Fatal(err)
			}
		}},
		{"ContextCancel", func(_ *testing.T, _ *wmjournal.Subscriber, _ *journal.Journal, cancel context.CancelFunc, _ *message.Message) {
			cancel()
		}},
		{"StoreClosed", func(_ *testing.T, _ *wmjournal.Subscriber, j *journal.Journal, _ context.CancelFunc, inFlight *message.Message) {
			// The subscription notices at its next read, after the ack.
			j.Close()
			inFlight.Ack()
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := openJournal(t, 2)
			sub, err := wmjournal.New(j, wmjournal.Config{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			ch, err := sub.Subscribe(ctx, "events")
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := receive(t, ch)
			msg.Ack()
			inFlight, _ := receive(t, ch)
			tc.end(t, sub, j, cancel, inFlight)
			expectClosed(t, ch)
		})
	}
}

func TestSubscribeAfterClose(t *testing.T) {
	j := openJournal(t, 0)
	sub, err := wmjournal.New(j, wmjournal.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sub.Close()
	if _, err := sub.Subscribe(t.Context(), "events"); !errors.Is(err, wmjournal.ErrClosed) {
		t.Fatalf("Subscribe after Close = %v, want ErrClosed", err)
	}
}
