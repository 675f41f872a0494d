package switching

import (
	"bytes"
	"errors"
	"strings"
)

// ErrNoCommonCodec is returned by filterCodecs when the offer has no codec
// the trunk accepts: the attempt fails with 488 Not Acceptable Here (RFC
// 3261 §21.4.26) instead of reaching a carrier that would refuse it.
var ErrNoCommonCodec = errors.New("no codec in common with the trunk")

// staticPT are the RTP/AVP static payload types by codec name (RFC 3551
// §6); dynamic ones are named by a=rtpmap.
var staticPT = map[string]string{"0": "pcmu", "3": "gsm", "8": "pcma", "9": "g722", "18": "g729"}

// filterCodecs keeps, in each audio m= line of an SDP offer (RFC 4566
// §5.14), only the payload types whose codec the trunk accepts, in the
// offer's order, and drops the rtpmap/fmtp lines of the others. DTMF
// (telephone-event, RFC 4733) is kept whenever offered: it is how digits
// reach IVRs, not a voice codec a carrier chooses. allowed are codec names,
// compared case-insensitively. A body that is not SDP passes unchanged.
func filterCodecs(body []byte, allowed []string) ([]byte, error) {
	if len(allowed) == 0 || !bytes.HasPrefix(bytes.TrimSpace(body), []byte("v=")) {
		return body, nil
	}
	ok := map[string]bool{"telephone-event": true}
	for _, c := range allowed {
		ok[strings.ToLower(c)] = true
	}
	lines := strings.Split(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n")
	// Names of dynamic payload types, from a=rtpmap:<pt> <name>/<rate>.
	names := map[string]string{}
	for _, l := range lines {
		if rest, found := strings.CutPrefix(l, "a=rtpmap:"); found {
			pt, enc, _ := strings.Cut(rest, " ")
			name, _, _ := strings.Cut(enc, "/")
			names[pt] = strings.ToLower(name)
		}
	}
	nameOf := func(pt string) string {
		if n, found := names[pt]; found {
			return n
		}
		return staticPT[pt]
	}
	keep := map[string]bool{}
	out := make([]string, 0, len(lines))
	audio, voice := false, false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "m="):
			f := strings.Fields(l)
			audio = len(f) > 3 && f[0] == "m=audio"
			if !audio {
				out = append(out, l)
				continue
			}
			kept := f[:3]
			for _, pt := range f[3:] {
				if n := nameOf(pt); ok[n] {
					kept = append(kept, pt)
					keep[pt] = true
					if n != "telephone-event" {
						voice = true
					}
				}
			}
			out = append(out, strings.Join(kept, " "))
		case audio && (strings.HasPrefix(l, "a=rtpmap:") || strings.HasPrefix(l, "a=fmtp:")):
			_, rest, _ := strings.Cut(l, ":")
			pt, _, _ := strings.Cut(rest, " ")
			if keep[pt] {
				out = append(out, l)
			}
		default:
			out = append(out, l)
		}
	}
	if !voice {
		return nil, ErrNoCommonCodec
	}
	return []byte(strings.Join(out, "\r\n")), nil
}
