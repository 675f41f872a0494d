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
// digit order, so a step is one mask test, a popcount and one 8-byte load.
// The first levels are laid out breadth first and the deeper subtrees depth
// first (see layout). A direct index over the first few digits (head)
// replaces the walk of the first levels, so that a cold lookup of a long
// number pays one load for them instead of one per digit. The table is
// immutable after
// NewPrefixTable and safe for concurrent readers.
type PrefixTable[V any] struct {
	nodes  []trieNode
	values []V
	// head is a direct index over the first headDigits digits of an input:
	// head[n] is the node its first headDigits digits reach (when the path
	// ends sooner, the node where it ends, without children) with the
	// value of the longest prefix seen on the way, and headLen[n] that
	// prefix's length. A lookup of a long enough input thus starts with
	// one load instead of headDigits dependent ones. Empty when
	// headDigits is 0.
	head       []trieNode
	headLen    []uint8
	headDigits int
}

// trieNode packs a node in 8 bytes, so that more of the trie stays in
// cache: bits 0–9 are the mask (bit d set when the node has a child for
// digit d), bits 10–36 the index of the first child, bits 37–63 the value
// index plus one (0: no value).
type trieNode uint64

const (
	maskBits  = 10
	indexBits = 27
	indexMax  = 1<<indexBits - 1
	childMask = indexMax << maskBits
)

func (x trieNode) mask() uint16  { return uint16(x & (1<<maskBits - 1)) }
func (x trieNode) child() uint32 { return uint32(x>>maskBits) & indexMax }
func (x trieNode) val() int32    { return int32(x>>(maskBits+indexBits)) - 1 }

func (x trieNode) withVal(v int32) trieNode {
	return x&(1<<(maskBits+indexBits)-1) | trieNode(v+1)<<(maskBits+indexBits)
}

func (x trieNode) withChildren(first uint32, mask uint16) trieNode {
	return x&^(childMask|(1<<maskBits-1)) | trieNode(first)<<maskBits | trieNode(mask)
}

// NewPrefixTable builds a table from entries. Prefixes must be ASCII
// digits; the empty prefix matches every input (a default). A repeated
// prefix or a non-digit is an error naming the entry's index.
func NewPrefixTable[V any](entries []PrefixEntry[V]) (*PrefixTable[V], error) {
	if len(entries) >= indexMax {
		return nil, fmt.Errorf("%w: %d entries, at most %d", ErrTableTooLarge, len(entries), indexMax-1)
	}
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
	b := builder[V]{t: t, entries: entries, order: order}
	k := headDigitsFor(len(entries))
	b.layout(max(k, hotDepth(entries, order)))
	if b.overflow {
		return nil, fmt.Errorf("%w: more than %d trie nodes", ErrTableTooLarge, indexMax)
	}
	t.nodes = slices.Clip(t.nodes)
	t.buildHead(k)
	return t, nil
}

// headDigitsFor picks the depth k of the direct index: the largest k
// (at most maxHeadDigits) with 10^k <= 2 × the entries, so that the index
// (9 bytes an entry) stays within about a third of the trie's size: 6 for
// 1M prefixes (9 MiB beside a 23 MiB trie), 2 for China's 71 segments.
func headDigitsFor(entries int) int {
	k, size := 0, 1
	for k < maxHeadDigits && size*10 <= 2*entries {
		k++
		size *= 10
	}
	return k
}

const maxHeadDigits = 6

// buildHead fills the direct index over the first k digits.
func (t *PrefixTable[V]) buildHead(k int) {
	if k == 0 {
		return
	}
	size := 1
	for range k {
		size *= 10
	}
	t.head = make([]trieNode, size)
	t.headLen = make([]uint8, size)
	t.headDigits = k
	var digits [maxHeadDigits]byte
	for idx := range size {
		for i, r := k-1, idx; i >= 0; i-- {
			digits[i] = byte(r % 10)
			r /= 10
		}
		x := t.nodes[0]
		best, n := x.val(), 0
		for i := range k {
			bit := uint16(1) << digits[i]
			m := x.mask()
			if m&bit == 0 {
				x = 0 // the path ends: no children
				break
			}
			x = t.nodes[x.child()+uint32(bits.OnesCount16(m&(bit-1)))]
			if val := x.val(); val >= 0 {
				best, n = val, i+1
			}
		}
		t.head[idx] = x.withVal(best)
		t.headLen[idx] = uint8(n)
	}
}

// hotBudget bounds the nodes laid out level by level at the front of the
// arena: 256Ki nodes are 3 MiB, which stay in cache and within the TLB's
// reach, and are what every lookup walks first.
const hotBudget = 1 << 18

