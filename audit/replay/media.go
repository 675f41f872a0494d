package replay

import (
	"fmt"
	"strings"
	"time"

	"softswitch/domain"
)

// MediaEvent is one event of the call's media plane (docs/media.md), with
// when it happened: the envelope's time, or for a digit when its first
// packet arrived (domain.DTMF.At), which is what a dispute asks about.
type MediaEvent struct {
	At    time.Time
	Event domain.Event
}

// addMedia keeps ev if it is a media event; false if it is not one.
func (h *History) addMedia(ev domain.Event, at time.Time) bool {
	switch e := ev.(type) {
	case domain.DTMF:
		if !e.At.IsZero() {
			at = e.At
		}
	case domain.MediaAnchored, domain.MediaStats, domain.Recording:
	default:
		return false
	}
	h.Media = append(h.Media, MediaEvent{At: at, Event: ev})
	return true
}

// renderMedia prints one line per media event, in log order.
func renderMedia(ew *errWriter, h History, off func(time.Time) string) {
	ew.printf("\nMedia\n")
	if len(h.Media) == 0 {
		ew.printf("  none (the call's media did not go through the switch)\n")
	}
	for _, m := range h.Media {
		ew.printf("  %8s  %s\n", off(m.At), MediaLine(m.Event))
	}
}

// MediaLine is the one-line summary of a media event, e.g.
// "dtmf a: 5 (160 ms)"; "" for any other event.
func MediaLine(ev domain.Event) string {
	switch e := ev.(type) {
	case domain.MediaAnchored:
		s := fmt.Sprintf("media %s: local %s remote %s", e.Leg, orNone(e.Local), orNone(e.Remote))
		if e.Direction != "" {
			s += " " + e.Direction
		}
		if len(e.Codecs) > 0 {
			s += " " + strings.Join(e.Codecs, ",")
		}
		return s
	case domain.MediaStats:
		s := "media stats"
		if e.Final {
			s += " (final)"
		}
		if len(e.Legs) == 0 {
			return s + ": no legs"
		}
		legs := make([]string, len(e.Legs))
		for i, l := range e.Legs {
			legs[i] = legQuality(l)
		}
		return s + " " + strings.Join(legs, " | ")
	case domain.DTMF:
		s := fmt.Sprintf("dtmf %s: %s (%d ms", e.Leg, e.Digit, e.DurationMs)
		if !e.Ended {
			// The digit's length is then what was seen, not what was sent.
			s += ", no end packet"
		}
		return s + ")"
	case domain.Recording:
		return fmt.Sprintf("recording %s %d bytes %.1f s sha256 %s", e.Path, e.Bytes,
			float64(e.DurationMs)/1000, shortHash(e.SHA256))
	}
	return ""
}

// legQuality is one leg of a MediaStats: what the switch received from
// that leg's endpoint; the round trip and drops only when there are any.
func legQuality(l domain.MediaLeg) string {
	s := fmt.Sprintf("%s: %d pkts lost %d jitter %.1f ms mos %.2f", l.Leg, l.Packets, l.Lost, l.JitterMs, l.MOS)
	if l.RTTMs > 0 {
		s += fmt.Sprintf(" rtt %.1f ms", l.RTTMs)
	}
	if l.Dropped > 0 {
		s += fmt.Sprintf(" dropped %d (foreign %d, malformed %d)", l.Dropped, l.Foreign, l.Malformed)
	}
	return s
}

// shortHash is enough of a digest to tell files apart on a terminal; the
// whole one is in --json and what `audit verify` checks.
func shortHash(h string) string {
	const n = 16
	if len(h) <= n {
		return h
	}
	return h[:n] + "…"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
