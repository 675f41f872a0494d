package rtppeer

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"github.com/pion/rtp"
)

// DefaultEventPT is the dynamic payload type commonly negotiated for
// telephone-event (RFC 4733 §7.1.1 leaves it to the SDP).
const DefaultEventPT uint8 = 101

// endRepeats: the final packet of an event is sent three times
// (RFC 4733 §2.5.1.4) so that a lost one does not leave the tone hanging.
const endRepeats = 3

// DTMF describes one telephone-event digit to send.
type DTMF struct {
	PayloadType uint8 // default DefaultEventPT
	SSRC        uint32
	Seq         uint16        // of the first event packet
	Timestamp   uint32        // event start; every packet of the event carries it (RFC 4733 §2.3.1)
	Digit       rune          // 0-9 * # A-D
	Duration    time.Duration // tone length, default 100 ms
	Volume      uint8         // 0-63 dBm0 below zero (RFC 4733 §2.3.4), default 10
	Interval    time.Duration // between updates, default 20 ms (the audio ptime, RFC 4733 §2.5.1.2)
}

// Event is a decoded RFC 4733 §2.3 payload.
type Event struct {
	Code     uint8
	End      bool
	Volume   uint8
	Duration uint16 // timestamp units since the event start
}

// EventCode maps a DTMF digit to its event code (RFC 4733 §3.2).
func EventCode(d rune) (uint8, error) {
	switch {
	case d >= '0' && d <= '9':
		return uint8(d - '0'), nil
	case d == '*':
		return 10, nil
	case d == '#':
		return 11, nil
	case d >= 'A' && d <= 'D':
		return uint8(d-'A') + 12, nil
	case d >= 'a' && d <= 'd':
		return uint8(d-'a') + 12, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrBadDigit, d)
}

// ParseEvent decodes an RFC 4733 §2.3 event payload.
func ParseEvent(b []byte) (Event, error) {
	if len(b) < 4 {
		return Event{}, ErrNotEvent
	}
	return Event{
		Code:     b[0],
		End:      b[1]&0x80 != 0,
		Volume:   b[1] & 0x3f,
		Duration: binary.BigEndian.Uint16(b[2:]),
	}, nil
}

func putEvent(b []byte, e Event) {
	b[0] = e.Code
	b[1] = e.Volume & 0x3f
	if e.End {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], e.Duration)
}

// SendDTMF sends one digit as telephone events at real-time pace: a first
// packet with the marker bit (RFC 4733 §2.5.1.1), updates with a growing
// duration every Interval (§2.5.1.2), then the end packet three times
// (§2.5.1.4). Sequence numbers advance on every packet (RFC 3550 §5.1); the
// timestamp stays at the event start. The result's NextTimestamp is the
// start plus the tone's duration, where audio resumes.
func (p *Peer) SendDTMF(ctx context.Context, dst netip.AddrPort, d DTMF) (SendResult, error) {
	code, err := EventCode(d.Digit)
	if err != nil {
		return SendResult{}, err
	}
	if d.PayloadType == 0 {
		d.PayloadType = DefaultEventPT
	}
	if d.Duration == 0 {
		d.Duration = 100 * time.Millisecond
	}
	if d.Interval == 0 {
		d.Interval = DefaultPtime
	}
	if d.Volume == 0 {
		d.Volume = 10
	}
	total := d.Duration * clockRate / time.Second
	step := d.Interval * clockRate / time.Second
	if step <= 0 || total <= 0 || total > 0xffff {
		// Longer events need segments (RFC 4733 §2.5.1.3); not needed here.
		return SendResult{}, fmt.Errorf("%w: DTMF duration %v / interval %v", ErrBadStream, d.Duration, d.Interval)
	}

	h := rtp.Header{Version: 2, PayloadType: d.PayloadType, SSRC: d.SSRC, Timestamp: d.Timestamp}
	payload := make([]byte, 4)
	buf := make([]byte, 0, 16)
	res := SendResult{NextSeq: d.Seq}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	start := time.Now()
	send := func(i int, e Event) error {
		if err := sleepUntil(ctx, timer, start.Add(time.Duration(i)*d.Interval)); err != nil {
			return err
		}
		h.SequenceNumber = res.NextSeq
		h.Marker = i == 0
		putEvent(payload, e)
		pkt, err := marshal(buf, &h, payload)
		if err != nil {
			return err
		}
		if err := p.write(ctx, p.rtp, dst, pkt); err != nil {
			return err
		}
		res.NextSeq++
		res.Sent++
		res.Octets += uint64(len(payload))
		return nil
	}
	i := 0
	for dur := step; dur < total; dur += step {
		if err := send(i, Event{Code: code, Volume: d.Volume, Duration: uint16(dur)}); err != nil {
			return res, err
		}
		i++
	}
	for range endRepeats {
		if err := send(i, Event{Code: code, End: true, Volume: d.Volume, Duration: uint16(total)}); err != nil {
			return res, err
		}
		i++
	}
	res.NextTimestamp = d.Timestamp + uint32(total)
	res.Elapsed = time.Since(start)
	return res, nil
}
