package media

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// RewriteOptions says how the switch presents itself in an SDP it
// forwards to the other side.
type RewriteOptions struct {
	// Addr is the switch's advertised media IP (public behind 1:1 NAT).
	Addr netip.Addr
	// RTPPort and RTCPPort are the leg's local ports (Session.Local for
	// the leg the SDP is sent to).
	RTPPort, RTCPPort uint16
	// SessionID, if non-zero, replaces the o= session id, so that each leg
	// sees one stable session of the switch's own (RFC 3264 §5).
	SessionID uint64
	// Version, if non-zero, replaces the o= session version. RFC 3264 §8
	// wants it one higher in every re-offer that changes anything, and
	// unchanged otherwise: the switch keeps one counter per leg.
	Version uint64
}

// Attributes removed from the anchored stream (and the session level) by
// Rewrite, and why:
//   - ICE (RFC 8839: candidate, ice-ufrag, ice-pwd, ice-options, ice-lite,
//     ice-mismatch, remote-candidates, end-of-candidates): the candidates
//     are the far end's addresses; passed on, they would let the other
//     side send media around the switch, and the relay answers no STUN
//     checks.
//   - rtcp-mux and rtcp-mux-only (RFC 5761, RFC 8858): the relay keeps RTP
//     and RTCP on separate ports; without the attribute in what it sends,
//     neither side multiplexes (RFC 5761 §5.1.1).
//   - rtcp: replaced with the switch's own RTCP port (RFC 3605).
//   - group:BUNDLE, at the session level (RFC 9143): bundled streams share
//     one port, which only the anchored audio stream keeps.
func stripped(key string) bool {
	switch key {
	case "candidate", "ice-ufrag", "ice-pwd", "ice-options", "ice-lite", "ice-mismatch",
		"remote-candidates", "end-of-candidates", "ice-pacing",
		"rtcp-mux", "rtcp-mux-only", "rtcp":
		return true
	}
	return false
}

func strippedSession(a sdp.Attribute) bool {
	return stripped(a.Key) || (a.Key == "group" && strings.HasPrefix(a.Value, "BUNDLE"))
}

// Rewrite returns the SDP to send to the other side: o= and every c= carry
// the switch's address, the anchored audio stream the leg's ports, the
// attributes listed at stripped are gone, and everything else (codec
// order, fmtp, ptime, crypto, …) is kept as written. Streams other than
// the anchored audio one are disabled with port 0 (RFC 3264 §6, §8.2):
// the switch relays only that one. The Description is not changed.
func (d *Description) Rewrite(o RewriteOptions) ([]byte, error) {
	if !o.Addr.IsValid() || o.RTPPort == 0 || o.RTCPPort == 0 {
		return nil, &ConfigError{Field: "RewriteOptions", Reason: "needs Addr, RTPPort and RTCPPort"}
	}
	addrType, addr := "IP4", o.Addr.Unmap().String()
	if o.Addr.Unmap().Is6() {
		addrType = "IP6"
	}
	conn := func() *sdp.ConnectionInformation {
		return &sdp.ConnectionInformation{NetworkType: "IN", AddressType: addrType, Address: &sdp.Address{Address: addr}}
	}
	sd := d.sd // shallow copy; everything changed below is replaced, not modified
	sd.Origin.NetworkType, sd.Origin.AddressType, sd.Origin.UnicastAddress = "IN", addrType, addr
	if o.SessionID != 0 {
		sd.Origin.SessionID = o.SessionID
	}
	if o.Version != 0 {
		sd.Origin.SessionVersion = o.Version
	}
	sd.ConnectionInformation = conn()
	sd.Attributes = slices.DeleteFunc(slices.Clone(sd.Attributes), strippedSession)
	sd.MediaDescriptions = make([]*sdp.MediaDescription, len(d.sd.MediaDescriptions))
	for i, src := range d.sd.MediaDescriptions {
		md := *src
		md.MediaName.Formats = slices.Clone(src.MediaName.Formats)
		if md.ConnectionInformation != nil {
			md.ConnectionInformation = conn()
		}
		if i != d.audio {
			md.MediaName.Port = sdp.RangedPort{Value: 0}
			sd.MediaDescriptions[i] = &md
			continue
		}
		md.MediaName.Port = sdp.RangedPort{Value: int(o.RTPPort)}
		attrs := make([]sdp.Attribute, 0, len(src.Attributes)+1)
		for _, a := range src.Attributes {
			if !stripped(a.Key) {
				attrs = append(attrs, a)
			}
		}
		md.Attributes = append(attrs, sdp.Attribute{Key: "rtcp", Value: strconv.Itoa(int(o.RTCPPort))})
		sd.MediaDescriptions[i] = &md
	}
	b, err := sd.Marshal()
	if err != nil {
		return nil, sdpErr(ErrMalformedSDP, err.Error())
	}
	return b, nil
}

// FilterCodecs keeps, in the anchored audio stream, only the payload types
// whose encoding name is in allowed (case-insensitive), in the offer's
// order, with their rtpmap, fmtp and rtcp-fb lines; the others' lines go.
// telephone-event is always kept: DTMF reaches IVRs whatever the trunk's
// voice codecs (as switching's filter does). If no voice codec remains it
// returns ErrNoCommonCodec (the switch answers 488: it never transcodes).
// An empty allowed list keeps everything. The Description is changed in
// place.
func (d *Description) FilterCodecs(allowed []string) error {
	if len(allowed) == 0 {
		return nil
	}
	ok := func(name string) bool {
		if strings.EqualFold(name, "telephone-event") {
			return true
		}
		return slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, name) })
	}
	m := &d.Media[d.audio]
	keep := map[string]bool{}
	var kept []PayloadType
	voice := false
	for _, p := range m.Payloads {
		if ok(p.Name) {
			kept = append(kept, p)
			keep[strconv.Itoa(int(p.PT))] = true
			if !strings.EqualFold(p.Name, "telephone-event") {
				voice = true
			}
		}
	}
	if !voice {
		return sdpErr(ErrNoCommonCodec, "offered "+payloadNames(m.Payloads)+", allowed "+strings.Join(allowed, " "))
	}
	md := d.sd.MediaDescriptions[d.audio]
	md.MediaName.Formats = slices.DeleteFunc(md.MediaName.Formats, func(f string) bool { return !keep[f] })
	md.Attributes = slices.DeleteFunc(md.Attributes, func(a sdp.Attribute) bool {
		switch a.Key {
		case "rtpmap", "fmtp", "rtcp-fb":
			pt, _, _ := strings.Cut(a.Value, " ")
			return pt != "*" && !keep[pt]
		}
		return false
	})
	m.Payloads = kept
	m.TelephoneEvent = -1
	for _, p := range kept {
		if strings.EqualFold(p.Name, "telephone-event") && (m.TelephoneEvent < 0 || p.ClockRate == 8000) {
			m.TelephoneEvent = int(p.PT)
		}
	}
	return nil
}

func payloadNames(ps []PayloadType) string {
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		if p.Name == "" {
			names = append(names, strconv.Itoa(int(p.PT)))
		} else {
			names = append(names, p.Name)
		}
	}
	return strings.Join(names, " ")
}
