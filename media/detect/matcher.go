package detect

import "math/bits"

// Matcher follows one stream against a Library. For every alignment of
// the stream with a reference (every lag, stream block t against
// reference block j = t − lag) it keeps two decayed sums, bit errors E
// and bits compared N, updated on each voiced stream block:
//
//	E ← E − E/32 + w·Hamming(stream[t], ref[j])·S,  N ← N − N/32 + w·32·S
//
// w is 1 when the reference block is voiced too, S = 32 a fixed-point
// scale. E/N is the bit error rate over roughly the last 32 voiced
// blocks. The sliding-offset search thus costs one XOR and popcount per
// reference block and voiced stream block, whatever the offset; silent
// stream blocks cost nothing (they neither add evidence nor age it).
//
// The lags live in a ring per reference grid (lag mod L), and the
// reference's bits are stored reversed, so one stream block walks two
// contiguous runs of cells and bits in step. E and N share one uint32
// (N high, E low): both stay below 2^16 (N ≤ 32·32·S = 32768), and the
// decay of both is one shift and mask.
//
// Not safe for concurrent use; Feed does not allocate.
type Matcher struct {
	lib    *Library
	fp     fingerprinter
	fr     framer
	cells  []uint32
	near   []bool // per print, this block: some cell passed with ≥ MinBits/2
	blocks int64
	found  bool
	best   Match
	bestE  int64 // E and N of best, to compare BERs exactly
	bestN  int64
}

const (
	fixScale  = 32
	decayMask = 0x07FF07FF // (x>>5) without N's low bits leaking into E
)

// NewMatcher returns a Matcher for one stream.
func (l *Library) NewMatcher() *Matcher {
	return &Matcher{lib: l, cells: make([]uint32, l.cells), near: make([]bool, len(l.prints))}
}

// Feed analyses the next samples (normally one 20 ms frame).
func (m *Matcher) Feed(frame []int16) { m.fr.feed(frame, m.block) }

// Result returns the best match so far, and whether there is one. A match
// is kept once found (the announcement does not un-play); a later, better
// one (lower bit error rate) replaces it. A block where references of two
// labels both pass the threshold decides nothing: references that share
// audio (a common opening) are told apart only where they differ, and two
// labels on identical audio never match.
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
			cs, rb, rw, base := c[:k+1], rp.rev[L-1-k:], rp.wrev[L-1-k:], 0
			if s == 1 {
				cs, rb, rw, base = c[k+1:], rp.rev[:L-k-1], rp.wrev[:L-k-1], k+1
			}
			i, ce, cn, near := update(cs, rb, rw, fp, lib.minN, lib.maxBER)
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
	// A rival is another label that passes the threshold with half the
	// evidence. Carriers' prompts share openings (您拨打的电话…): while the
	// stream is in the shared part no label is decided, even if one
	// reference, voiced a little differently, reached MinBits first.
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

// update advances one run of cells by a voiced stream block with
// sub-fingerprint fp. It returns the cell with the lowest bit error rate
// among those with at least minN bits and a rate at or below maxBER/256
// (i < 0 if none), its E and N, and whether any cell passed the rate with
// at least minN/2 bits.
func update(c, rb, rw []uint32, fp uint32, minN uint32, maxBER uint32) (int, int64, int64, bool) {
	rb, rw = rb[:len(c)], rw[:len(c)]
	best, be, bn, near := -1, uint32(0), uint32(1), false
	half := minN >> 1 &^ 0xFFFF
	for i, x := range c {
		x -= (x >> 5) & decayMask
		x += rw[i] & (32*fixScale<<16 | uint32(bits.OnesCount32(fp^rb[i]))*fixScale)
		c[i] = x
		if x >= half {
			e, n := x&0xFFFF, x>>16
			if e*256 <= maxBER*n {
				near = true
				if x >= minN && (best < 0 || uint64(e)*uint64(bn) < uint64(be)*uint64(n)) {
					best, be, bn = i, e, n
				}
			}
		}
	}
	return best, int64(be), int64(bn), near
}
