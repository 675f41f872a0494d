package media

import (
	"net/netip"
	"strings"
)

// Leg names one side of a session: A is the caller's side, B the callee's.
type Leg uint8

const (
	A Leg = iota
	B
)

func (l Leg) String() string {
	if l == A {
		return "A"
	}
	return "B"
}

func (l Leg) other() Leg { return 1 - l }

// Direction is an SDP direction attribute (RFC 3264 §5.1, §8.4 for hold),
// as seen from the endpoint that wrote the SDP. The zero value is
// SendRecv, SDP's default when no attribute is present.
type Direction uint8

const (
	SendRecv Direction = iota
	SendOnly           // the endpoint sends but will not receive (it holds the other side)
	RecvOnly           // the endpoint receives but will not send
	Inactive           // neither
)

func (d Direction) String() string {
	switch d {
	case SendOnly:
		return "sendonly"
	case RecvOnly:
		return "recvonly"
	case Inactive:
		return "inactive"
	}
	return "sendrecv"
}

// Sends reports whether an endpoint with this direction sends media.
func (d Direction) Sends() bool { return d == SendRecv || d == SendOnly }

// Receives reports whether an endpoint with this direction accepts media.
func (d Direction) Receives() bool { return d == SendRecv || d == RecvOnly }

// PayloadType is one RTP payload type of an m= line (RFC 8866 §6.6,
// RFC 3551 §6 for the static ones).
type PayloadType struct {
	PT        uint8
	Name      string // encoding name as written ("PCMU", "telephone-event"); "" if unknown
	ClockRate uint32 // Hz; 0 if unknown
	Channels  int    // 1 unless the rtpmap says otherwise
	Fmtp      string // a=fmtp parameters, "" if none
}

// Remote is what the switch learnt from one leg's SDP about that leg's
// endpoint. MediaDesc.Remote builds it from a parsed m=audio line.
type Remote struct {
	// RTP is the address the endpoint advertised for RTP (c= and m=).
	// An invalid or unspecified address (0.0.0.0, the RFC 2543 hold) or
	// port 0 means "unknown": the relay sends only to a learnt source.
	RTP netip.AddrPort
	// RTCP is the advertised RTCP address; zero means RTP's port + 1
	// (RFC 3605 §1).
	RTCP netip.AddrPort
	// Direction is the endpoint's direction attribute.
	Direction Direction
	// Payloads are the payload types the endpoint will send, which tell
	// the relay clock rates (jitter), the telephone-event type (DTMF) and
	// G.711 (recording). The relay passes any payload type through.
	Payloads []PayloadType
	// Secure is set for RTP/SAVP and RTP/SAVPF (SRTP): past its first
	// header an RTCP packet is then encrypted (SRTCP, RFC 3711 §3.4), so
	// only that header is checked.
	Secure bool
}

func (r Remote) rtcpAddr() netip.AddrPort {
	if r.RTCP.IsValid() {
		return r.RTCP
	}
	if r.RTP.IsValid() && r.RTP.Port() != 0 {
		return netip.AddrPortFrom(r.RTP.Addr(), r.RTP.Port()+1)
	}
	return netip.AddrPort{}
}

// usable reports whether ap can be sent to.
func usable(ap netip.AddrPort) bool {
	return ap.IsValid() && ap.Port() != 0 && !ap.Addr().IsUnspecified()
}

// unmap normalises an IPv4-mapped IPv6 address so that comparisons with
// SDP addresses work whatever the socket family.
func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// payload kinds the hot path cares about.
const (
	kindOther uint8 = iota
	kindPCMU
	kindPCMA
	kindEvent
	kindCN
)

// legConfig is an immutable snapshot of a leg's Remote, laid out for the
// packet path (one atomic load per packet, array lookups by PT).
type legConfig struct {
	remote    Remote
	rtp, rtcp netip.AddrPort // normalised advertised addresses
	kind      [128]uint8     // every telephone-event type is kindEvent, whatever its rate
	clock     [128]uint32
}

func newLegConfig(r Remote) *legConfig {
	c := &legConfig{remote: r}
	r.Payloads = append([]PayloadType(nil), r.Payloads...)
	c.remote = r
	c.rtp = unmap(r.RTP)
	if rc := r.rtcpAddr(); rc.IsValid() {
		c.rtcp = unmap(rc)
	}
	for _, p := range r.Payloads {
		if p.PT > 127 {
			continue
		}
		c.clock[p.PT] = p.ClockRate
		switch strings.ToLower(p.Name) {
		case "pcmu":
			c.kind[p.PT] = kindPCMU
		case "pcma":
			c.kind[p.PT] = kindPCMA
		case "cn":
			c.kind[p.PT] = kindCN
		case "telephone-event":
			c.kind[p.PT] = kindEvent
		}
	}
	return c
}
