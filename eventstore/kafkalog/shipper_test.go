package kafkalog_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/eventstore/journal"
	"softswitch/eventstore/kafkalog"
	"softswitch/eventstore/storetest"
	"softswitch/internal/testenv"
)

func testConfig(brokers []string, dataDir string) kafkalog.Config {
	return kafkalog.Config{
		Brokers: brokers,
		Prefix:  testenv.Unique("kafkalog-test-") + ".",
		DataDir: dataDir,
		// Small batches make the tests cross many batch boundaries.
		BatchSize:  300,
		MinBackoff: 20 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond,
	}
}

// requireTopic checks the topic holds exactly the journal's envelopes:
// every id, keys and headers matching, each aggregate on a single
// partition in seq order. Only when the shipper had to retry
// (redeliveries) may an id appear again, and then only after its first
// delivery, as part of an in-order rerun.
func requireTopic(t *testing.T, brokers []string, topic string, want []domain.Envelope, redeliveries bool) {
	t.Helper()
	byID := map[string]domain.Envelope{}
	for _, e := range want {
		byID[e.ID] = e
	}
	seen := map[string]bool{}
	partOf := map[string]int{}
	lastSeq := map[string]uint64{}
	total, dups := 0, 0
	for part, msgs := range readTopic(t, brokers, topic) {
		for _, m := range msgs {
			total++
			env, err := kafkalog.Decode(m)
			if err != nil {
				t.Fatalf("partition %d offset %d: %v", part, m.Offset, err)
			}
			w, ok := byID[env.ID]
			if !ok {
				t.Fatalf("unexpected envelope %s", env.ID)
			}
			if seen[env.ID] {
				if !redeliveries {
					t.Fatalf("envelope %s delivered twice without a retry", env.ID)
				}
				if env.Seq > lastSeq[env.Aggregate] {
					t.Fatalf("redelivered %s (seq %d) after only seq %d of %s", env.ID, env.Seq, lastSeq[env.Aggregate], env.Aggregate)
				}
				dups++
				continue
			}
			seen[env.ID] = true
			if !storetest.Same(env, w) {
				t.Fatalf("envelope differs:\n got %+v\nwant %+v", env, w)
			}
			if string(m.Key) != env.Aggregate {
				t.Fatalf("key %q for aggregate %q", m.Key, env.Aggregate)
			}
			hdr := map[string]string{}
			for _, h := range m.Headers {
				hdr[h.Key] = string(h.Value)
			}
			for k, v := range map[string]string{
				"id": env.ID, "type": env.Type, "version": strconv.Itoa(env.Version), "aggregate": env.Aggregate,
				"seq": strconv.FormatUint(env.Seq, 10), "node": env.Node, "time": env.Time.Format(time.RFC3339Nano),
			} {
				if hdr[k] != v {
					t.Fatalf("%s: header %s = %q, want %q", env.ID, k, hdr[k], v)
				}
			}
			if p, ok := partOf[env.Aggregate]; ok && p != part {
				t.Fatalf("aggregate %s on partitions %d and %d", env.Aggregate, p, part)
			}
			partOf[env.Aggregate] = part
			if env.Seq != lastSeq[env.Aggregate]+1 {
				t.Fatalf("aggregate %s: seq %d after %d", env.Aggregate, env.Seq, lastSeq[env.Aggregate])
			}
			lastSeq[env.Aggregate] = env.Seq
		}
	}
	if total-dups != len(want) || len(seen) != len(want) {
		t.Fatalf("topic holds %d records (%d redelivered), want %d", total, dups, len(want))
	}
	if dups > 0 {
		t.Logf("%d records redelivered after retries", dups)
	}
}

