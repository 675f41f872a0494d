package kafkalog_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"softswitch/domain"
	"softswitch/eventstore/kafkalog"
	"softswitch/eventstore/storetest"
	"softswitch/eventstore/wmjournal"
)

func header(m kafka.Message, key string) (string, bool) {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value), true
		}
	}
	return "", false
}

func TestEncode(t *testing.T) {
	positioned := storetest.Envelope(7, "aor:alice", 3)
	positioned.Position = 42
	local := storetest.Envelope(8, "call:x", 1)
	local.Time = time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.FixedZone("CEST", 2*3600))
	tests := []struct {
		name string
		env  domain.Envelope
		want map[string]string
	}{
		{"CallEvent", storetest.Envelope(1, "call:abc", 1), map[string]string{
			"id": "node-a-1-1", "type": "call.answered", "version": "1", "aggregate": "call:abc",
			"seq": "1", "node": "node-a", "time": "2025-01-02T03:04:05.000000001Z",
		}},
		{"WithPosition", positioned, map[string]string{"aggregate": "aor:alice", "seq": "3"}},
		{"TimeInUTC", local, map[string]string{"time": "2025-06-01T10:00:00.123456789Z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := kafkalog.Encode(tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if string(msg.Key) != tc.env.Aggregate {
				t.Errorf("key %q, want %q", msg.Key, tc.env.Aggregate)
			}
			if len(msg.Headers) != 7 {
				t.Errorf("%d headers, want 7", len(msg.Headers))
			}
			for k, v := range tc.want {
				if got, ok := header(msg, k); !ok || got != v {
					t.Errorf("header %s = %q (present %v), want %q", k, got, ok, v)
				}
			}
			if !msg.Time.Equal(tc.env.Time) {
				t.Errorf("record time %v, want event time %v", msg.Time, tc.env.Time)
			}
			// The value is exactly the watermill payload, so one decoder
			// serves both transports.
			wm, err := wmjournal.ToMessage(tc.env)
			if err != nil {
				t.Fatal(err)
			}
			if string(msg.Value) != string(wm.Payload) {
				t.Errorf("value differs from wmjournal payload:\n%s\n%s", msg.Value, wm.Payload)
			}
			got, err := kafkalog.Decode(msg)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !storetest.Same(got, tc.env) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, tc.env)
			}
		})
	}
}

func TestEncodeBadPayload(t *testing.T) {
	env := storetest.Envelope(1, "call:a", 1)
	env.Payload = json.RawMessage("{not json")
	if _, err := kafkalog.Encode(env); err == nil {
		t.Fatal("Encode accepted a payload that is not JSON")
	}
}

func TestDecodeRejects(t *testing.T) {
	good, err := kafkalog.Encode(storetest.Envelope(1, "call:a", 1))
	if err != nil {
		t.Fatal(err)
	}
	wrongID := good
	wrongID.Headers = append([]kafka.Header{{Key: "id", Value: []byte("other")}}, good.Headers[1:]...)
	tests := []struct {
		name string
		msg  kafka.Message
	}{
		{"Empty", kafka.Message{}},
		{"NotJSON", kafka.Message{Value: []byte("garbage")}},
		{"NoID", kafka.Message{Value: []byte(`{"type":"call.answered"}`)}},
		{"HeaderDisagrees", wrongID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := kafkalog.Decode(tc.msg); !errors.Is(err, kafkalog.ErrBadRecord) {
				t.Fatalf("Decode = %v, want ErrBadRecord", err)
			}
		})
	}
}

func TestTopicNames(t *testing.T) {
	tests := []struct {
		prefix       string
		events, pois string
	}{
		{"", "softswitch.events", "softswitch.events.poison"},
		{"lab.", "lab.events", "lab.events.poison"},
	}
	for _, tc := range tests {
		got := kafkalog.TopicNames(tc.prefix)
		if got.Events != tc.events || got.Poison != tc.pois {
			t.Errorf("TopicNames(%q) = %+v", tc.prefix, got)
		}
	}
}
