package media

import (
	"encoding/binary"
	"time"
)

// DTMF is one digit received as an RFC 4733 telephone-event. The packets
// themselves are relayed unchanged; this is a report of what went by.
type DTMF struct {
	Leg      Leg           // the leg whose endpoint sent the digit (it goes to the other)
	Digit    string        // "0"-"9", "*", "#", "A"-"D" or "flash"
	Event    uint8         // the event code (RFC 4733 §3.2)
	Duration time.Duration // from the event's duration field
	Start    time.Time     // arrival of the event's first packet at the switch
	Ended    bool          // false if no end packet came and the event just stopped
}

// digitOf names the DTMF events (RFC 4733 §3.2 table 7); other events
// (tones, RFC 4734) are relayed but not reported.
func digitOf(ev uint8) (string, bool) {
	switch {
	case ev <= 9:
		return string(rune('0' + ev)), true
	case ev == 10:
		return "*", true
	case ev == 11:
		return "#", true
	case ev >= 12 && ev <= 15:
		return string(rune('A' + ev - 12)), true
	case ev == 16:
		return "flash", true
	}
	return "", false
}

// dtmfState follows the events of one leg. An event is identified by its
// RTP timestamp, which all its packets share (RFC 4733 §2.5.1), so the
// three redundant end packets (§2.5.1.4) and any late update are
// recognised as the event already reported. An event is reported on its
// first end packet; or, when the end packets are lost, as soon as the
// event is superseded (a new event timestamp, or audio resumes) or no
// packet of it arrived for the timeout, as a receiver ends playout of an
// event whose updates stopped (§2.5.2).
type dtmfState struct {
	active bool
	ssrc   uint32
	ts     uint32
	event  uint8
	dur    uint16
	clock  uint32
	start  time.Time
	last   time.Time // arrival of its latest packet

	done     bool // doneSSRC/doneTS identify the last event reported
	doneSSRC uint32
	doneTS   uint32
}

// digits is what one packet can produce: the previous event ended by a new
// one, and the new one if it is already over.
type digits struct {
	n int
	d [2]DTMF
}

func (ds *digits) add(d DTMF, ok bool) {
	if ok {
		ds.d[ds.n] = d
		ds.n++
	}
}

// onEvent handles a telephone-event packet. payload is the RTP payload.
func (s *dtmfState) onEvent(leg Leg, ssrc, ts uint32, clock uint32, payload []byte, now time.Time) digits {
	var out digits
	if len(payload) < 4 {
		return out // too short for an event (§2.3); relayed, not reported
	}
	ev := payload[0]
	end := payload[1]&0x80 != 0
	dur := binary.BigEndian.Uint16(payload[2:4])
	if s.done && ssrc == s.doneSSRC && ts == s.doneTS {
		return out // a redundant end packet or a late update of a reported event
	}
	if s.active && (ssrc != s.ssrc || ts != s.ts) {
		out.add(s.finish(leg, false))
	}
	if !s.active {
		if clock == 0 {
			clock = 8000
		}
		*s = dtmfState{active: true, ssrc: ssrc, ts: ts, event: ev, clock: clock, start: now,
			done: s.done, doneSSRC: s.doneSSRC, doneTS: s.doneTS}
	}
	if dur > s.dur {
		s.dur = dur
	}
	s.event = ev
	s.last = now
	if end {
		out.add(s.finish(leg, true))
	}
	return out
}

// onAudio handles any other packet: an event without its end packets is
// over once audio resumes (the sender goes back to audio after an event, §2.5.1).
func (s *dtmfState) onAudio(leg Leg) (DTMF, bool) {
	if !s.active {
		return DTMF{}, false
	}
	return s.finish(leg, false)
}

// expire ends an event whose last packet is older than timeout.
func (s *dtmfState) expire(leg Leg, now time.Time, timeout time.Duration) (DTMF, bool) {
	if !s.active || now.Sub(s.last) < timeout {
		return DTMF{}, false
	}
	return s.finish(leg, false)
}

func (s *dtmfState) finish(leg Leg, ended bool) (DTMF, bool) {
	s.active = false
	s.done, s.doneSSRC, s.doneTS = true, s.ssrc, s.ts
	digit, ok := digitOf(s.event)
	if !ok {
		return DTMF{}, false
	}
	return DTMF{
		Leg:      leg,
		Digit:    digit,
		Event:    s.event,
		Duration: time.Duration(s.dur) * time.Second / time.Duration(s.clock),
		Start:    s.start,
		Ended:    ended,
	}, true
}
