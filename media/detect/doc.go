// Package detect classifies the audio of a call's early media for the
// outbound dialer (issue 15): call-progress tones by cadence, carriers'
// recorded announcements by fingerprint, and answering machines by
// energy and silence timing. It is pure computation on 8 kHz mono linear
// PCM fed in order, 20 ms (160 samples) at a time: no goroutines, no
// clocks (time is the number of samples fed), no allocation per frame.
// G.711 payloads are decoded with media.DecodeULaw / media.DecodeALaw.
//
// # API
//
// Tones (one detector per stream):
//
//	d, err := detect.NewToneDetector(detect.ToneConfig{})  // China: 450 Hz, ChinaCadences
//	d.Feed(frame)                                          // []int16, normally 160 samples
//	r := d.Result()                                        // Result{Kind, Confidence, At}
//	d.InTone() bool                                        // last block was tone
//
// Kind is Unknown, Silence, Ringback, Busy or Congestion. ToneConfig sets
// the frequencies (e.g. {425} for Europe, {440, 480} for North American
// ringback), the cadences, the energy ratio, the level floor and the
// tolerance (±20 % per segment by default).
//
// Announcements (one Library per set of references, shared; one Matcher
// per stream):
//
//	lib, err := detect.NewLibrary([]detect.Reference{{Label: "cmcc/空号", PCM: pcm}}, detect.MatchConfig{})
//	m := lib.NewMatcher()
//	m.Feed(frame)
//	match, ok := m.Result()                                // Match{Label, Confidence, Offset, At}
//
// Answering machines (one per answered call):
//
//	a := detect.NewAMD(detect.AMDConfig{})                 // Asterisk app_amd's defaults
//	a.Feed(frame)
//	res := a.Result()                                      // AMDResult{Status, Cause, At}
//	a.Reset()
//
// Status is Pending, Human, Machine or NotSure; Cause is app_amd's
// AMDCAUSE ("HUMAN-800-800", "MAXWORDS-3-3", "INITIALSILENCE-2500-2500"…).
//
// Every Feed accepts any number of samples and cuts them into 20 ms
// blocks itself. Detectors are not safe for concurrent use; a Library is
// read-only once built.
//
// # Methods
//
// Tones: Goertzel filters on each block, the block counted as tone when
// the filters hold at least half its energy; runs of tone and non-tone
// blocks are segments, matched against each cadence's on and off times
// (tone.go, cadence.go). Announcements: Haitsma–Kalker 32-bit
// sub-fingerprints of mel bands, compared against every alignment of
// every reference by decayed bit error rates (fingerprint.go, match.go,
// matcher.go, shared.go). AMD: app_amd's state machine (amd.go,
// amd_state.go). docs/early-media-detection.md has the parameters, the
// measured accuracy and the measured cost.
package detect
