package dialer

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"softswitch/media"
)

// offerCodecs is what the dialer offers the first party: G.711 both laws
// (the dialer never transcodes, and every phone and carrier in scope
// speaks one of them) and RFC 4733 events for DTMF.
var offerCodecs = []media.PayloadType{
	{PT: 8, Name: "PCMA", ClockRate: 8000},
	{PT: 0, Name: "PCMU", ClockRate: 8000},
	{PT: 101, Name: "telephone-event", ClockRate: 8000},
}

// offer builds an SDP offer (RFC 4566, RFC 3264 §5) for one leg's local
// RTP address, offering codecs in order. sessID keeps the o= line unique
// per leg.
func offer(rtp, rtcp netip.AddrPort, codecs []media.PayloadType, sessID uint64) []byte {
	ip := rtp.Addr().Unmap()
	family := "IP4"
	if ip.Is6() {
		family = "IP6"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=softswitch-dialer %d 1 IN %s %s\r\ns=-\r\nc=IN %s %s\r\nt=0 0\r\n", sessID, family, ip, family, ip)
	b.WriteString("m=audio " + strconv.Itoa(int(rtp.Port())) + " RTP/AVP")
	for _, c := range codecs {
		b.WriteString(" " + strconv.Itoa(int(c.PT)))
	}
	b.WriteString("\r\n")
	for _, c := range codecs {
		fmt.Fprintf(&b, "a=rtpmap:%d %s/%d\r\n", c.PT, c.Name, c.ClockRate)
		if strings.EqualFold(c.Name, "telephone-event") {
			fmt.Fprintf(&b, "a=fmtp:%d 0-15\r\n", c.PT)
		}
	}
	fmt.Fprintf(&b, "a=rtcp:%d\r\na=sendrecv\r\n", rtcp.Port())
	return []byte(b.String())
}

// chosen is the codec a party answered with (its first non-event payload)
// and the telephone-event payload, if any: what the second party is
// offered, so that the relay, which never transcodes, joins two legs
// speaking the same codec.
func chosen(answer *media.Description) ([]media.PayloadType, error) {
	var voice *media.PayloadType
	var events []media.PayloadType
	for _, p := range answer.Audio().Payloads {
		switch {
		case strings.EqualFold(p.Name, "telephone-event"):
			events = append(events, p)
		case voice == nil && p.Name != "":
			voice = &p
		}
	}
	if voice == nil {
		return nil, fmt.Errorf("dialer: the answer names no audio codec")
	}
	return append([]media.PayloadType{*voice}, events...), nil
}
