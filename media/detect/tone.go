package detect

import "errors"

// Kind is what a ToneDetector has heard.
type Kind uint8

const (
	// Unknown: nothing classified yet, or the last cadence broke off.
	Unknown Kind = iota
	// Silence: no energy above ToneConfig.MinLevel for SilenceMS.
	Silence
	// Ringback (回铃音): the far end is alerting.
	Ringback
	// Busy (忙音): the called party is busy.
	Busy
	// Congestion (拥塞音): the network could not complete the call.
	Congestion
)

func (k Kind) String() string {
	switch k {
	case Silence:
		return "silence"
	case Ringback:
		return "ringback"
	case Busy:
		return "busy"
	case Congestion:
		return "congestion"
	}
	return "unknown"
}

// Cadence is one on/off pattern of a call-progress tone.
type Cadence struct {
	Kind        Kind
	OnMS        int // nominal tone-on time
	OffMS       int // nominal tone-off time
	MinSegments int // consecutive matching on/off segments before deciding
}

// ChinaCadences are the call-progress tones of the Chinese network, all on
// 450 Hz, as listed for China in ITU-T E.180 Supplement 2 (and the
// national switching specification the carriers follow):
// ringback 1.0 s on / 4.0 s off, busy 0.35/0.35, congestion 0.7/0.7.
//
// Busy and congestion need 4 segments (two full cycles: 1.4 s for busy,
// 2.8 s for congestion): one on/off pair is cheap to imitate (a jingle, a
// syllable that happens to sit on 450 Hz), two regular pairs at the
// right pitch are not, and two cycles of busy still cost less than 1.5 s.
// Ringback decides after one on (1 s) and 3.2 s of its off time (the
// lower tolerance bound, not the full 4 s): a second cycle would cost
// 10 s, longer than a dialer should wait, and a 1 s burst of 450 Hz
// followed by seconds of quiet is specific enough.
var ChinaCadences = []Cadence{
	{Kind: Ringback, OnMS: 1000, OffMS: 4000, MinSegments: 2},
	{Kind: Busy, OnMS: 350, OffMS: 350, MinSegments: 4},
	{Kind: Congestion, OnMS: 700, OffMS: 700, MinSegments: 4},
}

// ToneConfig parameterises a ToneDetector; the zero value is China's
// 450 Hz tones with the defaults below.
type ToneConfig struct {
	// Freqs are the tone's components, Hz. Default {450}. Europe: {425};
	// North American ringback: {440, 480}.
	Freqs []float64
	// MinRatio is the share of a block's energy the Goertzel filters must
	// hold for the block to count as tone. Default 0.5: a pure tone gives
	// ≈ 1, speech and noise far less; a block half filled by the tone
	// (an edge) gives ≈ 0.5, so segment edges land within ±10 ms.
	MinRatio float64
	// MinLevel is the RMS (16-bit linear) below which a block is silent.
	// Default 50 (≈ −56 dBFS; the tones are sent at about −10 dBm0).
	MinLevel float64
	// Cadences to recognise. Default ChinaCadences.
	Cadences []Cadence
	// Tolerance on each segment's duration, as a fraction of nominal.
	// Default 0.2 (±20 %), plus one block (20 ms) for the edges.
	Tolerance float64
	// SilenceMS of uninterrupted silence before Kind is Silence. Default
	// 6000: longer than ringback's longest off time (4.8 s).
	SilenceMS int
}

var errToneConfig = errors.New("detect: bad tone config")

// Result is a ToneDetector's current decision.
type Result struct {
	Kind Kind
	// Confidence, 0–1: how close the matched segments were to nominal,
	// times n/(n+1) for n consecutive matched segments.
	Confidence float64
	// At is the sample count (since the first Feed) when Kind was decided.
	At int64
}
