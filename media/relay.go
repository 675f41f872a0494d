package media

import (
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/pion/rtp"
)

// maxDatagram bounds what a read accepts; RTP over UDP on Ethernet stays
// under 1500 bytes, and a larger datagram is truncated and then dropped
// as malformed by its length fields.
const maxDatagram = 2048

// rtpLoop reads leg x's RTP socket and relays to leg y until the socket
// is closed. One goroutine per socket, parked in the runtime's poller
// between packets. At 50 packets/s per stream nothing is batched per
// socket, and recvmmsg(2) through the RawConn (to save the recvfrom that
// returns EAGAIN) measured no cheaper: see docs/media.md, Performance.
func (s *Session) rtpLoop(x, y *leg) {
	defer s.wg.Done()
	buf := make([]byte, maxDatagram)
	var h rtp.Header
	for {
		n, src, err := x.ports.RTP.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // a transient error; nothing to relay
		}
		s.handleRTP(x, y, buf[:n], src, time.Now(), &h)
	}
}

func (s *Session) rtcpLoop(x, y *leg) {
	defer s.wg.Done()
	buf := make([]byte, maxDatagram)
	for {
		n, src, err := x.ports.RTCP.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s.handleRTCP(x, y, buf[:n], src, time.Now())
	}
}

// parseRTP checks an RTP packet (RFC 3550 §5.1, A.1's validity tests that
// need no state) and returns its payload. h is reused across packets so
// pion's Unmarshal does not allocate.
func parseRTP(pkt []byte, h *rtp.Header) ([]byte, bool) {
	// Cheap checks first, so that junk never reaches the parser (whose
	// errors allocate): version 2, and not RTCP on the RTP port (RFC 5761
	// §4: second byte 192–223 is RTCP; we do not multiplex).
	if len(pkt) < 12 || pkt[0]>>6 != 2 || (pkt[1] >= 192 && pkt[1] <= 223) {
		return nil, false
	}
	hl, err := h.Unmarshal(pkt)
	if err != nil || hl > len(pkt) {
		return nil, false
	}
	payload := pkt[hl:]
	if h.Padding { // RFC 3550 §5.1: the last octet counts the padding, itself included
		if len(payload) == 0 {
			return nil, false
		}
		pad := int(payload[len(payload)-1])
		if pad == 0 || pad > len(payload) {
			return nil, false
		}
		payload = payload[:len(payload)-pad]
	}
	return payload, true
}

// handleRTP is the packet path: validate, latch, count, detect DTMF,
// relay, record. It never blocks on anything but the send and short
// uncontended locks, and never allocates.
func (s *Session) handleRTP(x, y *leg, pkt []byte, src netip.AddrPort, now time.Time, h *rtp.Header) {
	payload, ok := parseRTP(pkt, h)
	if !ok {
		x.malformed.Add(1)
		return
	}
	src = unmap(src)
	cfg := x.cfg.Load()
	pt := h.PayloadType
	kind, clock := cfg.kind[pt], cfg.clock[pt]

	x.mu.Lock()
	accepted, changed := x.rtpLatch.accept(src, now)
	if !accepted {
		x.mu.Unlock()
		x.foreign.Add(1)
		return
	}
	if changed {
		x.rtpDst.Store(addrPtr(src))
	}
	x.packets++
	x.bytes += uint64(len(pkt))
	dup, late := x.seq.update(h.SSRC, h.SequenceNumber)
	switch {
	case dup:
		x.dups++
	case late:
		x.late++
	case kind != kindEvent: // events repeat one timestamp: no jitter from them
		x.seq.updateJitter(int64(now.Sub(s.start)), h.Timestamp, clock, pt)
	}
	x.mu.Unlock()
	x.last.Store(now.UnixNano())
	if changed {
		s.log.Debug("media: RTP source learnt", "leg", x.id, "source", src)
	}

	if kind == kindEvent || x.dtmfActive.Load() {
		s.dtmfPacket(x, kind == kindEvent, h.SSRC, h.Timestamp, clock, payload, now)
	}
	if s.onAudio != nil && (kind == kindPCMU || kind == kindPCMA) && !dup && !late {
		if cap(x.pcm) < len(payload) {
			x.pcm = make([]int16, len(payload))
		}
		pcm := x.pcm[:len(payload)]
		if kind == kindPCMA {
			DecodeALaw(pcm, payload)
		} else {
			DecodeULaw(pcm, payload)
		}
		s.onAudio(x.id, pcm)
	}

	if !cfg.remote.Direction.Sends() || !y.cfg.Load().remote.Direction.Receives() {
		x.dirDrops.Add(1) // on hold: RFC 3264 §5.1, the endpoint does not want it
		return
	}
	dst := y.rtpDst.Load()
	if dst == nil {
		x.noDest.Add(1) // the other side's address is not known yet
		return
	}
	if _, err := y.ports.RTP.WriteToUDPAddrPort(pkt, *dst); err != nil {
		x.sendErr.Add(1)
		return
	}
	x.relayed.Add(1)
	x.relayedBytes.Add(uint64(len(pkt)))
	if s.rec != nil && (kind == kindPCMU || kind == kindPCMA) && !dup {
		s.rec.write(int(x.id), now, h.SSRC, h.Timestamp, kind == kindPCMA, late, payload)
	}
}

