package rtppeer

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/pion/rtcp"
)

// ntpEpochOffset is the seconds from 1900 (NTP, RFC 3550 §4) to 1970.
const ntpEpochOffset = 2208988800

// NTPTime converts t to the 64-bit NTP format of RFC 3550 §4.
func NTPTime(t time.Time) uint64 {
	secs := uint64(t.Unix() + ntpEpochOffset)
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return secs<<32 | frac
}

// SendRTCP sends pkts as one compound datagram from the RTCP socket
// (RFC 3550 §6.1) to dst, normally the peer's RTP port + 1.
func (p *Peer) SendRTCP(ctx context.Context, dst netip.AddrPort, pkts ...rtcp.Packet) error {
	if p.rtcp == nil {
		return ErrNoRTCPSocket
	}
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		return fmt.Errorf("rtppeer: rtcp marshal: %w", err)
	}
	return p.write(ctx, p.rtcp, dst, b)
}

// senderReport builds an SR for what SendStream sent so far (RFC 3550
// §6.4.1); rtpTS is the timestamp of the last packet, which is "now".
func (p *Peer) senderReport(ssrc, rtpTS uint32, res SendResult) *rtcp.SenderReport {
	return &rtcp.SenderReport{
		SSRC:        ssrc,
		NTPTime:     NTPTime(time.Now()),
		RTPTime:     rtpTS,
		PacketCount: uint32(res.Sent),
		OctetCount:  uint32(res.Octets),
	}
}

// ReceiverReport builds an RR from reporter about the streams received so
// far (RFC 3550 §6.4.2: cumulative lost, extended highest sequence; the
// fraction lost is over the whole stream, not since the last report, which
// is enough for tests).
func (p *Peer) ReceiverReport(reporter uint32) *rtcp.ReceiverReport {
	st := p.Stats()
	rr := &rtcp.ReceiverReport{SSRC: reporter}
	for _, ssrc := range sortedKeys(st.Streams) {
		s := st.Streams[ssrc]
		expected := int64(s.HighestSeq) - int64(s.FirstSeq) + 1
		var frac uint8
		if expected > 0 && s.Lost > 0 {
			frac = uint8(s.Lost * 256 / expected)
		}
		lost := max(s.Lost, 0)
		rr.Reports = append(rr.Reports, rtcp.ReceptionReport{
			SSRC:               ssrc,
			FractionLost:       frac,
			TotalLost:          uint32(min(lost, 0x7fffff)), // 24-bit field
			LastSequenceNumber: s.HighestSeq,
		})
		if len(rr.Reports) == 31 { // RC is 5 bits (RFC 3550 §6.4.2)
			break
		}
	}
	return rr
}
