package kafkabus_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"softswitch/eventstore/kafkabus"
	"softswitch/internal/testenv"
)

type receipt struct {
	member int
	uuid   string
}

// collect acks everything from ch and reports it on got until ch closes.
func collect(member int, ch <-chan *message.Message, got chan<- receipt, done chan<- struct{}) {
	defer close(done)
	for msg := range ch {
		msg.Ack()
		got <- receipt{member, msg.UUID}
	}
}

func publishKeyed(t *testing.T, pub *kafkabus.Publisher, topic string, n int, sent map[string]bool) {
	t.Helper()
	msgs := make([]*message.Message, n)
	for i := range msgs {
		msgs[i] = message.NewMessage(testenv.Unique("m-"), []byte("x"))
		msgs[i].Metadata.Set("aggregate", fmt.Sprintf("call:%d", i%40))
		sent[msgs[i].UUID] = true
	}
	if err := pub.Publish(topic, msgs...); err != nil {
		t.Fatal(err)
	}
}

// TestGroupTakeover: two members of one group share a 12-partition topic;
// when one closes, the other takes over its partitions from the committed
// offsets and nothing published is lost.
func TestGroupTakeover(t *testing.T) {
	brokers := brokersOf(t)
	topic, group := testenv.Unique("kafkabus-takeover-"), testenv.Unique("kafkabus-takeover-")
	if err := kafkabus.EnsureTopic(t.Context(), brokers, topic, 12, 1); err != nil {
		t.Fatal(err)
	}
	pub := newPublisher(t, brokers, 0)
	cfg := kafkabus.SubscriberConfig{Brokers: brokers, ConsumerGroup: group}
	subs := []*kafkabus.Subscriber{newSubscriber(t, cfg), newSubscriber(t, cfg)}
	got := make(chan receipt, 1024)
	done := make([]chan struct{}, len(subs))
	for i, sub := range subs {
		ch, err := sub.Subscribe(t.Context(), topic)
		if err != nil {
			t.Fatal(err)
		}
		done[i] = make(chan struct{})
		go collect(i, ch, got, done[i])
	}

	sent := map[string]bool{}
	received := map[string]bool{}
	perMember := make([]int, len(subs))
	deadline := time.After(wait)
	// Publish until both members have received something: until the group
	// has settled, the first member may own every partition.
	for perMember[0] == 0 || perMember[1] == 0 {
		publishKeyed(t, pub, topic, 48, sent)
		drain := time.After(200 * time.Millisecond)
	collecting:
		for {
			select {
			case r := <-got:
				received[r.uuid] = true
				perMember[r.member]++
			case <-drain:
				break collecting
			case <-deadline:
				t.Fatalf("members did not share the topic: received %v", perMember)
			}
		}
	}

	if err := subs[0].Close(); err != nil {
		t.Fatal(err)
	}
	<-done[0]
	afterClose := map[string]bool{}
	publishKeyed(t, pub, topic, 240, afterClose)
	for uuid := range afterClose {
		sent[uuid] = true
	}
	for len(received) < len(sent) {
		select {
		case r := <-got:
			received[r.uuid] = true
			if r.member == 0 && afterClose[r.uuid] {
				t.Fatalf("closed member received %s", r.uuid)
			}
		case <-deadline:
			t.Fatalf("received %d of %d after takeover", len(received), len(sent))
		}
	}
	for uuid := range sent {
		if !received[uuid] {
			t.Fatalf("lost %s", uuid)
		}
	}
	t.Logf("member 0 received %d, member 1 %d before the close; %d messages in all", perMember[0], perMember[1], len(sent))
}

// TestManualCommit: with ManualCommit, an Ack commits nothing; a member
// restarting in the group resumes at the offset passed to Commit.
func TestManualCommit(t *testing.T) {
	brokers := brokersOf(t)
	topic, group := testenv.Unique("kafkabus-commit-"), testenv.Unique("kafkabus-commit-")
	pub := newPublisher(t, brokers, 1)
	var msgs []*message.Message
	for i := range 10 {
		msgs = append(msgs, message.NewMessage(fmt.Sprintf("m-%d", i), []byte("x")))
	}
	if err := pub.Publish(topic, msgs...); err != nil {
		t.Fatal(err)
	}
	cfg := kafkabus.SubscriberConfig{Brokers: brokers, ConsumerGroup: group, ManualCommit: true}

	tests := []struct {
		name      string
		commit    int64 // next offset to commit after reading; -1 commits nothing
		wantFirst string
		multi     bool // commit through CommitOffsets
	}{
		// Acks alone leave the group at the start.
		{"AcksDoNotCommit", -1, "m-0", false},
		{"ResumeAtCommitted", 4, "m-0", false},
		{"AfterCommit", 7, "m-4", true},
		{"AfterCommitOffsets", -1, "m-7", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sub := newSubscriber(t, cfg)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			ch, err := sub.Subscribe(ctx, topic)
			if err != nil {
				t.Fatal(err)
			}
			first := receive(t, ch)
			if first.UUID != tc.wantFirst {
				t.Fatalf("first message %s, want %s", first.UUID, tc.wantFirst)
			}
			if off, _ := kafkabus.OffsetFromCtx(first.Context()); fmt.Sprintf("m-%d", off) != first.UUID {
				t.Fatalf("offset %d for %s", off, first.UUID)
			}
			for first := first.UUID; first != "m-9"; {
				first = receive(t, ch).UUID
			}
			switch {
			case tc.commit >= 0 && tc.multi:
				if err := sub.CommitOffsets(t.Context(), topic, map[int]int64{0: tc.commit}); err != nil {
					t.Fatal(err)
				}
			case tc.commit >= 0:
				if err := sub.Commit(t.Context(), topic, 0, tc.commit); err != nil {
					t.Fatal(err)
				}
			}
			if err := sub.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
