package cdr_test

import (
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"strconv"
	"sync"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"softswitch/billing/cdr"
	"softswitch/domain"
)

// partLog is a log split into partitions by aggregate, as the Kafka shipper
// keys it: one call's events stay in one partition, in order.
type partLog [][]domain.Envelope

func partitionLog(envs []domain.Envelope, n int) partLog {
	parts := make(partLog, n)
	for _, env := range envs {
		h := fnv.New32a()
		_, _ = h.Write([]byte(env.Aggregate))
		p := int(h.Sum32() % uint32(n))
		env.Position = 0 // the source position means nothing in a partition
		parts[p] = append(parts[p], env)
	}
	return parts
}

// commits records the committed next offset of every partition, as a
// consumer group would, and refuses to let it go backwards unnoticed.
type commits struct {
	mu   sync.Mutex
	next map[int]int64
	back int // commits that moved a partition backwards
}

func newCommits() *commits { return &commits{next: map[int]int64{}} }

func (c *commits) CommitOffsets(_ context.Context, _ string, next map[int]int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for part, off := range next {
		if off < c.next[part] {
			c.back++
		}
		c.next[part] = off
	}
	return nil
}

func (c *commits) of(part int) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.next[part]
}

const metaPart, metaOffset = "test_partition", "test_offset"

func locate(msg *message.Message) (int, int64, bool) {
	p, err1 := strconv.Atoi(msg.Metadata.Get(metaPart))
	o, err2 := strconv.ParseInt(msg.Metadata.Get(metaOffset), 10, 64)
	return p, o, err1 == nil && err2 == nil
}

func newPartitioned(t testing.TB, s cdr.Store, c *commits) *cdr.Partitioned {
	t.Helper()
	p, err := cdr.NewPartitioned(s, "events", c, locate, cdr.Config{BatchSize: 4}, discardLogger())
	must(t, err)
	return p
}

// feedPart hands partition part's messages at offsets [from, to) to p.
func feedPart(t testing.TB, p *cdr.Partitioned, log partLog, part int, from, to int64) {
	t.Helper()
	for off := from; off < to && off < int64(len(log[part])); off++ {
		env := log[part][off]
		payload, err := json.Marshal(env)
		must(t, err)
		msg := message.NewMessage(env.ID, payload)
		msg.Metadata.Set(metaPart, strconv.Itoa(part))
		msg.Metadata.Set(metaOffset, strconv.FormatInt(off, 10))
		if err := p.Handle(msg); err != nil {
			t.Fatalf("Handle partition %d offset %d: %v", part, off, err)
		}
	}
}

// TestPartitionedTakeover has consumer A crash part-way through every
// partition, and consumer B resume each partition from A's committed
// offsets, as a consumer group does when a member dies. The store must
// hold exactly the CDRs of one uninterrupted run.
func TestPartitionedTakeover(t *testing.T) {
	envs := mixedLog(t, 80, 10, 11)
	want := jsonString(t, reference(t, envs))
	log := partitionLog(envs, 3)
	for _, cutPct := range []int{0, 10, 50, 90, 100} {
		s, _ := newStore(t)
		c := newCommits()
		a := newPartitioned(t, s, c)
		for part := range log {
			feedPart(t, a, log, part, 0, int64(len(log[part])*cutPct/200))
		}
		must(t, a.Flush(context.Background()))
		for part := range log {
			feedPart(t, a, log, part, int64(len(log[part])*cutPct/200), int64(len(log[part])*cutPct/100))
		}
		// A crashes: whatever was not flushed is gone, commits stay.
		b := newPartitioned(t, s, c)
		for part := range log {
			feedPart(t, b, log, part, c.of(part), int64(len(log[part])))
		}
		must(t, b.Close(context.Background()))
		if got := jsonString(t, listAll(t, s)); got != want {
			t.Fatalf("cut %d%%: CDRs after takeover differ from one run", cutPct)
		}
		for part := range log {
			if got, wantNext := c.of(part), int64(len(log[part])); got != wantNext {
				t.Errorf("cut %d%%: partition %d committed %d, want %d", cutPct, part, got, wantNext)
			}
		}
		if c.back != 0 {
			t.Errorf("cut %d%%: %d commits moved backwards", cutPct, c.back)
		}
	}
}

