package kafkalog

import (
	"crypto/sha256"
	"fmt"
	"sort"

	"github.com/segmentio/kafka-go"
)

// ChainCheck is what the partition chains (HeaderChain) of a topic say,
// for every node that wrote to it. It needs no journal: anyone who can
// read the topic can check it.
type ChainCheck struct {
	Linked      int `json:"linked"`      // records that extend their writer's chain
	Redelivered int `json:"redelivered"` // at-least-once copies of a linked record, link and value equal
	// MidChain lists "partition/node" chains whose start retention has
	// deleted: their first record is taken on trust.
	MidChain []string `json:"mid_chain,omitempty"`
	// Breaks lists "partition@offset id: reason", in topic order.
	Breaks []string `json:"breaks,omitempty"`
}

// OK tells whether every chain held.
func (c ChainCheck) OK() bool { return len(c.Breaks) == 0 }

// writerChain follows one node's chain on one partition.
type writerChain struct {
	head    Chain
	started bool
	// seen maps each link to how it was made, to tell a redelivered copy
	// (same link, same value) from a copy with another value under a
	// stolen link.
	seen map[Chain]madeOf
}

// madeOf is what a link was made over: its predecessor when the chain
// vouched for it, so a copy costs one hash to check only when a copy
// comes; otherwise (a chain's first record on trust, a record after a
// break) the digest of its value, the only thing left to compare.
type madeOf struct {
	prev   Chain
	digest [sha256.Size]byte
	linked bool
}

// same tells whether value is the value link c was made of.
func (m madeOf) same(c Chain, value []byte) bool {
	if m.linked {
		return Link(m.prev, value) == c
	}
	return sha256.Sum256(value) == m.digest
}

// partitionChains checks the chains of one partition, record by record
// in offset order.
type partitionChains struct {
	part    int
	midOK   bool // the partition's log no longer starts at offset 0
	writers map[string]*writerChain
	res     *ChainCheck
}

func newPartitionChains(part int, firstOffset int64, res *ChainCheck) *partitionChains {
	return &partitionChains{part: part, midOK: firstOffset > 0, writers: map[string]*writerChain{}, res: res}
}

// add checks msg, written by node (its envelope's node) with event id id.
func (p *partitionChains) add(msg kafka.Message, node, id string) {
	w := p.writers[node]
	if w == nil {
		w = &writerChain{seen: map[Chain]madeOf{}}
		p.writers[node] = w
	}
	hdr, ok := ChainHeader(msg.Headers)
	if !ok {
		// Every record the shipper writes is linked, so this one was
		// written by something else.
		p.brk(msg, id, "no chain header (not written by a shipper)")
		return
	}
	c, err := ParseChain(hdr)
	if err != nil {
		p.brk(msg, id, err.Error())
		return
	}
	if m, ok := w.seen[c]; ok {
		if m.same(c, msg.Value) {
			p.res.Redelivered++
		} else {
			p.brk(msg, id, "the value differs from the record that made this link (a tampered copy)")
		}
		return
	}
	if Link(w.head, msg.Value) == c {
		p.res.Linked++
		w.seen[c] = madeOf{prev: w.head, linked: true}
		w.head, w.started = c, true
		return
	}
	switch {
	case !w.started && p.midOK:
		// Retention deleted this chain's beginning: nothing left links to
		// the first record, so it starts the chain on trust.
		p.res.MidChain = append(p.res.MidChain, fmt.Sprintf("%d/%s", p.part, node))
	case w.started && Link(Chain{}, msg.Value) == c:
		p.brk(msg, id, "node "+node+"'s chain restarts from zero (its shipping checkpoint was lost)")
	case !w.started:
		p.brk(msg, id, "node "+node+"'s first record does not link from zero (records before it deleted)")
	default:
		p.brk(msg, id, "does not link to node "+node+"'s previous record (a record changed, deleted or reordered before it)")
	}
	// After a break the chain continues from what the topic holds, so one
	// change is reported once, not at every record after it.
	w.head, w.started = c, true
	w.seen[c] = madeOf{digest: sha256.Sum256(msg.Value)}
}

func (p *partitionChains) brk(msg kafka.Message, id, reason string) {
	p.res.Breaks = append(p.res.Breaks, fmt.Sprintf("%d@%d %s: %s", p.part, msg.Offset, id, reason))
}

// sortMid keeps reports stable for tests and diffs.
func (c *ChainCheck) sortMid() { sort.Strings(c.MidChain) }

// ChainChecker checks the chains of one partition record by record, in
// offset order, for a reader other than VerifyTopic (the kafkastore
// adapter's single-writer topics).
type ChainChecker struct {
	p   *partitionChains
	res ChainCheck
}

// NewChainChecker checks partition part, whose log starts at
// firstOffset (above 0 once retention deleted its beginning).
func NewChainChecker(part int, firstOffset int64) *ChainChecker {
	c := &ChainChecker{}
	c.p = newPartitionChains(part, firstOffset, &c.res)
	return c
}

// Add checks msg, the next record, written by writer (whose chain it
// extends) and carrying event id.
func (c *ChainChecker) Add(msg kafka.Message, writer, id string) { c.p.add(msg, writer, id) }

// Result is what the records added so far say.
func (c *ChainChecker) Result() ChainCheck {
	c.res.sortMid()
	return c.res
}
