package kafkalog

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/segmentio/kafka-go"

	"softswitch/domain"
)

// TopicCheck is what VerifyTopic found: the node's records on the topic
// compared with the node's own journal.
type TopicCheck struct {
	Records    int      `json:"records"`    // records of the node read from the topic
	Matched    int      `json:"matched"`    // equal to their journal envelope
	Duplicates int      `json:"duplicates"` // redelivered copies (at-least-once), equal too
	Tampered   []string `json:"tampered"`   // "partition@offset id": differs from the journal
	Forged     []string `json:"forged"`     // "partition@offset id": no such event in the journal
	Missing    int      `json:"missing"`    // journal events the topic lacks
	Elapsed    string   `json:"elapsed"`
}

// OK tells whether the topic holds exactly the journal's events.
func (c TopicCheck) OK() bool { return len(c.Tampered) == 0 && len(c.Forged) == 0 && c.Missing == 0 }

// EnvelopeDigest is what a record is compared by: the SHA-256 of the
// envelope as the shipper encodes it (Encode's value).
func EnvelopeDigest(env domain.Envelope) ([32]byte, error) {
	b, err := json.Marshal(env)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// VerifyTopic reads every partition of topic to its end and checks the
// records written by node against journal, the digests of the node's
// journal envelopes by event id (those up to the shipper's checkpoint):
// a record that differs is tampered, one the journal lacks is forged, and
// a journal event no record carries is missing. Other nodes' records are
// skipped: each node vouches for its own. The topic has no chain of its
// own; the journal's hash chain (journal.Verify) is what makes the
// comparison evidence.
func VerifyTopic(ctx context.Context, brokers []string, topic, node string, journal map[string][32]byte) (TopicCheck, error) {
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
	seen := make(map[string]bool, len(journal))
	for _, p := range parts {
		if err := verifyPartition(ctx, brokers, topic, p.ID, node, journal, seen, &res); err != nil {
			return res, err
		}
	}
	for id := range journal {
		if !seen[id] {
			res.Missing++
		}
	}
	res.Elapsed = time.Since(start).Round(time.Millisecond).String()
	return res, nil
}

func verifyPartition(ctx context.Context, brokers []string, topic string, part int, node string,
	journal map[string][32]byte, seen map[string]bool, res *TopicCheck) error {
	lead, err := kafka.DialLeader(ctx, "tcp", brokers[0], topic, part)
	if err != nil {
		return err
	}
	first, last, err := lead.ReadOffsets()
	lead.Close()
	if err != nil || last <= first {
		return err
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, Partition: part,
		MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	if err := r.SetOffset(first); err != nil {
		return err
	}
	for {
		msg, err := r.FetchMessage(ctx)
		if err != nil {
			return err
		}
		where := fmt.Sprintf("%d@%d", part, msg.Offset)
		var env domain.Envelope
		if err := json.Unmarshal(msg.Value, &env); err != nil {
			res.Forged = append(res.Forged, where+" (not an envelope)")
		} else if env.Node == node {
			res.Records++
			want, ok := journal[env.ID]
			got, _ := EnvelopeDigest(env)
			switch {
			case !ok:
				res.Forged = append(res.Forged, where+" "+env.ID)
			case got != want:
				res.Tampered = append(res.Tampered, where+" "+env.ID)
			case seen[env.ID]:
				res.Duplicates++
			default:
				seen[env.ID] = true
				res.Matched++
			}
		}
		if msg.Offset >= last-1 {
			return nil
		}
	}
}

// ShippedBefore is the shipper's checkpoint for the node whose data
// directory is dataDir: journal positions below it are on Kafka.
func ShippedBefore(dataDir, prefix string) (uint64, error) {
	return newCheckpoint(dataDir, TopicNames(prefix).Events).load()
}
