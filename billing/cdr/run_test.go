package cdr_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"softswitch/billing/cdr"
)

// TestRun drives the builder through a watermill router over gochannel:
// the time-based flush must write the CDRs without a full batch, and
// stopping ctx must return cleanly with the checkpoint at the end.
func TestRun(t *testing.T) {
	envs := mixedLog(t, 40, 6, 3)
	want := jsonString(t, reference(t, envs))

	logger := discardLogger()
	// Not Persistent: gochannel replays persisted messages concurrently,
	// out of order, which no log does. Blocking publish keeps log order.
	pubsub := gochannel.NewGoChannel(gochannel.Config{BlockPublishUntilSubscriberAck: true}, watermill.NewSlogLogger(logger))
	sub := &signalSubscriber{Subscriber: pubsub, subscribed: make(chan struct{})}
	const topic = "events"

	s, _ := newStore(t)
	b := newBuilder(t, s, cdr.Config{BatchSize: 1000, FlushInterval: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cdr.Run(ctx, sub, topic, b, nil, logger) }()

	<-sub.subscribed
	for _, env := range envs {
		payload, err := json.Marshal(env)
		must(t, err)
		must(t, pubsub.Publish(topic, message.NewMessage(env.ID, payload)))
	}
	// A message that is not an envelope is skipped, not retried forever.
	must(t, pubsub.Publish(topic, message.NewMessage(watermill.NewUUID(), []byte("not json"))))

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
		t.Fatal("Run did not return after cancel")
	}
	if got := jsonString(t, listAll(t, s)); got != want {
		t.Fatal("CDRs through Run differ from the reference run")
	}
	if st := b.Stats(); st.Malformed != 1 {
		t.Fatalf("malformed = %d, want 1", st.Malformed)
	}
}

// signalSubscriber says when the router has subscribed, so publishing to a
// non-persistent gochannel loses nothing.
type signalSubscriber struct {
	message.Subscriber
	subscribed chan struct{}
}

func (s *signalSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	ch, err := s.Subscriber.Subscribe(ctx, topic)
	close(s.subscribed)
	return ch, err
}
