package detect

import "math/bits"

// Matcher follows one stream against a Library. For every alignment of
// the stream with a reference (every lag: stream block t against
// reference block j = t − lag) it keeps decayed sums of bit errors E and
// bits compared N, updated on each voiced stream block:
//
//	E ← E − E/64 + Hamming(stream[t] ⊕ ref[j], reliable[j])·S
//	N ← N − N/64 + popcount(reliable[j])·S
//
// (S = 16, a fixed-point scale), so E/N is the bit error rate over about
// the last 64 voiced blocks. It keeps the same pair, Ed and Nd, over the
// reference's distinct blocks only (those no other label's reference
// shares, see shared.go). The sliding-offset search thus costs one XOR
// and popcount per reference block and voiced stream block, whatever the
// offset; silent stream blocks cost nothing (they neither add evidence
// nor age it).
//
// The lags live in a ring per reference grid (lag mod L), and the
// reference's blocks are stored reversed, so one stream block walks two
// contiguous runs of cells and blocks in step. The four sums share one
// uint64, 16 bits each (E, N, Ed, Nd from the low end): none exceeds
// 64·32·S = 32768, and the decay of all four is one shift and mask.
//
// Not safe for concurrent use; Feed does not allocate.
type Matcher struct {
	lib    *Library
	fp     fingerprinter
	fr     framer
	cells  []uint64
	near   []bool // per print, this block: a cell passed with half the evidence
	blocks int64
	found  bool
	best   Match
	bestE  int64 // E and N of best, to compare BERs exactly
	bestN  int64
}

const (
	fixScale  = 16
	decayMask = 0x03FF03FF03FF03FF // x>>6 without each field's low bits leaking into the next
)

// NewMatcher returns a Matcher for one stream.
func (l *Library) NewMatcher() *Matcher {
	return &Matcher{lib: l, cells: make([]uint64, l.cells), near: make([]bool, len(l.prints))}
}

// Feed analyses the next samples (normally one 20 ms frame).
func (m *Matcher) Feed(frame []int16) { m.fr.feed(frame, m.block) }

// Result returns the best match so far, and whether there is one. A match
// is kept once found (the announcement does not un-play); a later, better
// one (lower bit error rate) replaces it. A block where references of two
// labels both pass decides nothing: two labels on identical audio never
// match.
func (m *Matcher) Result() (Match, bool) { return m.best, m.found }

func (m *Matcher) block(x []int16) {
	fp, e, ok := m.fp.next(x)
	t := m.blocks
	m.blocks++
	lib := m.lib
	voiced := ok && e >= lib.minE
	bestE, bestN, bestP, bestJ := int64(0), int64(0), -1, 0
	for pi := range lib.prints {
		rp := &lib.prints[pi]
		L := len(rp.rev)
		c := m.cells[rp.cell : rp.cell+L]
		k := int(t % int64(L))
		c[k] = 0 // lag t enters where lag t−L, now past the end, was
		if !voiced {
			continue
		}
		// idx ≤ k: j = k − idx, reversed index L−1−k+idx; idx > k: j =
		// k + L − idx, reversed index idx−k−1.
		for s := range 2 {
			lo, hi, base := L-1-k, L, 0
			cs := c[:k+1]
			if s == 1 {
				lo, hi, base, cs = 0, L-k-1, k+1, c[k+1:]
			}
			i, ce, cn, near := update(cs, rp.rev[lo:hi], rp.mrev[lo:hi], rp.inc[lo:hi], rp.emul[lo:hi], fp.bits, &lib.th)
			m.near[pi] = m.near[pi] || near
			if i < 0 || (bestP >= 0 && ce*bestN >= bestE*cn) {
				continue
			}
			j := k - (base + i)
			if j < 0 {
				j += L
			}
			bestE, bestN, bestP, bestJ = ce, cn, pi, j
		}
	}
	// A rival is another label passing with half the evidence: while two
	// labels fit the stream equally, neither is decided.
	rival := false
	for pi, near := range m.near {
		rival = rival || (near && bestP >= 0 && lib.prints[pi].label != lib.prints[bestP].label)
		m.near[pi] = false
	}
	if bestP < 0 || rival || (m.found && bestE*m.bestN >= m.bestE*bestN) {
		return
	}
	rp := &lib.prints[bestP]
	m.found, m.bestE, m.bestN = true, bestE, bestN
	m.best = Match{
		Label:      rp.label,
		Confidence: 1 - 2*float64(bestE)/float64(bestN),
		Offset:     t*FrameSamples - (rp.start + int64(bestJ)*FrameSamples),
		At:         m.blocks * FrameSamples,
	}
}

// thresholds, in the cells' units.
type thresholds struct {
	maxBER     uint64 // ×256
	minN, minD uint64 // N and Nd, ×fixScale
}

// passes reports whether a cell's sums, scaled by 1/div, meet the
// thresholds: enough bits, overall and distinct, both at a low enough
// error rate.
func (th *thresholds) passes(x uint64, div uint64) bool {
	e, n, ed, nd := x&0xFFFF, x>>16&0xFFFF, x>>32&0xFFFF, x>>48
	return n*div >= th.minN && nd*div >= th.minD &&
		e*256 <= th.maxBER*n && ed*256 <= th.maxBER*nd
}

// update advances one run of cells by a voiced stream block with
// sub-fingerprint fp. It returns the passing cell with the lowest overall
// bit error rate (i < 0 if none) with its E and N, and whether any cell
// passed with half the evidence.
func update(c []uint64, rb, rm []uint32, inc, emul []uint64, fp uint32, th *thresholds) (int, int64, int64, bool) {
	rb, rm, inc, emul = rb[:len(c)], rm[:len(c)], inc[:len(c)], emul[:len(c)]
	best, be, bn, near := -1, uint64(0), uint64(1), false
	half := th.minN >> 1
	for i, x := range c {
		x -= (x >> 6) & decayMask
		x += inc[i] + uint64(bits.OnesCount32((fp^rb[i])&rm[i]))*emul[i]
		c[i] = x
		// The cheap test first: overall evidence and rate.
		if n := x >> 16 & 0xFFFF; n < half || x&0xFFFF*256 > th.maxBER*n || !th.passes(x, 2) {
			continue
		}
		near = true
		if th.passes(x, 1) {
			e, n := x&0xFFFF, x>>16&0xFFFF
			if best < 0 || e*bn < be*n {
				best, be, bn = i, e, n
			}
		}
	}
	return best, int64(be), int64(bn), near
}
