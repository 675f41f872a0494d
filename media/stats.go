package media

import (
	"net/netip"
	"time"
)

// Stats is a snapshot of a session, one LegStats per leg.
type Stats struct {
	A, B LegStats
}

// Leg returns the stats of leg l.
func (s Stats) Leg(l Leg) LegStats {
	if l == A {
		return s.A
	}
	return s.B
}

// LegStats describes one leg: its addresses, the stream its endpoint
// sends (Received), what the switch sent it, and its round trip.
type LegStats struct {
	Local  netip.AddrPort // the switch's RTP address for this leg
	Remote netip.AddrPort // the RTP address from the leg's SDP
	Source netip.AddrPort // the learnt source (invalid until a packet was accepted)
	Locked bool           // learning is over: only Source is accepted

	// Received is the media the endpoint sent (direction leg → other leg).
	Received StreamStats
	// SentPackets and SentBytes are the RTP the switch relayed to this
	// endpoint (the other leg's Received.Relayed).
	SentPackets, SentBytes uint64

	RTCPReceived, RTCPRelayed uint64
	// RTT is the round trip between the switch and this endpoint, from
	// RTCP SR/RR (RFC 3550 §6.4.1); 0 until the endpoint reported on an SR
	// the switch delivered.
	RTT time.Duration

	LastReceived time.Time // last accepted RTP packet; zero if none
}

// StreamStats counts one direction of RTP, as received by the switch.
type StreamStats struct {
	Packets    uint64 // accepted from the learnt source, duplicates included
	Bytes      uint64 // UDP payload bytes of those
	Expected   int64  // RFC 3550 A.3: extended highest seq − first seq + 1, summed over SSRCs
	Lost       int64  // Expected − unique packets received (never negative)
	OutOfOrder uint64 // arrived after a higher sequence number
	Duplicates uint64 // a sequence number seen before (within the last 512)
	JitterMs   float64
	// MOS is the E-model estimate for this stream (see MOS): its loss and
	// jitter here, and the RTT of both legs when known. 0 when no packet
	// was received.
	MOS float64

	Relayed, RelayedBytes uint64 // sent on to the other leg

	Dropped Drops
}

// Drops counts packets the switch received on a leg and did not relay.
type Drops struct {
	Malformed     uint64 // RTP or RTCP that is not: short, version ≠ 2, bad lengths or padding
	Foreign       uint64 // RTP or RTCP from a source other than the learnt one (RTP bleed protection)
	Direction     uint64 // RTP against the SDP direction (hold)
	NoDestination uint64 // RTP before the other leg's address was known
	SendErrors    uint64 // RTP the kernel refused to send
	RTCPUnsent    uint64 // RTCP with no destination or refused by the kernel
}

// LossPercent is Lost as a percentage of Expected.
func (s StreamStats) LossPercent() float64 {
	if s.Expected <= 0 {
		return 0
	}
	return float64(s.Lost) * 100 / float64(s.Expected)
}

// Stats returns a snapshot of both legs. It takes each leg's locks
// briefly; call it as often as periodic events need.
func (s *Session) Stats() Stats {
	a, b := s.legStats(s.legs[A]), s.legStats(s.legs[B])
	a.SentPackets, a.SentBytes = b.Received.Relayed, b.Received.RelayedBytes
	b.SentPackets, b.SentBytes = a.Received.Relayed, a.Received.RelayedBytes
	rtt := a.RTT + b.RTT
	for _, l := range []*LegStats{&a, &b} {
		if l.Received.Packets > 0 {
			l.Received.MOS = MOS(l.Received.LossPercent(), l.Received.JitterMs, float64(rtt)/float64(time.Millisecond))
		}
	}
	return Stats{A: a, B: b}
}

func (s *Session) legStats(x *leg) LegStats {
	ls := LegStats{Local: x.local[0], Remote: x.cfg.Load().rtp, LastReceived: s.LastReceived(x.id)}
	x.mu.Lock()
	ls.Source, ls.Locked = x.rtpLatch.source, x.rtpLatch.locked
	r := &ls.Received
	r.Packets, r.Bytes = x.packets, x.bytes
	r.Expected = x.seq.expectedTotal()
	r.Lost = x.seq.lost()
	r.OutOfOrder, r.Duplicates = x.late, x.dups
	r.JitterMs = x.seq.jitterMs()
	x.mu.Unlock()

	r.Relayed, r.RelayedBytes = x.relayed.Load(), x.relayedBytes.Load()
	r.Dropped = Drops{
		Malformed:     x.malformed.Load(),
		Foreign:       x.foreign.Load(),
		Direction:     x.dirDrops.Load(),
		NoDestination: x.noDest.Load(),
		SendErrors:    x.sendErr.Load(),
		RTCPUnsent:    x.rtcpDrop.Load(),
	}

	x.rtcpMu.Lock()
	ls.RTCPReceived, ls.RTCPRelayed, ls.RTT = x.rtcpPackets, x.rtcpRelayed, x.rtt
	x.rtcpMu.Unlock()
	return ls
}
