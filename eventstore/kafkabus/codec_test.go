package kafkabus

import (
	"context"
	"slices"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/segmentio/kafka-go"
)

func TestEncodeKey(t *testing.T) {
	tests := []struct {
		name    string
		meta    map[string]string
		keyMeta string
		want    string
	}{
		{"AggregateKey", map[string]string{"aggregate": "call:1"}, "aggregate", "call:1"},
		{"NoKeyUsesUUID", map[string]string{"other": "x"}, "aggregate", "uuid-1"},
		{"EmptyKeyUsesUUID", map[string]string{"aggregate": ""}, "aggregate", "uuid-1"},
		{"OtherKeyMetadata", map[string]string{"aggregate": "call:1", "tenant": "t9"}, "tenant", "t9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := message.NewMessage("uuid-1", []byte("p"))
			for k, v := range tc.meta {
				msg.Metadata.Set(k, v)
			}
			rec := encode("t", tc.keyMeta, msg)
			if string(rec.Key) != tc.want {
				t.Fatalf("key = %q, want %q", rec.Key, tc.want)
			}
		})
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	msg := message.NewMessage("uuid-1", []byte("payload"))
	msg.Metadata.Set("b", "2")
	msg.Metadata.Set("a", "1")
	msg.Metadata.Set("id", "not-the-uuid")
	rec := encode("topic", "aggregate", msg)
	var names []string
	for _, h := range rec.Headers {
		names = append(names, h.Key)
	}
	if got, want := names, []string{"a", "b", "id", HeaderUUID}; !slices.Equal(got, want) {
		t.Fatalf("headers = %v, want %v", got, want)
	}
	back := decode(rec)
	if back.UUID != "uuid-1" || string(back.Payload) != "payload" {
		t.Fatalf("decoded %q %q", back.UUID, back.Payload)
	}
	if len(back.Metadata) != 3 || back.Metadata.Get("id") != "not-the-uuid" || back.Metadata.Get("a") != "1" {
		t.Fatalf("metadata = %v", back.Metadata)
	}
}

func TestDecode(t *testing.T) {
	h := func(kv ...string) []kafka.Header {
		var hs []kafka.Header
		for i := 0; i < len(kv); i += 2 {
			hs = append(hs, kafka.Header{Key: kv[i], Value: []byte(kv[i+1])})
		}
		return hs
	}
	tests := []struct {
		name     string
		headers  []kafka.Header
		wantUUID string
		wantMeta map[string]string
	}{
		{"WatermillUUID", h(HeaderUUID, "u", "k", "v"), "u", map[string]string{"k": "v"}},
		{"EnvelopeID", h("id", "e1", "type", "call.answered"), "e1", map[string]string{"type": "call.answered"}},
		{"UUIDWinsOverID", h("id", "e1", HeaderUUID, "u"), "u", map[string]string{"id": "e1"}},
		{"Neither", h("k", "v"), "", map[string]string{"k": "v"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := decode(kafka.Message{Value: []byte("x"), Headers: tc.headers})
			if msg.UUID != tc.wantUUID {
				t.Errorf("UUID = %q, want %q", msg.UUID, tc.wantUUID)
			}
			if len(msg.Metadata) != len(tc.wantMeta) {
				t.Errorf("metadata = %v, want %v", msg.Metadata, tc.wantMeta)
			}
			for k, v := range tc.wantMeta {
				if msg.Metadata.Get(k) != v {
					t.Errorf("metadata %s = %q, want %q", k, msg.Metadata.Get(k), v)
				}
			}
		})
	}
}

func TestRecordContext(t *testing.T) {
	if _, ok := PartitionFromCtx(context.Background()); ok {
		t.Fatal("partition in an empty context")
	}
	if _, ok := OffsetFromCtx(context.Background()); ok {
		t.Fatal("offset in an empty context")
	}
	ctx := withRecord(context.Background(), kafka.Message{Partition: 3, Offset: 42})
	if p, ok := PartitionFromCtx(ctx); !ok || p != 3 {
		t.Fatalf("partition = %d, %v", p, ok)
	}
	if o, ok := OffsetFromCtx(ctx); !ok || o != 42 {
		t.Fatalf("offset = %d, %v", o, ok)
	}
}
