package detect

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// refPhases: each reference is fingerprinted on refPhases block grids,
// shifted by 20 ms / refPhases (53 samples), so a stream's grid is never
// more than 27 samples (3.3 ms) from one of them. Sub-fingerprints are
// unforgiving of misalignment: with 2 grids (up to 5 ms off) clean audio
// already showed a bit error rate of 0.1, with 3 or 4 grids under 0.01.
// Each grid costs one more pass over the reference per stream block, so
// 3 it is.
const refPhases = 3

// Reference is one recorded announcement.
type Reference struct {
	Label string  // e.g. "chinamobile/空号"
	PCM   []int16 // 8 kHz mono linear, at least 0.5 s
}

// MatchConfig parameterises a Library; the zero value takes the defaults.
type MatchConfig struct {
	// MaxBER is the bit error rate, over the recent aligned blocks, at or
	// below which a reference matches. Default 0.25 (unrelated audio sits
	// near 0.5; see docs/early-media-detection.md for the distributions).
	MaxBER float64
	// MinBits is how much aligned evidence (reliable bits of voiced
	// blocks, decayed by 63/64 per voiced stream block) a match needs.
	// Default 640: about 32 voiced blocks at ≈ 20 reliable bits each,
	// 0.7–1 s of speech. Less lets a word shared with another sentence
	// match (measured with espeak-ng: "号码" in 对不起，您的电话号码有误
	// against 您拨打的号码是空号 at 512).
	MinBits int
	// MinDistinctBits is how much of that evidence must come from blocks
	// no other label's reference shares. Default 160: ≈ 8 voiced blocks.
	MinDistinctBits int
	// MinLevel is the RMS below which a stream block is not compared.
	// Default 100 (≈ −50 dBFS).
	MinLevel float64
}

// Match is an announcement recognised in the stream.
type Match struct {
	Label string
	// Confidence is 1 − 2·BER: 1 for identical bits, 0 for chance.
	Confidence float64
	// Offset is the stream sample at which the reference's first sample
	// falls: negative when the stream joined the announcement mid-way.
	Offset int64
	// At is the sample count when this match was (last) improved.
	At int64
}

var errNoReference = errors.New("detect: no usable reference")

// refPrint is one reference on one block grid.
type refPrint struct {
	label string
	start int64    // sample of block 0's first sample in the reference
	rev   []uint32 // sub-fingerprint per block, last block first
	mrev  []uint32 // its reliable bits; 0 where the block is not voiced
	inc   []uint64 // the block's increment of N, and of Nd if distinct
	emul  []uint64 // multiplies the Hamming distance into E, and Ed if distinct
	dist  []bool   // distinct: no other label's reference has this block
	cell  int      // first index in a Matcher's cells
}

// setInc derives inc and emul from mrev and dist.
func (rp *refPrint) setInc() {
	for i, m := range rp.mrev {
		n := uint64(bits.OnesCount32(m)) * fixScale
		rp.inc[i], rp.emul[i] = n<<16, fixScale
		if rp.dist[i] {
			rp.inc[i] |= n << 48
			rp.emul[i] |= fixScale << 32
		}
	}
}

// Library holds the references' fingerprints. Build it once, at load;
// it is read-only afterwards and shared by every Matcher.
type Library struct {
	prints []refPrint
	cells  int
	th     thresholds
	minE   float64
}

// NewLibrary fingerprints refs.
func NewLibrary(refs []Reference, cfg MatchConfig) (*Library, error) {
	if cfg.MaxBER == 0 {
		cfg.MaxBER = 0.25
	}
	if cfg.MinBits == 0 {
		cfg.MinBits = 640
	}
	if cfg.MinLevel == 0 {
		cfg.MinLevel = 100
	}
	if cfg.MinDistinctBits == 0 {
		cfg.MinDistinctBits = 160
	}
	if cfg.MaxBER < 0 || cfg.MaxBER >= 0.5 || cfg.MinBits < 0 || cfg.MinBits > 2000 || cfg.MinDistinctBits < 0 || cfg.MinDistinctBits > 2000 || cfg.MinLevel < 0 {
		return nil, fmt.Errorf("detect: bad match config %+v", cfg)
	}
	l := &Library{th: thresholds{maxBER: uint64(math.Round(cfg.MaxBER * 256)),
		minN: uint64(cfg.MinBits * fixScale), minD: uint64(cfg.MinDistinctBits * fixScale)},
		minE: cfg.MinLevel * cfg.MinLevel * FrameSamples}
	for _, r := range refs {
		if len(r.PCM) < SampleRate/2 {
			return nil, fmt.Errorf("%w: %q is %d samples, want ≥ %d", errNoReference, r.Label, len(r.PCM), SampleRate/2)
		}
		for p := range refPhases {
			rp := fingerprintRef(r, int64(p*FrameSamples/refPhases))
			rp.cell = l.cells
			l.cells += len(rp.rev)
			l.prints = append(l.prints, rp)
		}
	}
	if len(l.prints) == 0 {
		return nil, errNoReference
	}
	l.maskShared()
	return l, nil
}

// fingerprintRef cuts r into blocks from sample start. A reference block
// is voiced when it is within 25 dB of the reference's loudest block:
// pauses inside an announcement carry no information, only noise bits.
func fingerprintRef(r Reference, start int64) refPrint {
	var f fingerprinter
	rp := refPrint{label: r.Label, start: start}
	var es []float64
	var fps []fingerprint
	peak := 0.0
	for i := int(start); i+FrameSamples <= len(r.PCM); i += FrameSamples {
		fp, e, ok := f.next(r.PCM[i : i+FrameSamples])
		if !ok {
			e = -1
		}
		fps = append(fps, fp)
		es = append(es, e)
		peak = max(peak, e)
	}
	n := len(fps)
	rp.rev, rp.mrev = make([]uint32, n), make([]uint32, n)
	rp.inc, rp.emul, rp.dist = make([]uint64, n), make([]uint64, n), make([]bool, n)
	for i, e := range es {
		rp.rev[n-1-i] = fps[i].bits
		if e > 0 && e >= peak*math.Pow(10, -2.5) {
			rp.mrev[n-1-i] = fps[i].rel
		}
		rp.dist[n-1-i] = true
	}
	rp.setInc()
	return rp
}
