package kafkalog

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/segmentio/kafka-go"
)

// HeaderChain carries a record's link in its writer's hash chain on its
// partition, in hex: SHA-256(previous link || record value).
//
// A partition is shared by every node that ships to the topic, and no
// node knows what the others wrote, so the chain is per (node, partition):
// a node's records on a partition, in offset order and without the
// copies at-least-once delivery adds, form h_i = SHA-256(h_{i-1} ||
// value_i) with h_0 = 32 zero bytes. Kafka's idempotent producer keeps its
// sequence numbers per (producer, partition) for the same reason.
//
// The value is the whole envelope (Encode), so the link covers id, type,
// payload, node, time and seq; the other headers only repeat it.
const HeaderChain = "chain"

// Chain is one link of a partition chain.
type Chain [sha256.Size]byte

// String is the hex form the header and the checkpoint use.
func (c Chain) String() string { return hex.EncodeToString(c[:]) }

// ParseChain reads the hex form of a Chain (a chain header).
func ParseChain(s []byte) (Chain, error) {
	var c Chain
	if len(s) != 2*len(c) {
		return c, fmt.Errorf("chain %q: want %d hex digits", truncate(string(s), 80), 2*len(c))
	}
	if _, err := hex.Decode(c[:], s); err != nil {
		return c, fmt.Errorf("chain %q: %w", truncate(string(s), 80), err)
	}
	return c, nil
}

// Link is the chain value of a record with value after prev.
func Link(prev Chain, value []byte) Chain {
	h := sha256.New()
	h.Write(prev[:])
	h.Write(value)
	var c Chain
	h.Sum(c[:0])
	return c
}

// ChainHeader returns the chain header among headers, if any.
func ChainHeader(headers []kafka.Header) ([]byte, bool) {
	for _, h := range headers {
		if h.Key == HeaderChain {
			return h.Value, true
		}
	}
	return nil, false
}