// handleRTCP validates, latches and relays one RTCP datagram, and takes
// from it what RTT needs. RTCP is relayed whatever the direction: RFC
// 3264 §5.1 keeps RTCP flowing on hold.
func (s *Session) handleRTCP(x, y *leg, pkt []byte, src netip.AddrPort, now time.Time) {
	cfg := x.cfg.Load()
	if !validRTCP(pkt, cfg.remote.Secure) {
		x.malformed.Add(1)
		return
	}
	src = unmap(src)
	x.rtcpMu.Lock()
	accepted, changed := x.rtcpLatch.accept(src, now)
	if accepted {
		x.rtcpPackets++
		if changed {
			x.rtcpDst.Store(addrPtr(src))
		}
	}
	x.rtcpMu.Unlock()
	if !accepted {
		x.foreign.Add(1)
		return
	}
	if !cfg.remote.Secure {
		s.measureRTCP(x, y, pkt, now)
	}
	dst := y.rtcpDst.Load()
	if dst == nil {
		x.rtcpDrop.Add(1)
		return
	}
	if _, err := y.ports.RTCP.WriteToUDPAddrPort(pkt, *dst); err != nil {
		x.rtcpDrop.Add(1)
		return
	}
	x.rtcpMu.Lock()
	x.rtcpRelayed++
	x.rtcpMu.Unlock()
}

// measureRTCP: an SR from x's endpoint is about to be delivered to y's, so
// it is remembered on y; a report block from x's endpoint echoing an SR
// delivered to x gives x's round trip.
func (s *Session) measureRTCP(x, y *leg, pkt []byte, now time.Time) {
	rtcpReports(pkt,
		func(lsr uint32) {
			y.rtcpMu.Lock()
			y.srOut.add(lsr, now)
			y.rtcpMu.Unlock()
		},
		func(lsr, dlsr uint32) {
			if lsr == 0 {
				return // no SR received yet by the reporter (RFC 3550 §6.4.1)
			}
			x.rtcpMu.Lock()
			if sent, ok := x.srOut.find(lsr); ok {
				if rtt, ok := rttFrom(now, sent, dlsr); ok {
					x.rtt = rtt
				}
			}
			x.rtcpMu.Unlock()
		})
}

// dtmfPacket feeds the leg's DTMF state and delivers what it reports.
func (s *Session) dtmfPacket(x *leg, event bool, ssrc, ts, clock uint32, payload []byte, now time.Time) {
	x.dtmfMu.Lock()
	defer x.dtmfMu.Unlock()
	if x.dtmfClosed {
		return
	}
	var out digits
	if event {
		out = x.dtmf.onEvent(x.id, ssrc, ts, clock, payload, now)
	} else {
		d, ok := x.dtmf.onAudio(x.id)
		out.add(d, ok)
	}
	x.dtmfActive.Store(x.dtmf.active)
	if x.dtmf.active {
		if x.dtmfTimer == nil {
			x.dtmfTimer = time.AfterFunc(s.dtmfTO, func() { s.dtmfExpire(x) })
		} else {
			x.dtmfTimer.Reset(s.dtmfTO)
		}
	} else if x.dtmfTimer != nil {
		x.dtmfTimer.Stop()
	}
	s.deliver(out)
}

func (s *Session) dtmfExpire(x *leg) {
	x.dtmfMu.Lock()
	defer x.dtmfMu.Unlock()
	if x.dtmfClosed {
		return
	}
	d, ok := x.dtmf.expire(x.id, time.Now(), s.dtmfTO)
	x.dtmfActive.Store(x.dtmf.active)
	if !ok && x.dtmf.active { // a packet came in meanwhile and re-armed the timer
		return
	}
	var out digits
	out.add(d, ok)
	s.deliver(out)
}

// closeDTMF stops the leg's timer and reports an event still open. A
// timer callback that already fired finds dtmfClosed and does nothing.
func (s *Session) closeDTMF(x *leg) {
	x.dtmfMu.Lock()
	defer x.dtmfMu.Unlock()
	x.dtmfClosed = true
	if x.dtmfTimer != nil {
		x.dtmfTimer.Stop()
	}
	var out digits
	out.add(x.dtmf.onAudio(x.id))
	s.deliver(out)
}

func (s *Session) deliver(out digits) {
	if s.onDTMF == nil {
		return
	}
	for _, d := range out.d[:out.n] {
		s.onDTMF(d)
	}
}
