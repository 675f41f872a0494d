package kafkalog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"softswitch/domain"
	"softswitch/eventstore/journal"
	"softswitch/eventstore/kafkalog"
	"softswitch/internal/testenv"
)

// benchEvents is how many envelopes the shipping benchmarks move;
// SOFTSWITCH_BENCH_EVENTS overrides the default 500k.
func benchEvents(b *testing.B) int {
	if v := os.Getenv("SOFTSWITCH_BENCH_EVENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("SOFTSWITCH_BENCH_EVENTS=%q", v)
		}
		return n
	}
	return 500_000
}

// benchEventGap spaces the bench envelopes' times like 7,000 events/s of
// real traffic, so offset-for-time lookups see a realistic log.
const benchEventGap = time.Second / 7000

// benchEnvelope is shaped like a call or registration event: a SIP
// Call-ID, identities with tags, a digest; about 350 bytes of JSON. A
// call's events are four in a row, the last one call.ended.
func benchEnvelope(i int, seqs map[string]uint64) domain.Envelope {
	agg := fmt.Sprintf("call:%08x@10.0.%d.%d", i/4, i/4%200, i/4%250)
	typ := "call.answered"
	if i%4 == 3 {
		typ = domain.TypeCallEnded
	}
	if i%5 == 0 {
		agg = fmt.Sprintf("aor:user%d@example.net", i%20_000)
		typ = "registration.refreshed"
	}
	seqs[agg]++
	p, _ := json.Marshal(map[string]any{
		"call_id": fmt.Sprintf("%016x%016x@10.0.0.1", i, i*7919),
		"from":    "sip:alice@example.net;tag=9fxced76sl",
		"to":      "sip:bob@example.net;tag=8321234356",
		"contact": "sip:alice@198.51.100.7:5060;transport=udp",
		"code":    200,
	})
	return domain.Envelope{
		ID: fmt.Sprintf("node-a-%x-%x", 1_700_000_000_000_000_000+i, i), Type: typ, Version: 1,
		Aggregate: agg, Seq: seqs[agg], Node: "node-a",
		Time: time.Unix(1_700_000_000, 0).Add(time.Duration(i) * benchEventGap).UTC(), Payload: p,
	}
}

// prefilled returns a journal holding n bench envelopes and the size of
// their record values.
func prefilled(b *testing.B, n int) (*journal.Journal, int64) {
	j, err := journal.Open(context.Background(), b.TempDir(), journal.Options{NoSync: true}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { j.Close() })
	seqs := map[string]uint64{}
	const chunk = 5000
	envs := make([]domain.Envelope, 0, chunk)
	var bytes int64
	for i := 0; i < n; i += chunk {
		envs = envs[:0]
		for k := i; k < min(n, i+chunk); k++ {
			env := benchEnvelope(k, seqs)
			v, _ := json.Marshal(env)
			bytes += int64(len(v))
			envs = append(envs, env)
		}
		if err := j.Append(context.Background(), envs); err != nil {
			b.Fatal(err)
		}
	}
	return j, bytes
}

func reportRate(b *testing.B, events int, bytes int64) {
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(events)/s, "events/s")
	b.ReportMetric(float64(bytes)/s/1e6, "MB/s")
	b.ReportMetric(0, "ns/op") // one op is the whole run; the rate says it
}

// BenchmarkShip ships a pre-filled journal to a fresh 12-partition topic
// with the shipper's defaults, from start to last checkpoint. Run with
// -benchtime=1x: one op is the whole journal.
func BenchmarkShip(b *testing.B) {
	brokers := testenv.Kafka(b)
	n := benchEvents(b)
	for _, tc := range []struct {
		name        string
		compression kafka.Compression
	}{
		{"none", 0},
		{"lz4", kafka.Lz4},
	} {
		b.Run("compression="+tc.name, func(b *testing.B) {
			j, bytes := prefilled(b, n)
			for b.Loop() {
				cfg := kafkalog.Config{
					Brokers: brokers, Prefix: testenv.Unique("kafkalog-bench-") + ".",
					DataDir: b.TempDir(), Compression: tc.compression,
				}
				// Topic creation is setup, not shipping.
				b.StopTimer()
				if err := kafkalog.EnsureTopics(b.Context(), brokers, cfg.Prefix, 12, 1); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				s := startShipper(b, j, cfg)
				s.waitShipped(b, j.Head()+1)
				b.StopTimer()
				s.stop(b)
				b.StartTimer()
			}
			reportRate(b, n*b.N, bytes*int64(b.N))
		})
	}
}

