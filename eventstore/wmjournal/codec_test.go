package wmjournal_test

import (
	"errors"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"softswitch/eventstore/storetest"
	"softswitch/eventstore/wmjournal"
)

func TestCodecRoundTrip(t *testing.T) {
	env := storetest.Envelope(7, "call:abc", 3)
	env.Position = 42
	msg, err := wmjournal.ToMessage(env)
	if err != nil {
		t.Fatal(err)
	}
	if msg.UUID != env.ID {
		t.Fatalf("UUID = %q, want envelope id %q", msg.UUID, env.ID)
	}
	meta := map[string]string{
		wmjournal.MetaType: "call.answered", wmjournal.MetaVersion: "1", wmjournal.MetaAggregate: "call:abc",
		wmjournal.MetaSeq: "3", wmjournal.MetaNode: "node-a", wmjournal.MetaPosition: "42",
	}
	for k, want := range meta {
		if got := msg.Metadata.Get(k); got != want {
			t.Errorf("metadata %s = %q, want %q", k, got, want)
		}
	}
	got, err := wmjournal.FromMessage(msg)
	if err != nil {
		t.Fatal(err)
	}
	if !storetest.Same(got, env) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, env)
	}
}

func TestFromMessageRejects(t *testing.T) {
	good, err := wmjournal.ToMessage(storetest.Envelope(1, "call:a", 1))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		msg  *message.Message
	}{
		{"NotJSON", message.NewMessage("x", []byte("nope"))},
		{"NoID", message.NewMessage("", []byte(`{"type":"t"}`))},
		{"UUIDMismatch", message.NewMessage("other", good.Payload)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := wmjournal.FromMessage(tc.msg); !errors.Is(err, wmjournal.ErrBadMessage) {
				t.Fatalf("FromMessage = %v, want ErrBadMessage", err)
			}
		})
	}
}

func TestToMessageInvalidPayload(t *testing.T) {
	env := storetest.Envelope(1, "call:a", 1)
	env.Payload = []byte("{broken")
	if _, err := wmjournal.ToMessage(env); err == nil {
		t.Fatal("ToMessage accepted a payload that is not JSON")
	}
}
