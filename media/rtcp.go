package media

import (
	"time"

	"github.com/pion/rtcp"
)

// validRTCP applies the RTCP header validity checks of RFC 3550 A.2 to a
// datagram without allocating: at least one 8-byte packet, version 2, a
// packet type in RTCP's range 192–223 (RFC 5761 §4), and lengths that add
// up exactly to the datagram, with padding only in the last packet. For
// SRTCP (secure) everything after the first 8 bytes is encrypted and an
// index and tag follow (RFC 3711 §3.4), so only the first header is
// checked, and that its length fits.
func validRTCP(b []byte, secure bool) bool {
	if len(b) < 8 {
		return false
	}
	for off := 0; off < len(b); {
		if len(b)-off < 4 {
			return false
		}
		h := b[off:]
		if h[0]>>6 != 2 || h[1] < 192 || h[1] > 223 {
			return false
		}
		n := (int(h[2])<<8 | int(h[3]) + 1) * 4
		if n > len(h) {
			return false
		}
		if secure {
			return true
		}
		if h[0]&0x20 != 0 { // padding: last packet only, and the count must fit
			if off+n != len(b) {
				return false
			}
			if pad := int(h[n-1]); pad == 0 || pad > n-4 {
				return false
			}
		}
		off += n
	}
	return true
}

// srRecord is a sender report the relay delivered to an endpoint: the
// middle 32 bits of its NTP timestamp, which the endpoint's receiver
// report will echo as LSR, and when the relay sent it.
type srRecord struct {
	lsr uint32
	at  time.Time
}

// srRing remembers the last few SRs delivered on a leg.
type srRing struct {
	r [8]srRecord
	i int
}

func (s *srRing) add(lsr uint32, at time.Time) {
	s.r[s.i%len(s.r)] = srRecord{lsr: lsr, at: at}
	s.i++
}

func (s *srRing) find(lsr uint32) (time.Time, bool) {
	for _, e := range s.r {
		if e.lsr == lsr && !e.at.IsZero() {
			return e.at, true
		}
	}
	return time.Time{}, false
}

// rtcpReports extracts what RTT needs from a valid, unencrypted compound
// packet: the SRs in it (NTP middle 32 bits, RFC 3550 §6.4.1) and the
// report blocks' LSR and DLSR. pion/rtcp allocates, which is fine at
// RTCP's rate (one compound packet per ~5 s per stream, RFC 3550 §6.2) and
// only for packets from the latched source.
func rtcpReports(b []byte, sr func(lsr uint32), rb func(lsr, dlsr uint32)) {
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		return // valid by A.2 but not to pion's taste: relayed, not measured
	}
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.SenderReport:
			sr(uint32(p.NTPTime >> 16))
			for _, r := range p.Reports {
				rb(r.LastSenderReport, r.Delay)
			}
		case *rtcp.ReceiverReport:
			for _, r := range p.Reports {
				rb(r.LastSenderReport, r.Delay)
			}
		}
	}
}

// rttFrom computes a round trip from a report block (RFC 3550 §6.4.1):
// now − (when the relay sent the SR named by lsr) − dlsr, where dlsr is in
// units of 1/65536 s. Using the relay's own send time instead of the NTP
// value makes this the round trip between the relay and that endpoint.
func rttFrom(now, sent time.Time, dlsr uint32) (time.Duration, bool) {
	d := time.Duration(dlsr) * time.Second / 65536
	rtt := now.Sub(sent) - d
	if rtt < 0 {
		return 0, false
	}
	return rtt, true
}