// TestPartitionedRebalanceGap gives a partition back to a consumer after
// another one moved it on. The consumer must drop its stale open calls
// instead of holding the partition's watermark (and its commits) behind
// calls that ended elsewhere.
func TestPartitionedRebalanceGap(t *testing.T) {
	envs := mixedLog(t, 60, 8, 5)
	want := jsonString(t, reference(t, envs))
	log := partitionLog(envs, 1)
	n := int64(len(log[0]))
	s, _ := newStore(t)
	c := newCommits()
	a, b := newPartitioned(t, s, c), newPartitioned(t, s, c)

	feedPart(t, a, log, 0, 0, n/3)
	must(t, a.Flush(context.Background()))
	// The partition moves to b, which works from a's commit to 2/3.
	feedPart(t, b, log, 0, c.of(0), 2*n/3)
	must(t, b.Close(context.Background()))
	// And back to a, from b's commit: a gap from a's point of view.
	feedPart(t, a, log, 0, c.of(0), n)
	must(t, a.Close(context.Background()))

	if got := jsonString(t, listAll(t, s)); got != want {
		t.Fatal("CDRs after a rebalance differ from one run")
	}
	if c.of(0) != n {
		t.Errorf("committed %d, want %d", c.of(0), n)
	}
	if c.back != 0 {
		t.Errorf("%d commits moved backwards", c.back)
	}
}

// TestPartitionedPoison refuses an undecodable message as poison and a
// message without a partition as unplaceable.
func TestPartitionedPoison(t *testing.T) {
	s, _ := newStore(t)
	p := newPartitioned(t, s, newCommits())
	bad := message.NewMessage("x", []byte("{not json"))
	bad.Metadata.Set(metaPart, "0")
	bad.Metadata.Set(metaOffset, "0")
	if err := p.Handle(bad); !errors.Is(err, cdr.ErrPoison) {
		t.Errorf("undecodable message: %v, want ErrPoison", err)
	}
	if err := p.Handle(message.NewMessage("y", []byte("{}"))); !errors.Is(err, cdr.ErrNoPartition) {
		t.Errorf("message without partition: %v, want ErrNoPartition", err)
	}
}

// TestPartitionedFlushFailure fails the store once: nothing may be
// committed for the failed write, and the next flush writes every record.
func TestPartitionedFlushFailure(t *testing.T) {
	envs := mixedLog(t, 40, 6, 3)
	want := jsonString(t, reference(t, envs))
	log := partitionLog(envs, 2)
	s, _ := newStore(t)
	fs := &flakyStore{Store: s, fail: 1}
	c := newCommits()
	p, err := cdr.NewPartitioned(fs, "events", c, locate, cdr.Config{}, discardLogger())
	must(t, err)
	for part := range log {
		feedPart(t, p, log, part, 0, int64(len(log[part])))
	}
	if err := p.Flush(context.Background()); err == nil {
		t.Fatal("flush against a failing store succeeded")
	}
	for part := range log {
		if c.of(part) != 0 {
			t.Fatalf("partition %d committed %d after a failed write", part, c.of(part))
		}
	}
	must(t, p.Flush(context.Background()))
	if got := jsonString(t, listAll(t, s)); got != want {
		t.Fatal("CDRs after a failed and a good flush differ from one run")
	}
	for part := range log {
		if got := c.of(part); got != int64(len(log[part])) {
			t.Errorf("partition %d committed %d, want %d", part, got, len(log[part]))
		}
	}
}

// flakyStore fails its first fail writes.
type flakyStore struct {
	cdr.Store
	mu   sync.Mutex
	fail int
}

func (f *flakyStore) Put(ctx context.Context, cdrs []domain.CDR, cp uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		return errors.New("store down")
	}
	return f.Store.Put(ctx, cdrs, cp)
}
