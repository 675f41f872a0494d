package kafkalog

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"softswitch/domain"
)

// TopicCheck is what VerifyTopic found: the partition chains of every
// node, and the node's records compared with its own journal.
type TopicCheck struct {
	Scanned    int        `json:"scanned"`    // records read, every node's
	Chains     ChainCheck `json:"chains"`     // HeaderChain of every node's records
	Records    int        `json:"records"`    // records of the node compared with the journal
	Matched    int        `json:"matched"`    // equal to their journal envelope
	Duplicates int        `json:"duplicates"` // redelivered copies (at-least-once), equal too
	Tampered   []string   `json:"tampered"`   // "partition@offset id": differs from the journal
	Forged     []string   `json:"forged"`     // "partition@offset id": no such event in the journal
	Missing    int        `json:"missing"`    // journal events the topic lacks
	// Later counts the node's records shipped after the journal snapshot
	// (journal position at or past it): judged by the next verify.
	Later   int     `json:"later"`
	Elapsed string  `json:"elapsed"`
	Seconds float64 `json:"seconds"`
}

// OK tells whether the chains hold and the topic holds exactly the
// journal's events.
func (c TopicCheck) OK() bool {
	return c.Chains.OK() && len(c.Tampered) == 0 && len(c.Forged) == 0 && c.Missing == 0
}

// EnvelopeDigest is what a record is compared by: the SHA-256 of the
// envelope as the shipper encodes it (Encode's value).
func EnvelopeDigest(env domain.Envelope) ([32]byte, error) {
	b, err := json.Marshal(env)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// VerifyTopic reads every partition of topic to its end. It checks the
// partition chain of every node that wrote to it (ChainCheck), and, when
// journal is not nil, compares the records written by node with journal,
// the digests of the node's journal envelopes by event id (those up to
// the shipper's checkpoint): a record that differs is tampered, one the
// journal lacks is forged, and a journal event no record carries is
// missing. The chains alone catch a changed, deleted or reordered record
// of any node; the journal comparison, anchored by the journal's own
// chain, also catches a record appended with a correctly computed link.
//
// A running node keeps shipping while this reads: a record of the node
// whose journal position is at or past below (the snapshot's end) is not
// in journal yet and is counted as Later, not forged. below 0 judges
// every record.
func VerifyTopic(ctx context.Context, brokers []string, topic, node string, journal map[string][32]byte, below uint64) (TopicCheck, error) {
	start := time.Now()
	var res TopicCheck
	conn, err := kafka.DialContext(ctx, "tcp", brokers[0])
	if err != nil {
		return res, err
	}
	parts, err := conn.ReadPartitions(topic)
	conn.Close()
	if err != nil {
		return res, fmt.Errorf("kafkalog: partitions of %s: %w", topic, err)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].ID < parts[j].ID })
	// Partitions are independent chains, so they are read side by side:
	// one reader alone waits on the broker more than it computes.
	vs := make([]*topicVerifier, len(parts))
	errs := make([]error, len(parts))
	slots := make(chan struct{}, verifyParallel)
	var wg sync.WaitGroup
	for i, p := range parts {
		vs[i] = &topicVerifier{node: node, journal: journal, below: below, seen: map[string]bool{}}
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			errs[i] = vs[i].partition(ctx, brokers, topic, p.ID)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return res, err
	}
	seen := make(map[string]bool, len(journal))
	for _, v := range vs {
		res.merge(v.res)
		for id := range v.seen {
			if seen[id] {
				// Matched on two partitions: the second is a copy.
				res.Matched--
				res.Duplicates++
			}
			seen[id] = true
		}
	}
	for id := range journal {
		if !seen[id] {
			res.Missing++
		}
	}
	res.Chains.sortMid()
	res.Seconds = time.Since(start).Seconds()
	res.Elapsed = time.Since(start).Round(time.Millisecond).String()
	return res, nil
}

// verifyParallel is how many partitions VerifyTopic reads at once.
const verifyParallel = 4

