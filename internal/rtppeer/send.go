package rtppeer

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/pion/rtp"
)

// G.711 at 8 kHz (RFC 3551 §4.5.14): one octet and one timestamp unit per
// sample, so 20 ms is 160 octets and 160 units.
const (
	clockRate    = 8000
	DefaultPtime = 20 * time.Millisecond
)

// Stream describes a G.711 stream to send.
type Stream struct {
	PayloadType uint8 // PCMU (0, default) or PCMA (8); others get zero filler
	SSRC        uint32
	Seq         uint16 // of the first packet
	Timestamp   uint32 // of the first packet
	// Count of packets; when 0, Duration/Ptime. One of them must be set.
	Count    int
	Duration time.Duration
	Ptime    time.Duration // packetization interval, default 20 ms
	// DropEvery skips packets N, 2N, 3N, ... (1-based) while still advancing
	// seq and timestamp, so the receiver sees loss; 0 drops none.
	DropEvery int
	// Jitter delays each packet by a uniform random [0, Jitter) after its
	// nominal send time; packets are still sent in order.
	Jitter time.Duration
	Seed   uint64 // jitter PRNG seed; 0 picks one
	// Stamp puts the send time (PutStamp) at the start of each payload, for
	// one-way latency at a receiver in the same process.
	Stamp bool
	// Audio, when set, is what the packets carry: 8 kHz linear samples,
	// G.711-encoded for the payload type (PCMU or PCMA), one packet's worth
	// after another, from the start again when it runs out.
	Audio []int16
	// NoMarker leaves the marker bit clear on the first packet, which is
	// otherwise set as the start of a talkspurt (RFC 3551 §4.1).
	NoMarker bool
	// RTCPInterval, when > 0 on a Peer with an RTCP socket, sends a sender
	// report (RFC 3550 §6.4.1) to dst's port+1 every interval and at the end.
	RTCPInterval time.Duration
}

// SendResult tells what SendStream did and where a follow-on stream with
// the same SSRC continues.
type SendResult struct {
	Sent, Dropped int
	Octets        uint64 // payload octets sent (for the SR's sender octet count)
	NextSeq       uint16
	NextTimestamp uint32
	Elapsed       time.Duration
	RTCPSent      int
}

func (s *Stream) normalize() error {
	if s.Ptime == 0 {
		s.Ptime = DefaultPtime
	}
	if s.Ptime < time.Millisecond || s.Ptime%time.Millisecond != 0 {
		return fmt.Errorf("%w: ptime %v", ErrBadStream, s.Ptime)
	}
	if s.Count == 0 && s.Duration > 0 {
		s.Count = int(s.Duration / s.Ptime)
	}
	if s.Count <= 0 {
		return fmt.Errorf("%w: no Count or Duration", ErrBadStream)
	}
	if s.DropEvery < 0 || s.Jitter < 0 {
		return fmt.Errorf("%w: negative DropEvery or Jitter", ErrBadStream)
	}
	return nil
}

// SendStream sends s to dst at real-time pace: packet i leaves at
// start + i*Ptime (+ jitter). It returns when all are sent or ctx ends.
func (p *Peer) SendStream(ctx context.Context, dst netip.AddrPort, s Stream) (SendResult, error) {
	if err := s.normalize(); err != nil {
		return SendResult{}, err
	}
	samples := uint32(s.Ptime / time.Millisecond * clockRate / 1000)
	seed := s.Seed
	if seed == 0 {
		seed = rand.Uint64() | 1
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))

	payload := make([]byte, samples) // one octet per sample (G.711)
	fill := Silence(s.PayloadType)
	for i := range payload {
		payload[i] = fill
	}
	h := rtp.Header{Version: 2, PayloadType: s.PayloadType, SSRC: s.SSRC}
	buf := make([]byte, 0, 12+len(payload))
	rtcpDst := netip.AddrPortFrom(dst.Addr(), dst.Port()+1)

	res := SendResult{NextSeq: s.Seq, NextTimestamp: s.Timestamp}
	start := time.Now()
	nextSR := start.Add(s.RTCPInterval)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for i := range s.Count {
		due := start.Add(time.Duration(i) * s.Ptime)
		if s.Jitter > 0 {
			due = due.Add(time.Duration(rng.Int64N(int64(s.Jitter))))
		}
		if err := sleepUntil(ctx, timer, due); err != nil {
			return res, err
		}
		h.SequenceNumber = res.NextSeq
		h.Timestamp = res.NextTimestamp
		h.Marker = i == 0 && !s.NoMarker
		res.NextSeq++
		res.NextTimestamp += samples
		if s.DropEvery > 0 && (i+1)%s.DropEvery == 0 {
			res.Dropped++
			continue
		}
		if len(s.Audio) > 0 {
			for j := range payload {
				x := s.Audio[(i*len(payload)+j)%len(s.Audio)]
				if s.PayloadType == 8 {
					payload[j] = EncodeALaw(x)
				} else {
					payload[j] = EncodeULaw(x)
				}
			}
		}
		if s.Stamp {
			PutStamp(payload, MonoNow())
		}
		pkt, err := marshal(buf, &h, payload)
		if err != nil {
			return res, err
		}
		if err := p.write(ctx, p.rtp, dst, pkt); err != nil {
			return res, err
		}
		res.Sent++
		res.Octets += uint64(len(payload))
		if s.RTCPInterval > 0 && p.rtcp != nil && !time.Now().Before(nextSR) {
			if err := p.SendRTCP(ctx, rtcpDst, p.senderReport(s.SSRC, h.Timestamp, res)); err != nil {
				return res, err
			}
			res.RTCPSent++
			nextSR = nextSR.Add(s.RTCPInterval)
		}
	}
	if s.RTCPInterval > 0 && p.rtcp != nil {
		if err := p.SendRTCP(ctx, rtcpDst, p.senderReport(s.SSRC, h.Timestamp, res)); err != nil {
			return res, err
		}
		res.RTCPSent++
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

func marshal(buf []byte, h *rtp.Header, payload []byte) ([]byte, error) {
	buf = buf[:h.MarshalSize()+len(payload)]
	n, err := h.MarshalTo(buf)
	if err != nil {
		return nil, fmt.Errorf("rtppeer: marshal: %w", err)
	}
	copy(buf[n:], payload)
	return buf, nil
}

// sleepUntil waits for t on a drained timer, or returns ctx's error.
func sleepUntil(ctx context.Context, timer *time.Timer, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer.Reset(d)
	select {
	case <-ctx.Done():
		// Go >= 1.23 timers: Stop leaves no stale tick to drain.
		timer.Stop()
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