// BenchmarkRawWriter is the ceiling for BenchmarkShip on the same broker:
// the same records, already encoded, handed to a bare kafka-go Writer
// 50k at a time with the same acks, balancer and batch limits.
func BenchmarkRawWriter(b *testing.B) {
	brokers := testenv.Kafka(b)
	n := benchEvents(b)
	seqs := map[string]uint64{}
	msgs := make([]kafka.Message, n)
	var bytes int64
	for i := range msgs {
		m, err := kafkalog.Encode(benchEnvelope(i, seqs))
		if err != nil {
			b.Fatal(err)
		}
		msgs[i] = m
		bytes += int64(len(m.Value))
	}
	for b.Loop() {
		b.StopTimer()
		prefix := testenv.Unique("kafkalog-bench-") + "."
		if err := kafkalog.EnsureTopics(b.Context(), brokers, prefix, 12, 1); err != nil {
			b.Fatal(err)
		}
		w := &kafka.Writer{
			Addr: kafka.TCP(brokers...), Topic: kafkalog.TopicNames(prefix).Events,
			Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
			BatchSize: kafkalog.DefaultBatchSize, BatchBytes: kafkalog.DefaultBatchBytes,
			BatchTimeout: kafkalog.DefaultBatchTimeout,
			// A transport of its own: kafka-go's shared DefaultTransport
			// caches metadata and can answer Unknown Topic for a topic
			// created a moment ago.
			Transport: &kafka.Transport{},
		}
		b.StartTimer()
		const chunk = 50_000
		for i := 0; i < n; i += chunk {
			if err := w.WriteMessages(b.Context(), msgs[i:min(n, i+chunk)]...); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		w.Close()
		b.StartTimer()
	}
	reportRate(b, n*b.N, bytes*int64(b.N))
}

// BenchmarkVerifyTopic ships a pre-filled journal once, then times
// VerifyTopic over the whole topic: the partition chains alone (what an
// auditor with only topic access runs), and with the journal comparison
// that `softswitch audit verify --kafka` adds. Run with -benchtime=1x.
func BenchmarkVerifyTopic(b *testing.B) {
	brokers := testenv.Kafka(b)
	n := benchEvents(b)
	j, topic := shippedTopic(b, brokers, n)
	digests := map[string][32]byte{}
	err := j.Read(b.Context(), 1, func(env domain.Envelope) error {
		d, err := kafkalog.EnvelopeDigest(env)
		digests[env.ID] = d
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		journal map[string][32]byte
	}{{"chains", nil}, {"chains+journal", digests}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				res, err := kafkalog.VerifyTopic(b.Context(), brokers, topic, "node-a", tc.journal, 0)
				if err != nil || !res.OK() || res.Chains.Linked != n {
					b.Fatalf("VerifyTopic = %+v, %v; want %d linked", res, err, n)
				}
			}
			reportRate(b, n*b.N, 0)
		})
	}
	// The ceiling on the same broker: bare kafka-go readers over the same
	// partitions, four at a time, doing nothing with the records.
	b.Run("bare-reader", func(b *testing.B) {
		for b.Loop() {
			if got := readAll(b, brokers, topic, 12, 4); got != n {
				b.Fatalf("read %d records, want %d", got, n)
			}
		}
		reportRate(b, n*b.N, 0)
	})
}

func readAll(b *testing.B, brokers []string, topic string, parts, parallel int) int {
	var total atomic.Int64
	slots := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			lead, err := kafka.DialLeader(b.Context(), "tcp", brokers[0], topic, p)
			if err != nil {
				b.Error(err)
				return
			}
			first, last, err := lead.ReadOffsets()
			lead.Close()
			if err != nil || last <= first {
				return
			}
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: p,
				MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 100 * time.Millisecond, QueueCapacity: 4096})
			defer r.Close()
			for {
				msg, err := r.FetchMessage(b.Context())
				if err != nil {
					b.Error(err)
					return
				}
				total.Add(1)
				if msg.Offset >= last-1 {
					return
				}
			}
		})
	}
	wg.Wait()
	return int(total.Load())
}

// BenchmarkReadAggregate is an auditor's replay from Kafka (replay
// --source kafka) of one call a fifth into a log of SOFTSWITCH_BENCH_EVENTS
// envelopes (7,000 events/s of event time): from the partition's start,
// and --since the call's start. Both stop afterEnd past its call.ended.
// Run with -benchtime 5x.
func BenchmarkReadAggregate(b *testing.B) {
	brokers := testenv.Kafka(b)
	n := benchEvents(b)
	_, topic := shippedTopic(b, brokers, n)
	// An auditor's replay from Kafka (replay --source kafka) of a call a
	// fifth into the log: from the partition's start, and --since the
	// call's start, which then stops afterEnd past its call.ended.
	// Call k has all four events when 4k ≡ 1 (mod 5), none of them an
	// aor: event.
	k := n/20/5*5 + 4
	call := benchEnvelope(4*k, map[string]uint64{})
	for _, tc := range []struct {
		name  string
		since time.Time
	}{{"from-start", time.Time{}}, {"since", call.Time}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				envs, err := kafkalog.ReadAggregate(b.Context(), brokers, topic, call.Aggregate, tc.since)
				if err != nil || len(envs) != 4 || envs[3].Type != domain.TypeCallEnded {
					b.Fatalf("ReadAggregate(%s) = %d envelopes, %v; want the call's 4", call.Aggregate, len(envs), err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/call")
		})
	}
}

// shippedTopic ships a journal of n bench envelopes to a fresh events
// topic and returns both.
func shippedTopic(b *testing.B, brokers []string, n int) (*journal.Journal, string) {
	j, _ := prefilled(b, n)
	cfg := kafkalog.Config{Brokers: brokers, Prefix: testenv.Unique("kafkalog-bench-") + ".", DataDir: b.TempDir()}
	s := startShipper(b, j, cfg)
	s.waitShipped(b, j.Head()+1)
	s.stop(b)
	return j, kafkalog.TopicNames(cfg.Prefix).Events
}
