package domain

import "time"

// Media events: what the switch's RTP relay saw of a call (media/). They
// belong to the call's aggregate, between its SIP events, so a replay
// shows when media was anchored, each digit, the quality and the
// recording in the order they happened.
const (
	TypeMediaAnchored = "call.media_anchored"
	TypeMediaStats    = "call.media_stats"
	TypeDTMF          = "call.dtmf"
	TypeRecording     = "call.recording"
)

// MediaAnchored records the addresses a leg's media goes through after an
// SDP from that leg was applied (offer, answer, re-INVITE or UPDATE):
// Local is the switch's RTP address the leg was given, Remote what its
// SDP advertised, Direction its a=sendrecv/sendonly/recvonly/inactive
// (RFC 3264 §5.1; sendonly or inactive is hold, §8.4), Codecs the encoding
// names in the order negotiated.
type MediaAnchored struct {
	CallID    string   `json:"call_id"`
	Leg       string   `json:"leg"`
	Local     string   `json:"local"`
	Remote    string   `json:"remote"`
	Direction string   `json:"direction"`
	Codecs    []string `json:"codecs,omitempty"`
}

func (MediaAnchored) EventType() string      { return TypeMediaAnchored }
func (MediaAnchored) SchemaVersion() int     { return 1 }
func (e MediaAnchored) AggregateKey() string { return CallKey(e.CallID) }

// MediaLeg is the quality of the RTP one leg's endpoint sent to the
// switch (received, RFC 3550 A.3 and A.8), what the switch sent it
// (Sent), the round trip from RTCP (RFC 3550 §6.4.1, 0 when unknown) and
// a MOS estimate (ITU-T G.107 E-model as rtpengine simplifies it; see
// docs/media.md). Dropped counts packets not relayed: from another source
// than the latched one (Foreign), malformed, against the SDP direction.
type MediaLeg struct {
	Leg        string  `json:"leg"`
	Packets    uint64  `json:"packets"`
	Bytes      uint64  `json:"bytes"`
	Lost       int64   `json:"lost"`
	OutOfOrder uint64  `json:"out_of_order"`
	Duplicates uint64  `json:"duplicates"`
	JitterMs   float64 `json:"jitter_ms"`
	RTTMs      float64 `json:"rtt_ms"`
	MOS        float64 `json:"mos"`
	Sent       uint64  `json:"sent"`
	Foreign    uint64  `json:"foreign"`
	Malformed  uint64  `json:"malformed"`
	Dropped    uint64  `json:"dropped"`
	Source     string  `json:"source,omitempty"` // the latched source
}

// MediaStats is a snapshot of a call's media quality, one entry per leg
// (the caller's "a", then the answering B-leg). The switch records one
// every media.stats_interval while the call is up, and a Final one when
// the call ends: the CDR takes the last one.
type MediaStats struct {
	CallID string     `json:"call_id"`
	Final  bool       `json:"final,omitempty"`
	Legs   []MediaLeg `json:"legs"`
}

func (MediaStats) EventType() string      { return TypeMediaStats }
func (MediaStats) SchemaVersion() int     { return 1 }
func (e MediaStats) AggregateKey() string { return CallKey(e.CallID) }

// DTMF is one RFC 4733 telephone-event digit the relay passed on: which
// leg's endpoint sent it, the digit, its duration and when its first
// packet arrived. Ended is false when no end packet came.
type DTMF struct {
	CallID     string    `json:"call_id"`
	Leg        string    `json:"leg"`
	Digit      string    `json:"digit"`
	DurationMs int64     `json:"duration_ms"`
	At         time.Time `json:"at"`
	Ended      bool      `json:"ended"`
}

func (DTMF) EventType() string      { return TypeDTMF }
func (DTMF) SchemaVersion() int     { return 1 }
func (e DTMF) AggregateKey() string { return CallKey(e.CallID) }

// Recording names a call's finished recording: a stereo WAV (one channel
// per leg) and the SHA-256 of the whole file, so the hash chain covers the
// audio: `audit verify` recomputes it.
type Recording struct {
	CallID     string `json:"call_id"`
	Path       string `json:"path"`
	Bytes      int64  `json:"bytes"`
	DurationMs int64  `json:"duration_ms"`
	SHA256     string `json:"sha256"`
	Packets    uint64 `json:"packets"`
}

func (Recording) EventType() string      { return TypeRecording }
func (Recording) SchemaVersion() int     { return 1 }
func (e Recording) AggregateKey() string { return CallKey(e.CallID) }
