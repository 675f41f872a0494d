package detect

import "math/bits"

// Carriers' prompts share openings: 您拨打的电话… ("the number you
// dialled…") starts most of them. Those blocks say nothing about which
// prompt is playing, and under noise the wrong reference may match them
// before the right one does. So, at load, every reference block that
// another label's reference also contains, found as a sharedWindow-block
// stretch along some alignment with a bit error rate at or below
// sharedBER, is taken out of the evidence (weight 0). A stream that plays
// only the shared part then matches nothing, and a prompt is recognised
// by what is its own.
const (
	sharedWindow = 16 // blocks, 320 ms
	sharedBER    = 0.12
)

// maskShared zeroes, in every print, the weights of blocks shared with a
// print of another label. Run once by NewLibrary; O(L²) per pair of
// prints, a few tens of ms for five 4 s references.
func (l *Library) maskShared() {
	shared := make([][]bool, len(l.prints))
	for a := range l.prints {
		shared[a] = make([]bool, len(l.prints[a].rev))
		for b := range l.prints {
			if l.prints[a].label != l.prints[b].label {
				markShared(&l.prints[a], &l.prints[b], shared[a])
			}
		}
	}
	for a, s := range shared {
		rp := &l.prints[a]
		n := len(rp.rev)
		for i, sh := range s {
			rp.dist[n-1-i] = !sh
		}
		rp.setInc()
	}
}

// markShared marks in sh (forward block order) a's blocks that lie in a
// sharedWindow stretch matching b at some lag.
func markShared(a, b *refPrint, sh []bool) {
	la, lb := len(a.rev), len(b.rev)
	fa := func(i int) (uint32, uint32) { return a.rev[la-1-i], a.mrev[la-1-i] }
	fb := func(j int) (uint32, uint32) { return b.rev[lb-1-j], b.mrev[lb-1-j] }
	var errs, cnt [sharedWindow]int
	var ok [sharedWindow]bool               // the block itself matches
	for lag := -(lb - 1); lag < la; lag++ { // a's block i against b's block i−lag
		i0, i1 := max(0, lag), min(la, lb+lag)
		if i1-i0 < sharedWindow {
			continue
		}
		se, sc := 0, 0
		for i := i0; i < i1; i++ {
			x, ma := fa(i)
			y, mb := fb(i - lag)
			e, c := 0, 0
			if ma != 0 && mb != 0 {
				e, c = bits.OnesCount32((x^y)&ma), bits.OnesCount32(ma)
			}
			k := (i - i0) % sharedWindow
			ok[k] = c > 0 && float64(e) <= sharedBER*float64(c)
			if i-i0 >= sharedWindow {
				se, sc = se-errs[k], sc-cnt[k]
			}
			errs[k], cnt[k] = e, c
			se, sc = se+e, sc+c
			// Enough reliable bits, a matching rate over the window, and
			// only the blocks that match themselves: the window must not
			// smear "shared" over a differing syllable next to shared ones.
			if i-i0 >= sharedWindow-1 && sc >= 8*sharedWindow && float64(se) <= sharedBER*float64(sc) {
				for w := i - sharedWindow + 1; w <= i; w++ {
					sh[w] = sh[w] || ok[(w-i0)%sharedWindow]
				}
			}
		}
	}
}