// hotDepth returns the deepest level d such that the trie's nodes of depth
// <= d fit in hotBudget. The count of nodes at depth d is the number of
// distinct d-digit prefixes of the (sorted) entries.
func hotDepth[V any](entries []PrefixEntry[V], order []int32) int {
	total := 1
	for d := 1; ; d++ {
		count := 0
		prev := ""
		for _, i := range order {
			p := entries[i].Prefix
			if len(p) >= d && (count == 0 || p[:d] != prev) {
				prev = p[:d]
				count++
			}
		}
		if count == 0 || total+count > hotBudget {
			return d - 1
		}
		total += count
	}
}

type builder[V any] struct {
	t       *PrefixTable[V]
	entries []PrefixEntry[V]
	order   []int32 // entry indexes sorted by prefix
	// overflow is set when the nodes outgrow the 27-bit child index.
	overflow bool
}

type pending struct {
	node          int32
	depth, lo, hi int
}

// layout places the nodes of depth <= hot level by level (breadth first)
// at the front of the arena, then each deeper subtree depth first in one
// contiguous run. A lookup thus walks the small hot front, then lands in a
// subtree whose nodes share a few cache lines and one page, instead of
// touching a different page at every level.
func (b *builder[V]) layout(hot int) {
	queue := []pending{{0, 0, 0, len(b.order)}}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p.depth >= hot {
			b.build(p.node, p.depth, p.lo, p.hi)
			continue
		}
		b.expand(p.node, p.depth, p.lo, p.hi, func(child int32, lo, hi int) {
			queue = append(queue, pending{child, p.depth + 1, lo, hi})
		})
	}
}

// build fills node n's subtree depth first.
func (b *builder[V]) build(n int32, depth, lo, hi int) {
	b.expand(n, depth, lo, hi, func(child int32, lo, hi int) { b.build(child, depth+1, lo, hi) })
}

// expand fills node n, whose path is depth digits long, from the sorted
// entries order[lo:hi], all of which start with that path: it sets the
// node's value, allocates its children in one block, and hands each child
// and its entries to next.
func (b *builder[V]) expand(n int32, depth, lo, hi int, next func(child int32, lo, hi int)) {
	if lo < hi && len(b.entries[b.order[lo]].Prefix) == depth {
		b.t.nodes[n] = b.t.nodes[n].withVal(b.order[lo])
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
	if len(b.t.nodes)+bits.OnesCount16(mask) > indexMax {
		b.overflow = true
		return
	}
	for range bits.OnesCount16(mask) {
		b.t.nodes = append(b.t.nodes, 0)
	}
	b.t.nodes[n] = b.t.nodes[n].withChildren(uint32(first), mask)
	child := first
	for k := lo; k < hi; {
		d := b.entries[b.order[k]].Prefix[depth]
		end := k + 1
		for end < hi && b.entries[b.order[end]].Prefix[depth] == d {
			end++
		}
		next(child, k, end)
		child++
		k = end
	}
}

// Lookup returns the value of the longest prefix of s in the table and
// that prefix's length. A non-digit in s ends the match there.
func (t *PrefixTable[V]) Lookup(s string) (v V, n int, ok bool) {
	i, n := t.index(s)
	if i < 0 {
		return v, 0, false
	}
	return t.values[i], n, true
}

// index returns the index in NewPrefixTable's entries of the longest
// prefix of s and that prefix's length, or -1 and 0. Where entry i's value
// is i (Compile's tables), it is Lookup without the load of the value: a
// cache miss fewer on a cold lookup.
func (t *PrefixTable[V]) index(s string) (best int32, n int) {
	nodes := t.nodes
	if len(nodes) == 0 {
		return -1, 0
	}
	x := nodes[0]
	best = x.val()
	k := 0
	if h := t.headDigits; h > 0 && len(s) >= h {
		idx, digits := 0, true
		for i := range h {
			d := s[i] - '0'
			if d > 9 {
				digits = false
				break
			}
			idx = idx*10 + int(d)
		}
		if digits {
			x = t.head[idx]
			best, n, k = x.val(), int(t.headLen[idx]), h
		}
	}
	for ; k < len(s); k++ {
		d := s[k] - '0'
		if d > 9 {
			break
		}
		bit := uint16(1) << d
		m := x.mask()
		if m&bit == 0 {
			break
		}
		x = nodes[x.child()+uint32(bits.OnesCount16(m&(bit-1)))]
		if val := x.val(); val >= 0 {
			best, n = val, k+1
		}
	}
	if best < 0 {
		return -1, 0
	}
	return best, n
}

// Len returns the number of prefixes in the table.
func (t *PrefixTable[V]) Len() int { return len(t.values) }

// Nodes returns the number of trie nodes, for sizing (8 bytes each; the
// direct index adds 9 bytes for each of its 10^k entries).
func (t *PrefixTable[V]) Nodes() int { return len(t.nodes) }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
