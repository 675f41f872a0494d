package media

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// Description is a parsed and validated SDP body (RFC 8866) with what the
// relay needs from each m= line. Parse with ParseSDP; FilterCodecs and
// Rewrite produce what is sent on.
type Description struct {
	sd    sdp.SessionDescription
	Media []MediaDesc // one per m= line, in order
	audio int         // index of the anchored audio stream
}

// MediaDesc is one m= line.
type MediaDesc struct {
	Index     int
	Media     string     // "audio", "video", …
	Proto     string     // "RTP/AVP", …
	Port      int        // 0: the stream is disabled (RFC 3264 §6)
	Addr      netip.Addr // the media-level c= address, else the session-level one
	RTCP      netip.AddrPort
	RTCPMux   bool // a=rtcp-mux (RFC 5761 §5.1.1)
	Direction Direction
	Payloads  []PayloadType // in m= order, the offerer's preference
	// TelephoneEvent is the RFC 4733 payload type at 8 kHz (or the first
	// one at any rate), -1 if none.
	TelephoneEvent int
}

// Secure reports an SRTP profile (RFC 3711 §1.1): RTP/SAVP or RTP/SAVPF.
func (m MediaDesc) Secure() bool { return strings.Contains(m.Proto, "SAVP") }

// Remote is what Session.SetRemote needs from this m= line.
func (m MediaDesc) Remote() Remote {
	r := Remote{Direction: m.Direction, Payloads: m.Payloads, Secure: m.Secure(), RTCP: m.RTCP}
	if m.Addr.IsValid() && m.Port > 0 {
		r.RTP = netip.AddrPortFrom(m.Addr, uint16(m.Port))
	}
	return r
}

// rtpProto reports the transports the relay can anchor: plain RTP over
// UDP with the AVP family of profiles. DTLS-SRTP ("UDP/TLS/RTP/SAVPF")
// needs its handshake terminated or ICE, which the relay does not do.
func rtpProto(p string) bool {
	switch p {
	case "RTP/AVP", "RTP/AVPF", "RTP/SAVP", "RTP/SAVPF":
		return true
	}
	return false
}

// ParseSDP parses and validates an SDP offer or answer. Errors are
// *SDPError wrapping ErrMalformedSDP (answer 400) or ErrUnsupportedMedia
// (answer 488). The first m=audio line with a port and an RTP profile is
// the stream the relay anchors (Audio); there must be one.
func ParseSDP(body []byte) (*Description, error) {
	d := &Description{audio: -1}
	text := string(body)
	if !strings.HasPrefix(strings.TrimLeft(text, " \t\r\n"), "v=") {
		return nil, sdpErr(ErrMalformedSDP, "does not start with v=")
	}
	text, masked := maskMediaLines(text)
	if err := d.sd.UnmarshalString(text); err != nil {
		return nil, sdpErr(ErrMalformedSDP, err.Error())
	}
	for i, md := range d.sd.MediaDescriptions {
		if orig, ok := masked[i]; ok {
			md.MediaName.Media, md.MediaName.Protos = orig[0], strings.Split(orig[1], "/")
		}
	}
	if d.sd.Version != 0 {
		return nil, sdpErr(ErrMalformedSDP, "v= must be 0")
	}
	sessAddr, err := connAddr(d.sd.ConnectionInformation)
	if err != nil {
		return nil, err
	}
	sessDir, _ := directionOf(d.sd.Attributes)
	for i, md := range d.sd.MediaDescriptions {
		m, err := parseMedia(i, md, sessAddr, sessDir)
		if err != nil {
			return nil, err
		}
		d.Media = append(d.Media, m)
		if d.audio < 0 && m.Media == "audio" && m.Port > 0 && rtpProto(m.Proto) {
			d.audio = i
		}
	}
	if d.audio < 0 {
		return nil, sdpErr(ErrUnsupportedMedia, "no RTP audio stream")
	}
	if !d.Media[d.audio].Addr.IsValid() {
		return nil, sdpErr(ErrUnsupportedMedia, "audio connection address is not an IP address")
	}
	return d, nil
}

