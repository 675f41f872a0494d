package rtppeer

import (
	"context"
	"errors"
	"maps"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// maxDatagram is larger than any RTP packet this package expects; a longer
// datagram is truncated by the read and counted like any other.
const maxDatagram = 2048

// Stats is what a Peer has received so far.
type Stats struct {
	// Streams holds the RTP streams by SSRC.
	Streams map[uint32]StreamStats
	// Malformed counts datagrams on the RTP socket that are neither RTP
	// version 2 nor RTCP.
	Malformed uint64
	// RTCP counts RTCP on the RTCP socket, and on the RTP socket when it
	// arrives multiplexed (RFC 5761 §4: packet types 200-204 there).
	RTCP RTCPStats
}

// RTCPStats counts received RTCP.
type RTCPStats struct {
	Compounds       uint64 // datagrams that parsed as RTCP
	SenderReports   uint64
	ReceiverReports uint64
	Malformed       uint64 // datagrams on the RTCP socket that did not parse
	LastSR          *rtcp.SenderReport
	LastRR          *rtcp.ReceiverReport
}

// StreamStats counts one SSRC's packets.
type StreamStats struct {
	SSRC        uint32
	PayloadType uint8 // of the last packet
	Packets     uint64
	Bytes       uint64 // whole datagrams, RTP header included
	Payload     uint64 // payload bytes only
	Markers     uint64 // packets with the marker bit
	// Lost is expected minus received, where expected comes from the
	// extended highest sequence number (RFC 3550 §A.3); duplicates can make
	// it negative.
	Lost int64
	// Gaps counts forward jumps of more than one sequence number.
	Gaps uint64
	// Reordered counts packets older than the highest sequence seen.
	Reordered uint64
	// FirstSeq and HighestSeq are extended sequence numbers (RFC 3550 §A.1:
	// cycles<<16 | seq).
	FirstSeq, HighestSeq uint32
	// Sources lists the distinct addresses the stream came from, in order.
	Sources []netip.AddrPort
	// Latencies holds the one-way latency of each stamped packet (see
	// PutStamp), in arrival order.
	Latencies []time.Duration
	// Packets kept with Options.KeepPackets, in arrival order.
	Received []Received
}

// Received is one kept RTP packet.
type Received struct {
	Header  rtp.Header
	Payload []byte
	From    netip.AddrPort
	At      time.Time
	Latency time.Duration // 0 when not stamped
}

// seqState tracks sequence numbers per RFC 3550 §A.1 (without probation:
// test streams start clean).
type seqState struct {
	base   uint16
	max    uint16
	cycles uint32
}

// Stats returns a copy of the counters.
func (p *Peer) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.stats
	out.Streams = make(map[uint32]StreamStats, len(p.stats.Streams))
	for k, v := range p.stats.Streams {
		v.Sources = slices.Clone(v.Sources)
		v.Latencies = slices.Clone(v.Latencies)
		v.Received = slices.Clone(v.Received)
		out.Streams[k] = v
	}
	return out
}

// Stream returns the stats of one SSRC (zero when none arrived).
func (p *Peer) Stream(ssrc uint32) StreamStats { return p.Stats().Streams[ssrc] }

// SSRCs returns the SSRCs seen so far, sorted.
func (p *Peer) SSRCs() []uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Sorted(maps.Keys(p.stats.Streams))
}

// Wait blocks until cond holds for the current stats or ctx ends; it checks
// after every received datagram.
func (p *Peer) Wait(ctx context.Context, cond func(Stats) bool) error {
	poll := time.NewTicker(50 * time.Millisecond) // also re-check without traffic
	defer poll.Stop()
	for {
		if cond(p.Stats()) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.changed:
		case <-poll.C:
		}
	}
}

