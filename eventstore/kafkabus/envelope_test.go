package kafkabus_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"softswitch/domain"
	"softswitch/eventstore/kafkabus"
	"softswitch/eventstore/storetest"
	"softswitch/eventstore/wmjournal"
	"softswitch/internal/testenv"
)

// shipperRecord is an envelope in the fixed wire format, as the journal
// shipper writes it with kafka-go directly.
func shipperRecord(t *testing.T, env domain.Envelope) kafka.Message {
	t.Helper()
	value, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	h := func(k, v string) kafka.Header { return kafka.Header{Key: k, Value: []byte(v)} }
	return kafka.Message{
		Key:   []byte(env.Aggregate),
		Value: value,
		Headers: []kafka.Header{
			h("id", env.ID), h("type", env.Type), h("version", strconv.Itoa(env.Version)),
			h("aggregate", env.Aggregate), h("seq", strconv.FormatUint(env.Seq, 10)),
			h("node", env.Node), h("time", env.Time.Format(time.RFC3339Nano)),
		},
	}
}

// TestEnvelopeWireFormat writes envelopes both as the shipper does and
// through the Publisher, and checks the Subscriber hands back messages
// wmjournal.FromMessage decodes to the same envelopes, keyed by aggregate.
func TestEnvelopeWireFormat(t *testing.T) {
	brokers := brokersOf(t)
	tests := []struct {
		name  string
		write func(t *testing.T, topic string, envs []domain.Envelope)
	}{
		{"Shipper", func(t *testing.T, topic string, envs []domain.Envelope) {
			w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
			defer w.Close()
			recs := make([]kafka.Message, len(envs))
			for i, env := range envs {
				recs[i] = shipperRecord(t, env)
			}
			if err := w.WriteMessages(t.Context(), recs...); err != nil {
				t.Fatal(err)
			}
		}},
		{"Publisher", func(t *testing.T, topic string, envs []domain.Envelope) {
			pub := newPublisher(t, brokers, 0)
			for _, env := range envs {
				msg, err := wmjournal.ToMessage(env)
				if err != nil {
					t.Fatal(err)
				}
				if err := pub.Publish(topic, msg); err != nil {
					t.Fatal(err)
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			topic := testenv.Unique("kafkabus-env-")
			if err := kafkabus.EnsureTopic(t.Context(), brokers, topic, 4, 1); err != nil {
				t.Fatal(err)
			}
			envs := []domain.Envelope{
				storetest.Envelope(1, "call:abc", 1),
				storetest.Envelope(2, "aor:alice", 1),
				storetest.Envelope(3, "call:abc", 2),
			}
			tc.write(t, topic, envs)

			sub := newSubscriber(t, kafkabus.SubscriberConfig{Brokers: brokers})
			ch, err := sub.Subscribe(t.Context(), topic)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]domain.Envelope{}
			for _, env := range envs {
				want[env.ID] = env
			}
			for range envs {
				msg := receive(t, ch)
				got, err := wmjournal.FromMessage(msg)
				if err != nil {
					t.Fatal(err)
				}
				if !storetest.Same(got, want[got.ID]) {
					t.Fatalf("decoded %+v\nwant %+v", got, want[got.ID])
				}
				delete(want, got.ID)
				if msg.Metadata.Get(wmjournal.MetaType) != got.Type || msg.Metadata.Get(wmjournal.MetaAggregate) != got.Aggregate {
					t.Fatalf("metadata %v does not carry the envelope's type and aggregate", msg.Metadata)
				}
			}
			assertKeyedByAggregate(t, brokers, topic, len(envs))
		})
	}
}

// assertKeyedByAggregate reads the raw records and checks their keys.
func assertKeyedByAggregate(t *testing.T, brokers []string, topic string, n int) {
	t.Helper()
	ctx := t.Context()
	for p := range 4 {
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: p, MaxWait: 50 * time.Millisecond})
		last, err := r.ReadLag(ctx) // lag from FirstOffset is the record count
		if err != nil {
			r.Close()
			t.Fatal(err)
		}
		for range last {
			rec, err := r.FetchMessage(ctx)
			if err != nil {
				r.Close()
				t.Fatal(err)
			}
			var env domain.Envelope
			if err := json.Unmarshal(rec.Value, &env); err != nil {
				r.Close()
				t.Fatal(err)
			}
			if string(rec.Key) != env.Aggregate {
				r.Close()
				t.Fatalf("record key %q, want aggregate %q", rec.Key, env.Aggregate)
			}
			n--
		}
		r.Close()
	}
	if n != 0 {
		t.Fatalf("%d records not found", n)
	}
}
