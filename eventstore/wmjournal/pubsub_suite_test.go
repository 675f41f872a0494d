package wmjournal_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"

	"softswitch/eventstore"
	"softswitch/eventstore/journal"
	"softswitch/eventstore/wmjournal"
)

func newPubSub(t *testing.T) *wmjournal.PubSub {
	t.Helper()
	base := t.TempDir()
	ps, err := wmjournal.NewPubSub(func(topic string) (eventstore.Store, error) {
		// The suite's topic names are UUIDs: safe as directory names.
		return journal.Open(t.Context(), filepath.Join(base, topic), journal.Options{NoSync: true}, nil)
	}, wmjournal.Config{RetryBackoff: 10 * time.Millisecond}, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ps.Close() })
	return ps
}

// TestPubSubSuite runs watermill's suite on journals in a temp directory.
func TestPubSubSuite(t *testing.T) {
	// One PubSub for the whole suite: a journal's directory lock allows one
	// open instance, and the suite expects every constructor call to see
	// the same topics.
	ps := newPubSub(t)
	tests.TestPubSub(t, tests.Features{
		// Every subscription reads its topic from the beginning; there is
		// no shared checkpoint.
		ConsumerGroups:      false,
		ExactlyOnceDelivery: false,
		// A topic is one totally ordered journal, delivered one message at
		// a time.
		GuaranteedOrder:                  true,
		Persistent:                       true,
		NewSubscriberReceivesOldMessages: true,
	}, func(t *testing.T) (message.Publisher, message.Subscriber) {
		return ps.Publisher(), ps.Subscriber()
	}, nil)
}

func TestPubSubRoundTrip(t *testing.T) {
	ps := newPubSub(t)
	pub, sub := ps.Publisher(), ps.Subscriber()
	defer sub.Close()
	msg := message.NewMessage("u-1", []byte{0, 1, 0xff})
	msg.Metadata.Set("k", "v")
	if err := pub.Publish("t", msg); err != nil {
		t.Fatal(err)
	}
	ch, err := sub.Subscribe(t.Context(), "t")
	if err != nil {
		t.Fatal(err)
	}
	got := <-ch
	got.Ack()
	if got.UUID != "u-1" || string(got.Payload) != string(msg.Payload) || got.Metadata.Get("k") != "v" {
		t.Fatalf("got %s %v %v", got.UUID, got.Payload, got.Metadata)
	}
	select {
	case <-got.Context().Done():
	case <-time.After(wait):
		t.Fatal("message context not cancelled after Ack")
	}
	if err := pub.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish("t", msg); !errors.Is(err, wmjournal.ErrClosed) {
		t.Fatalf("Publish after Close = %v", err)
	}
}
