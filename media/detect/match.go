package detect

import (
	"errors"
	"fmt"
	"math"
)

// refPhases: each reference is fingerprinted on refPhases block grids,
// shifted by 20 ms / refPhases, so a stream's grid is never more than
// 5 ms from one of them. Sub-fingerprints are unforgiving of
// misalignment (a 10 ms shift turns ~25 % of bits), so this is what makes
// an arbitrary start offset cheap; each phase costs one more pass over
// the reference per block.
const refPhases = 4

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
	// MinBits is how much voiced, aligned evidence (in bits, decayed by
	// 31/32 per voiced block) a match needs. Default 512: ≈ 22 voiced
	// blocks, about half a second of speech.
	MinBits int
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
	wrev  []uint32 // all ones where the block is voiced, in rev's order
	cell  int      // first index in a Matcher's cells
}

// Library holds the references' fingerprints. Build it once, at load;
// it is read-only afterwards and shared by every Matcher.
type Library struct {
	prints []refPrint
	cells  int
	maxBER uint32 // ×256
	minN   uint32 // bits ×fixScale, in N's place (high 16 bits)
	minE   float64
}

// NewLibrary fingerprints refs.
func NewLibrary(refs []Reference, cfg MatchConfig) (*Library, error) {
	if cfg.MaxBER == 0 {
		cfg.MaxBER = 0.25
	}
	if cfg.MinBits == 0 {
		cfg.MinBits = 512
	}
	if cfg.MinLevel == 0 {
		cfg.MinLevel = 100
	}
	if cfg.MaxBER < 0 || cfg.MaxBER >= 0.5 || cfg.MinBits < 0 || cfg.MinBits > 1000 || cfg.MinLevel < 0 {
		return nil, fmt.Errorf("detect: bad match config %+v", cfg)
	}
	l := &Library{maxBER: uint32(math.Round(cfg.MaxBER * 256)), minN: uint32(cfg.MinBits*fixScale) << 16,
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
	return l, nil
}

// fingerprintRef cuts r into blocks from sample start. A reference block
// is voiced when it is within 25 dB of the reference's loudest block:
// pauses inside an announcement carry no information, only noise bits.
func fingerprintRef(r Reference, start int64) refPrint {
	var f fingerprinter
	rp := refPrint{label: r.Label, start: start}
	var es []float64
	var fps []uint32
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
	rp.rev, rp.wrev = make([]uint32, n), make([]uint32, n)
	for i, e := range es {
		rp.rev[n-1-i] = fps[i]
		if e > 0 && e >= peak*math.Pow(10, -2.5) {
			rp.wrev[n-1-i] = ^uint32(0)
		}
	}
	return rp
}