// maskMediaLines works around pion/sdp accepting only the media types and
// transport tokens it lists: an m= line with another one (a T.38 offer's
// "m=image 4000 udptl t38", RFC 6466 and T.38 Annex D) is given
// "application … UDP" for the parse and its own words back after it, so
// that such a stream is disabled by Rewrite instead of failing the whole
// SDP. masked maps the m= line's index to its media and proto.
func maskMediaLines(text string) (string, map[int][2]string) {
	var masked map[int][2]string
	lines := strings.SplitAfter(text, "\n")
	idx := -1
	for i, l := range lines {
		if !strings.HasPrefix(l, "m=") {
			continue
		}
		idx++
		f := strings.Fields(l[2:])
		if len(f) < 3 || (pionMedia(f[0]) && pionProto(f[2])) {
			continue
		}
		if masked == nil {
			masked = map[int][2]string{}
		}
		masked[idx] = [2]string{f[0], f[2]}
		f[0], f[2] = "application", "UDP"
		end := l[len(strings.TrimRight(l, "\r\n")):]
		lines[i] = "m=" + strings.Join(f, " ") + end
	}
	if masked == nil {
		return text, nil
	}
	return strings.Join(lines, ""), masked
}

func pionMedia(m string) bool {
	switch m {
	case "audio", "video", "text", "application", "message":
		return true
	}
	return false
}

func pionProto(p string) bool {
	for t := range strings.SplitSeq(p, "/") {
		switch t {
		case "UDP", "RTP", "AVP", "SAVP", "SAVPF", "TLS", "DTLS", "SCTP", "AVPF", "TCP", "MSRP", "BFCP", "UDT", "IX", "MRCPv2", "FEC":
		default:
			return false
		}
	}
	return true
}

// Audio returns the anchored audio stream.
func (d *Description) Audio() MediaDesc { return d.Media[d.audio] }

// Origin returns the o= line's session id and version (RFC 8866 §5.2).
func (d *Description) Origin() (id, version uint64) {
	return d.sd.Origin.SessionID, d.sd.Origin.SessionVersion
}

// connAddr parses a c= line. No c= gives an invalid address (the media
// level may have one); an FQDN or multicast address cannot be relayed to
// (488), an address of the wrong family is malformed (400).
func connAddr(c *sdp.ConnectionInformation) (netip.Addr, error) {
	if c == nil || c.Address == nil {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(c.Address.Address)
	if err != nil {
		return netip.Addr{}, sdpErr(ErrUnsupportedMedia, "c= address "+strconv.Quote(c.Address.Address)+" is not an IP address")
	}
	if (c.AddressType == "IP4") != a.Is4() {
		return netip.Addr{}, sdpErr(ErrMalformedSDP, "c= address does not match its type "+c.AddressType)
	}
	if a.IsMulticast() {
		return netip.Addr{}, sdpErr(ErrUnsupportedMedia, "multicast c= address")
	}
	return a, nil
}

func directionOf(attrs []sdp.Attribute) (Direction, bool) {
	for _, a := range attrs {
		switch a.Key {
		case "sendrecv":
			return SendRecv, true
		case "sendonly":
			return SendOnly, true
		case "recvonly":
			return RecvOnly, true
		case "inactive":
			return Inactive, true
		}
	}
	return SendRecv, false
}

func parseMedia(i int, md *sdp.MediaDescription, sessAddr netip.Addr, sessDir Direction) (MediaDesc, error) {
	m := MediaDesc{
		Index:          i,
		Media:          md.MediaName.Media,
		Proto:          strings.Join(md.MediaName.Protos, "/"),
		Port:           md.MediaName.Port.Value,
		TelephoneEvent: -1,
	}
	if m.Port < 0 || m.Port > 65535 {
		return m, sdpErr(ErrMalformedSDP, "m= port out of range")
	}
	addr, err := connAddr(md.ConnectionInformation)
	if err != nil && m.Media == "audio" {
		return m, err
	} // another stream's odd address does not matter: Rewrite disables it
	if !addr.IsValid() {
		addr = sessAddr
	}
	m.Addr = addr
	if m.Port != 0 && !addr.IsValid() && m.Media == "audio" {
		return m, sdpErr(ErrMalformedSDP, "no c= line for m="+m.Media) // RFC 8866 §5.7
	}
	if dir, ok := directionOf(md.Attributes); ok {
		m.Direction = dir
	} else {
		m.Direction = sessDir
	}
	if !rtpProto(m.Proto) && !strings.Contains(m.Proto, "RTP/") {
		return m, nil // not RTP: formats are not payload types
	}
	maps, fmtps := map[uint8]PayloadType{}, map[uint8]string{}
	for _, a := range md.Attributes {
		switch a.Key {
		case "rtpmap":
			p, err := parseRtpmap(a.Value)
			if err != nil {
				return m, err
			}
			maps[p.PT] = p
		case "fmtp":
			pt, params, _ := strings.Cut(a.Value, " ")
			if n, err := strconv.ParseUint(pt, 10, 7); err == nil {
				fmtps[uint8(n)] = strings.TrimSpace(params)
			}
		case "rtcp":
			if m.RTCP, err = parseRTCPAttr(a.Value, addr); err != nil {
				return m, err
			}
		case "rtcp-mux":
			m.RTCPMux = true
		}
	}
	for _, f := range md.MediaName.Formats {
		n, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			return m, sdpErr(ErrMalformedSDP, "payload type "+strconv.Quote(f)+" is not 0-127")
		}
		pt := uint8(n)
		p, ok := maps[pt]
		if !ok {
			p = staticPayload(pt)
		}
		p.Fmtp = fmtps[pt]
		m.Payloads = append(m.Payloads, p)
		if strings.EqualFold(p.Name, "telephone-event") && (m.TelephoneEvent < 0 || p.ClockRate == 8000) {
			m.TelephoneEvent = int(pt)
		}
	}
	if !m.RTCP.IsValid() && addr.IsValid() && m.Port > 0 && m.Port < 65535 {
		m.RTCP = netip.AddrPortFrom(addr, uint16(m.Port+1)) // RFC 3550 §11
	}
	return m, nil
}