func (p *Peer) readRTP() {
	defer p.readers.Done()
	buf := make([]byte, maxDatagram)
	var h rtp.Header
	for {
		n, from, err := p.rtp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				p.log.Debug("rtppeer: read", "err", err)
			}
			return
		}
		at := time.Now()
		mono := MonoNow()
		b := buf[:n]
		if isRTCP(b) {
			// RTCP multiplexed on the RTP port (RFC 5761 §4).
			p.countRTCP(b)
			continue
		}
		hl, err := h.Unmarshal(b)
		if err != nil || h.Version != 2 {
			p.mu.Lock()
			p.stats.Malformed++
			p.mu.Unlock()
			p.signal()
			p.log.Debug("rtppeer: malformed datagram", "from", from, "len", n)
			continue
		}
		p.count(&h, b, b[hl:], from, at, mono)
	}
}

// isRTCP follows RFC 5761 §4: version 2 and a second octet (PT with marker)
// of 192-223 is RTCP, not RTP.
func isRTCP(b []byte) bool {
	return len(b) >= 8 && b[0]>>6 == 2 && b[1] >= 192 && b[1] <= 223
}

func (p *Peer) count(h *rtp.Header, b, payload []byte, from netip.AddrPort, at time.Time, mono int64) {
	var lat time.Duration
	if sent, ok := ReadStamp(payload); ok {
		lat = time.Duration(mono - sent)
	}
	p.mu.Lock()
	st := p.stats.Streams[h.SSRC]
	st.SSRC = h.SSRC
	st.PayloadType = h.PayloadType
	st.Packets++
	st.Bytes += uint64(len(b))
	st.Payload += uint64(len(payload))
	if h.Marker {
		st.Markers++
	}
	if !slices.Contains(st.Sources, from) {
		st.Sources = append(st.Sources, from)
	}
	if lat != 0 {
		st.Latencies = append(st.Latencies, lat)
	}
	p.updateSeq(&st, h.SequenceNumber)
	if p.keep {
		hc := h.Clone()
		st.Received = append(st.Received, Received{Header: hc, Payload: slices.Clone(payload), From: from, At: at, Latency: lat})
	}
	p.stats.Streams[h.SSRC] = st
	p.mu.Unlock()
	p.signal()
}

// updateSeq applies RFC 3550 §A.1's extended sequence arithmetic; p.mu held.
func (p *Peer) updateSeq(st *StreamStats, seq uint16) {
	s, ok := p.seqs[st.SSRC]
	if !ok {
		s = &seqState{base: seq, max: seq}
		p.seqs[st.SSRC] = s
		st.FirstSeq = uint32(seq)
		st.HighestSeq = uint32(seq)
		st.Lost = 0
		return
	}
	delta := int16(seq - s.max)
	switch {
	case delta > 0:
		if seq < s.max { // wrapped past 65535
			s.cycles += 1 << 16
		}
		if delta > 1 {
			st.Gaps++
		}
		s.max = seq
	default: // duplicate or late
		st.Reordered++
	}
	st.HighestSeq = s.cycles | uint32(s.max)
	expected := int64(st.HighestSeq) - int64(st.FirstSeq) + 1
	st.Lost = expected - int64(st.Packets)
}

func (p *Peer) readRTCP() {
	defer p.readers.Done()
	buf := make([]byte, maxDatagram)
	for {
		n, _, err := p.rtcp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				p.log.Debug("rtppeer: read rtcp", "err", err)
			}
			return
		}
		p.countRTCP(buf[:n])
	}
}

func (p *Peer) countRTCP(b []byte) {
	pkts, err := rtcp.Unmarshal(b)
	p.mu.Lock()
	defer p.signal()
	defer p.mu.Unlock()
	if err != nil {
		p.stats.RTCP.Malformed++
		return
	}
	p.stats.RTCP.Compounds++
	for _, pk := range pkts {
		switch r := pk.(type) {
		case *rtcp.SenderReport:
			p.stats.RTCP.SenderReports++
			p.stats.RTCP.LastSR = r
		case *rtcp.ReceiverReport:
			p.stats.RTCP.ReceiverReports++
			p.stats.RTCP.LastRR = r
		}
	}
}

func sortedKeys(m map[uint32]StreamStats) []uint32 { return slices.Sorted(maps.Keys(m)) }
