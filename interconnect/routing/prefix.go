package routing

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// PrefixEntry is one prefix and its value for NewPrefixTable.
type PrefixEntry[V any] struct {
	Prefix string
	Value  V
}

// PrefixTable maps digit-string prefixes to values and answers
// longest-prefix-match queries. It is a digit trie whose nodes live in one
// slice: each node keeps a 10-bit mask of the digits that have a child and
// the index of its first child, the children of a node being contiguous in
// digit order, so a step is one mask test, a popcount and one 12-byte load.
// Nodes are laid out depth-first, which puts the single-child tails of long
// prefixes in consecutive memory. The table is immutable after
// NewPrefixTable and safe for concurrent readers.
type PrefixTable[V any] struct {
	nodes  []trieNode
	values []V
}

type trieNode struct {
	child int32  // index of the first child; meaningful when mask != 0
	val   int32  // index into values, or -1
	mask  uint16 // bit d set when the node has a child for digit d
}

// NewPrefixTable builds a table from entries. Prefixes must be ASCII
// digits; the empty prefix matches every input (a default). A repeated
// prefix or a non-digit is an error naming the entry's index.
func NewPrefixTable[V any](entries []PrefixEntry[V]) (*PrefixTable[V], error) {
	for i, e := range entries {
		if !isDigits(e.Prefix) {
			return nil, fmt.Errorf("entry %d: %w %q", i, ErrInvalidPrefix, e.Prefix)
		}
	}
	order := make([]int32, len(entries))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(entries[a].Prefix, entries[b].Prefix) })
	for k := 1; k < len(order); k++ {
		if entries[order[k]].Prefix == entries[order[k-1]].Prefix {
			i, j := min(order[k], order[k-1]), max(order[k], order[k-1])
			return nil, fmt.Errorf("entry %d: %w %q (also entry %d)", j, ErrDuplicatePrefix, entries[j].Prefix, i)
		}
	}
	t := &PrefixTable[V]{
		nodes:  make([]trieNode, 1, len(entries)+1),
		values: make([]V, len(entries)),
	}
	for i, e := range entries {
		t.values[i] = e.Value
	}
	t.nodes[0] = trieNode{val: -1}
	b := builder[V]{t: t, entries: entries, order: order}
	b.build(0, 0, 0, len(order))
	t.nodes = slices.Clip(t.nodes)
	return t, nil
}

type builder[V any] struct {
	t       *PrefixTable[V]
	entries []PrefixEntry[V]
	order   []int32 // entry indexes sorted by prefix
}

// build fills node n, whose path is depth digits long, from the sorted
// entries order[lo:hi], all of which start with that path.
func (b *builder[V]) build(n int32, depth, lo, hi int) {
	if lo < hi && len(b.entries[b.order[lo]].Prefix) == depth {
		b.t.nodes[n].val = b.order[lo]
		lo++
	}
	if lo == hi {
		return
	}
	var mask uint16
	for k := lo; k < hi; k++ {
		mask |= 1 << (b.entries[b.order[k]].Prefix[depth] - '0')
	}
	first := int32(len(b.t.nodes))
	for range bits.OnesCount16(mask) {
		b.t.nodes = append(b.t.nodes, trieNode{val: -1})
	}
	b.t.nodes[n].child = first
	b.t.nodes[n].mask = mask
	child := first
	for k := lo; k < hi; {
		d := b.entries[b.order[k]].Prefix[depth]
		end := k + 1
		for end < hi && b.entries[b.order[end]].Prefix[depth] == d {
			end++
		}
		b.build(child, depth+1, k, end)
		child++
		k = end
	}
}

// Lookup returns the value of the longest prefix of s in the table and
// that prefix's length. A non-digit in s ends the match there.
func (t *PrefixTable[V]) Lookup(s string) (v V, n int, ok bool) {
	nodes := t.nodes
	if len(nodes) == 0 {
		return v, 0, false
	}
	nd := &nodes[0]
	best := nd.val
	for k := 0; k < len(s); k++ {
		d := s[k] - '0'
		if d > 9 {
			break
		}
		bit := uint16(1) << d
		if nd.mask&bit == 0 {
			break
		}
		nd = &nodes[nd.child+int32(bits.OnesCount16(nd.mask&(bit-1)))]
		if nd.val >= 0 {
			best, n = nd.val, k+1
		}
	}
	if best < 0 {
		return v, 0, false
	}
	return t.values[best], n, true
}

// Len returns the number of prefixes in the table.
func (t *PrefixTable[V]) Len() int { return len(t.values) }

// Nodes returns the number of trie nodes, for sizing (12 bytes each).
func (t *PrefixTable[V]) Nodes() int { return len(t.nodes) }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