func readJournal(t *testing.T, j interface {
	Read(context.Context, uint64, func(domain.Envelope) error) error
}) []domain.Envelope {
	var out []domain.Envelope
	if err := j.Read(t.Context(), 1, func(e domain.Envelope) error { out = append(out, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestShipperShipsInOrder(t *testing.T) {
	brokers := testenv.Kafka(t)
	j := openJournal(t, t.TempDir())
	seqs := map[string]uint64{}
	fill(t, j, 0, 2000, seqs)
	cfg := testConfig(brokers, t.TempDir())
	s := startShipper(t, j, cfg)
	// Appends while the shipper runs are tailed, not only the backlog.
	fill(t, j, 2000, 1500, seqs)
	s.waitShipped(t, j.Head()+1)

	st := s.Stats()
	if st.Backlog != 0 || st.Shipped != 3500 || st.Head != 3500 || st.Lag != 0 || st.LastShip.IsZero() || st.Failures != 0 {
		t.Fatalf("Stats after shipping everything: %+v", st)
	}
	s.stop(t)
	requireTopic(t, brokers, kafkalog.TopicNames(cfg.Prefix).Events, readJournal(t, j), st.LastError != nil)
}

func TestShipperResumesFromCheckpoint(t *testing.T) {
	brokers := testenv.Kafka(t)
	j := openJournal(t, t.TempDir())
	seqs := map[string]uint64{}
	fill(t, j, 0, 700, seqs)
	cfg := testConfig(brokers, t.TempDir())
	s := startShipper(t, j, cfg)
	s.waitShipped(t, 701)
	first := s.Stats()
	s.stop(t)

	ckpt := filepath.Join(cfg.DataDir, "kafkalog-"+kafkalog.TopicNames(cfg.Prefix).Events+".checkpoint")
	if b, err := os.ReadFile(ckpt); err != nil || !strings.HasPrefix(string(b), "701\n0 ") {
		t.Fatalf("checkpoint %s = %q, %v; want 701 and the chain heads", ckpt, b, err)
	}
	fill(t, j, 700, 450, seqs)
	s = startShipper(t, j, cfg)
	s.waitShipped(t, 1151)
	st := s.Stats()
	if st.Shipped != 450 {
		t.Fatalf("restarted shipper shipped %d, want only the 450 new envelopes", st.Shipped)
	}
	s.stop(t)
	retried := st.LastError != nil || first.LastError != nil
	requireTopic(t, brokers, kafkalog.TopicNames(cfg.Prefix).Events, readJournal(t, j), retried)
	// The restart continued every partition chain from the checkpoint.
	res := verifyTopic(t, brokers, cfg, j)
	if !res.OK() || res.Chains.Linked != 1150 || (!retried && res.Chains.Redelivered != 0) {
		t.Fatalf("VerifyTopic after a restart: %+v", res)
	}
}

// TestShipperRedeliveryKeepsChains: a shipper that restarts from an older
// checkpoint (it crashed after Kafka's ack but before the checkpoint
// write) ships a suffix again; the copies carry the very links of the
// first delivery, so the chains hold and the copies are counted.
func TestShipperRedeliveryKeepsChains(t *testing.T) {
	brokers := testenv.Kafka(t)
	j := openJournal(t, t.TempDir())
	seqs := map[string]uint64{}
	fill(t, j, 0, 700, seqs)
	cfg := testConfig(brokers, t.TempDir())
	ckpt := filepath.Join(cfg.DataDir, "kafkalog-"+kafkalog.TopicNames(cfg.Prefix).Events+".checkpoint")
	s := startShipper(t, j, cfg)
	s.waitShipped(t, 701)
	s.stop(t)
	old, err := os.ReadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, j, 700, 450, seqs)
	s = startShipper(t, j, cfg)
	s.waitShipped(t, 1151)
	s.stop(t)
	if err := os.WriteFile(ckpt, old, 0o644); err != nil {
		t.Fatal(err)
	}
	s = startShipper(t, j, cfg)
	s.waitShipped(t, 1151)
	if st := s.Stats(); st.Shipped != 450 {
		t.Fatalf("shipped %d after the rewind, want the 450 again", st.Shipped)
	}
	s.stop(t)
	res := verifyTopic(t, brokers, cfg, j)
	if !res.OK() || res.Chains.Linked != 1150 || res.Chains.Redelivered < 450 || res.Duplicates < 450 {
		t.Fatalf("VerifyTopic after a redelivery: %+v", res)
	}
}

func verifyTopic(t *testing.T, brokers []string, cfg kafkalog.Config, j *journal.Journal) kafkalog.TopicCheck {
	t.Helper()
	digests := map[string][32]byte{}
	for _, env := range readJournal(t, j) {
		d, err := kafkalog.EnvelopeDigest(env)
		if err != nil {
			t.Fatal(err)
		}
		digests[env.ID] = d
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	res, err := kafkalog.VerifyTopic(ctx, brokers, kafkalog.TopicNames(cfg.Prefix).Events, "node-a", digests, 0)
	if err != nil {
		t.Fatalf("VerifyTopic: %v", err)
	}
	return res
}

// TestShipperBrokerDown needs no Kafka: the broker is a closed port.
func TestShipperBrokerDown(t *testing.T) {
	j := openJournal(t, t.TempDir())
	fill(t, j, 0, 120, map[string]uint64{})
	cfg := testConfig([]string{closedAddr(t)}, t.TempDir())
	s := startShipper(t, j, cfg)
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := s.Stats()
		if st.Failures >= 3 {
			if st.Backlog != 120 || st.Next != 1 || st.Shipped != 0 || st.LastError == nil || st.LastErrorTime.IsZero() {
				t.Fatalf("Stats while the broker is down: %+v", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no retries seen in 10s: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	s.stop(t)
	if d := time.Since(start); d > time.Second {
		t.Errorf("Run took %v to stop while retrying", d)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "kafkalog-"+kafkalog.TopicNames(cfg.Prefix).Events+".checkpoint")); !os.IsNotExist(err) {
		t.Fatalf("checkpoint written although nothing was acknowledged: %v", err)
	}
}

// TestShipperOutageThenRecovery starts against a dead broker address, then
// a live one, from the same checkpoint: nothing is lost or skipped.
func TestShipperOutageThenRecovery(t *testing.T) {
	brokers := testenv.Kafka(t)
	j := openJournal(t, t.TempDir())
	fill(t, j, 0, 400, map[string]uint64{})
	cfg := testConfig([]string{closedAddr(t)}, t.TempDir())
	down := startShipper(t, j, cfg)
	for down.Stats().Failures == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	down.stop(t)
	cfg.Brokers = brokers
	up := startShipper(t, j, cfg)
	up.waitShipped(t, 401)
	st := up.Stats()
	up.stop(t)
	if st.Failures != 0 {
		t.Fatalf("Failures = %d after recovery, want 0", st.Failures)
	}
	requireTopic(t, brokers, kafkalog.TopicNames(cfg.Prefix).Events, readJournal(t, j), st.LastError != nil)
}

func TestShipperRefusesCheckpointAhead(t *testing.T) {
	j := openJournal(t, t.TempDir())
	fill(t, j, 0, 5, map[string]uint64{})
	cfg := testConfig([]string{closedAddr(t)}, t.TempDir())
	path := filepath.Join(cfg.DataDir, "kafkalog-"+kafkalog.TopicNames(cfg.Prefix).Events+".checkpoint")
	if err := os.WriteFile(path, []byte("100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := kafkalog.NewShipper(j, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(t.Context()); !errors.Is(err, kafkalog.ErrBadCheckpoint) {
		t.Fatalf("Run with checkpoint past the head = %v, want ErrBadCheckpoint", err)
	}
}
