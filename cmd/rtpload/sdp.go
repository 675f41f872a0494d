package main

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ErrSDP is returned when an SDP body lacks a usable audio address.
var ErrSDP = errors.New("sdp: no audio connection address")

// offerSDP is the minimal RFC 4566 audio body for one endpoint: PCMU only,
// 20 ms (RFC 3551 §4.5.14), so a relay has nothing to transcode.
func offerSDP(sessID int, ep netip.AddrPort) string {
	ip := ep.Addr().String()
	return "v=0\r\n" +
		"o=rtpload " + strconv.Itoa(sessID) + " 1 IN IP4 " + ip + "\r\n" +
		"s=rtpload\r\n" +
		"c=IN IP4 " + ip + "\r\n" +
		"t=0 0\r\n" +
		"m=audio " + strconv.Itoa(int(ep.Port())) + " RTP/AVP 0\r\n" +
		"a=rtpmap:0 PCMU/8000\r\n" +
		"a=ptime:20\r\n" +
		"a=sendrecv\r\n"
}

// audioAddr returns the first audio stream's address: the port from its
// m= line, the host from the media-level c= line or else the session-level
// one (RFC 4566 §5.7).
func audioAddr(sdp string) (netip.AddrPort, error) {
	var sessionC, mediaC string
	port := -1
	inMedia, inAudio := false, false
	for line := range strings.Lines(sdp) {
		line = strings.TrimRight(line, "\r\n")
		switch {
		case strings.HasPrefix(line, "m="):
			inMedia = true
			f := strings.Fields(line[2:])
			// Only the first audio stream counts.
			inAudio = port < 0 && len(f) >= 2 && f[0] == "audio"
			if inAudio {
				p, err := strconv.Atoi(strings.SplitN(f[1], "/", 2)[0])
				if err != nil || p <= 0 || p > 65535 {
					return netip.AddrPort{}, fmt.Errorf("%w: m= port %q", ErrSDP, f[1])
				}
				port = p
			}
		case strings.HasPrefix(line, "c="):
			f := strings.Fields(line[2:])
			if len(f) < 3 {
				continue
			}
			host := strings.SplitN(f[2], "/", 2)[0] // drop a multicast TTL
			switch {
			case !inMedia:
				sessionC = host
			case inAudio && mediaC == "":
				mediaC = host
			}
		}
	}
	host := mediaC
	if host == "" {
		host = sessionC
	}
	if port < 0 || host == "" {
		return netip.AddrPort{}, ErrSDP
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%w: c= %q", ErrSDP, host)
	}
	return netip.AddrPortFrom(ip, uint16(port)), nil
}