// parseRtpmap reads "a=rtpmap:<pt> <name>/<rate>[/<channels>]" (RFC 8866
// §6.6).
func parseRtpmap(v string) (PayloadType, error) {
	bad := func() (PayloadType, error) {
		return PayloadType{}, sdpErr(ErrMalformedSDP, "bad a=rtpmap:"+v)
	}
	pt, enc, ok := strings.Cut(v, " ")
	n, err := strconv.ParseUint(pt, 10, 7)
	if !ok || err != nil {
		return bad()
	}
	parts := strings.Split(strings.TrimSpace(enc), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" {
		return bad()
	}
	rate, err := strconv.ParseUint(parts[1], 10, 32)
	if err != nil || rate == 0 {
		return bad()
	}
	p := PayloadType{PT: uint8(n), Name: parts[0], ClockRate: uint32(rate), Channels: 1}
	if len(parts) == 3 {
		ch, err := strconv.Atoi(parts[2])
		if err != nil || ch < 1 || ch > 255 {
			return bad()
		}
		p.Channels = ch
	}
	return p, nil
}

// parseRTCPAttr reads "a=rtcp:<port> [IN IP4 <addr>]" (RFC 3605 §2.1).
func parseRTCPAttr(v string, addr netip.Addr) (netip.AddrPort, error) {
	f := strings.Fields(v)
	if len(f) != 1 && len(f) != 4 {
		return netip.AddrPort{}, sdpErr(ErrMalformedSDP, "bad a=rtcp:"+v)
	}
	port, err := strconv.ParseUint(f[0], 10, 16)
	if err != nil || port == 0 {
		return netip.AddrPort{}, sdpErr(ErrMalformedSDP, "bad a=rtcp:"+v)
	}
	if len(f) == 4 {
		a, err := netip.ParseAddr(f[3])
		if err != nil || f[1] != "IN" || (f[2] == "IP4") != a.Is4() {
			return netip.AddrPort{}, sdpErr(ErrMalformedSDP, "bad a=rtcp:"+v)
		}
		addr = a
	}
	if !addr.IsValid() {
		return netip.AddrPort{}, nil
	}
	return netip.AddrPortFrom(addr, uint16(port)), nil
}

// staticPayload names the static audio payload types (RFC 3551 §6,
// table 4); others are unknown without an rtpmap.
func staticPayload(pt uint8) PayloadType {
	p := PayloadType{PT: pt, Channels: 1, ClockRate: 8000}
	switch pt {
	case 0:
		p.Name = "PCMU"
	case 3:
		p.Name = "GSM"
	case 4:
		p.Name = "G723"
	case 5:
		p.Name = "DVI4"
	case 6:
		p.Name, p.ClockRate = "DVI4", 16000
	case 7:
		p.Name = "LPC"
	case 8:
		p.Name = "PCMA"
	case 9:
		p.Name = "G722" // 8000 by RFC 3551's historical error, §4.5.2
	case 10:
		p.Name, p.ClockRate, p.Channels = "L16", 44100, 2
	case 11:
		p.Name, p.ClockRate = "L16", 44100
	case 12:
		p.Name = "QCELP"
	case 13:
		p.Name = "CN"
	case 15:
		p.Name = "G728"
	case 16:
		p.Name, p.ClockRate = "DVI4", 11025
	case 17:
		p.Name, p.ClockRate = "DVI4", 22050
	case 18:
		p.Name = "G729"
	default:
		p.ClockRate = 0
	}
	return p
}
