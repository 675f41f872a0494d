package media

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/pion/rtp"
)

// playPtime is the packetization of played audio (RFC 3551 §4.5's G.711
// default).
const playPtime = 20 * time.Millisecond

// Play sends pcm (8 kHz linear) to leg's endpoint as G.711 RTP, from the
// leg's own port, at real-time pace, in the payload type the leg's SDP
// chose first among PCMU (0) and PCMA (8); PCMU when it named neither. It
// returns when the audio is sent, ctx ends or the session closes, with the
// packets sent. The endpoint must be known (SetRemote); the relay's own
// packets to that leg, if any, interleave: the dialer plays only where no
// one else talks (a notification call).
func (s *Session) Play(ctx context.Context, leg Leg, pcm []int16) (int, error) {
	x := s.legs[leg&1]
	cfg := x.cfg.Load()
	pt, alaw := uint8(0), false
	for _, p := range cfg.remote.Payloads {
		if p.PT == 0 || p.PT == 8 {
			pt, alaw = p.PT, p.PT == 8
			break
		}
	}
	const n = int(playPtime / time.Millisecond * 8)
	h := rtp.Header{Version: 2, PayloadType: pt, SSRC: rand.Uint32(), SequenceNumber: uint16(rand.Uint32()),
		Timestamp: rand.Uint32(), Marker: true}
	payload := make([]byte, n)
	buf := make([]byte, 0, 12+n)
	t := time.NewTicker(playPtime)
	defer t.Stop()
	sent := 0
	for off := 0; off < len(pcm); off += n {
		if s.closed.Load() {
			return sent, ErrClosed
		}
		for i := range payload {
			v := int16(0)
			if off+i < len(pcm) {
				v = pcm[off+i]
			}
			if alaw {
				payload[i] = EncodeALaw(v)
			} else {
				payload[i] = EncodeULaw(v)
			}
		}
		if dst := x.rtpDst.Load(); dst != nil {
			hb, err := h.MarshalTo(buf[:12+len(payload)])
			if err == nil {
				pkt := append(buf[:hb], payload...)
				if _, err := x.ports.RTP.WriteToUDPAddrPort(pkt, *dst); err == nil {
					sent++
				}
			}
		}
		h.Marker = false
		h.SequenceNumber++
		h.Timestamp += uint32(n)
		select {
		case <-t.C:
		case <-ctx.Done():
			return sent, ctx.Err()
		}
	}
	return sent, nil
}