// merge adds the result of one partition, kept in partition order.
func (c *TopicCheck) merge(p TopicCheck) {
	c.Scanned += p.Scanned
	c.Records += p.Records
	c.Matched += p.Matched
	c.Duplicates += p.Duplicates
	c.Later += p.Later
	c.Tampered = append(c.Tampered, p.Tampered...)
	c.Forged = append(c.Forged, p.Forged...)
	c.Chains.Linked += p.Chains.Linked
	c.Chains.Redelivered += p.Chains.Redelivered
	c.Chains.MidChain = append(c.Chains.MidChain, p.Chains.MidChain...)
	c.Chains.Breaks = append(c.Chains.Breaks, p.Chains.Breaks...)
}

// topicVerifier checks one partition.
type topicVerifier struct {
	node    string
	journal map[string][32]byte
	below   uint64
	seen    map[string]bool
	res     TopicCheck
}

func (v *topicVerifier) partition(ctx context.Context, brokers []string, topic string, part int) error {
	conn, err := kafka.DialLeader(ctx, "tcp", brokers[0], topic, part)
	if err != nil {
		return err
	}
	defer conn.Close()
	first, last, err := conn.ReadOffsets()
	if err != nil || last <= first {
		return err
	}
	chains := newPartitionChains(part, first, &v.res.Chains)
	return scanPartition(ctx, conn, first, last, func(msg kafka.Message) bool {
		v.res.Scanned++
		v.record(part, msg, chains)
		return true
	})
}

// record checks one record. Identity comes from the id and node headers,
// which a record made by Encode always has; a record without them (one
// written by hand) is decoded instead. Comparing the value's digest with
// the journal's makes a lying header harmless: it only changes which
// digest a changed value fails against.
func (v *topicVerifier) record(part int, msg kafka.Message, chains *partitionChains) {
	where := func() string { return fmt.Sprintf("%d@%d", part, msg.Offset) }
	id, node, ok := identity(msg)
	if !ok {
		v.res.Forged = append(v.res.Forged, where()+" (not an envelope)")
		return
	}
	chains.add(msg, node, id)
	if node != v.node || v.journal == nil {
		return
	}
	v.res.Records++
	want, ok := v.journal[id]
	switch {
	case !ok && v.shippedLater(msg):
		v.res.Later++
	case !ok:
		v.res.Forged = append(v.res.Forged, where()+" "+id)
	case sha256.Sum256(msg.Value) != want:
		v.res.Tampered = append(v.res.Tampered, where()+" "+id)
	case v.seen[id]:
		v.res.Duplicates++
	default:
		v.seen[id] = true
		v.res.Matched++
	}
}

// shippedLater tells whether a record the journal snapshot lacks carries
// a position past the snapshot, as the node's later events do.
func (v *topicVerifier) shippedLater(msg kafka.Message) bool {
	if v.below == 0 {
		return false
	}
	var env struct {
		Position uint64 `json:"position"`
	}
	return json.Unmarshal(msg.Value, &env) == nil && env.Position >= v.below
}

func identity(msg kafka.Message) (id, node string, ok bool) {
	var hasID, hasNode bool
	for _, h := range msg.Headers {
		switch h.Key {
		case HeaderID:
			id, hasID = string(h.Value), true
		case HeaderNode:
			node, hasNode = string(h.Value), true
		}
	}
	if hasID && hasNode && id != "" {
		return id, node, true
	}
	var env domain.Envelope
	if err := json.Unmarshal(msg.Value, &env); err != nil || env.ID == "" {
		return "", "", false
	}
	return env.ID, env.Node, true
}

// ShippedBefore is the shipper's checkpoint for the node whose data
// directory is dataDir: journal positions below it are on Kafka.
func ShippedBefore(dataDir, prefix string) (uint64, error) {
	st, err := newCheckpoint(dataDir, TopicNames(prefix).Events).load()
	return st.next, err
}
