package rtppeer

import (
	"encoding/binary"
	"time"
)

// StampSize is the number of payload bytes a send-time stamp takes.
const StampSize = 12

// stampMagic marks a payload that starts with a send-time stamp. G.711
// audio starting with these four bytes is possible but not from our senders,
// which fill the rest of the payload with silence.
var stampMagic = [4]byte{'r', 't', 'p', 'L'}

// epoch is the process's reference instant for stamps; set once at init and
// never written again. Durations since it come from Go's monotonic clock, so
// stamps are comparable only within this process (the senders and receivers
// of a test or of rtpload live in one process).
var epoch = time.Now()

// MonoNow returns monotonic nanoseconds since the process's epoch.
func MonoNow() int64 { return int64(time.Since(epoch)) }

// PutStamp writes the magic and the send time (MonoNow) at the start of
// payload, which must hold StampSize bytes. It returns false when it cannot.
func PutStamp(payload []byte, mono int64) bool {
	if len(payload) < StampSize {
		return false
	}
	copy(payload, stampMagic[:])
	binary.BigEndian.PutUint64(payload[4:], uint64(mono))
	return true
}

// ReadStamp returns the send time stamped by PutStamp, if payload has one.
func ReadStamp(payload []byte) (int64, bool) {
	if len(payload) < StampSize || [4]byte(payload[:4]) != stampMagic {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(payload[4:])), true
}

// Silence returns the G.711 silence octet for a static payload type
// (RFC 3551 §4.5.14): 0xFF for PCMU (0), 0xD5 for PCMA (8), zero otherwise.
func Silence(pt uint8) byte {
	switch pt {
	case PCMU:
		return 0xFF
	case PCMA:
		return 0xD5
	}
	return 0
}
