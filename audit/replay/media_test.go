package replay

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"softswitch/domain"
)

// mediaCall is failoverCall with the media plane's events: both legs
// anchored, a hold, a digit, a quality snapshot, the final one and the
// recording, where switching records them.
func mediaCall(t *testing.T) []domain.Envelope {
	t.Helper()
	evs := failoverEvents()
	media := []at{
		{domain.MediaAnchored{CallID: callID, Leg: "a", Local: "127.0.0.1:30000", Remote: "10.0.0.1:4000",
			Direction: "sendrecv", Codecs: []string{"PCMU", "telephone-event"}}, ms(1)},
		{domain.MediaAnchored{CallID: callID, Leg: "b2", Local: "127.0.0.1:30002", Remote: "10.0.0.3:5004",
			Direction: "sendrecv", Codecs: []string{"PCMU", "telephone-event"}}, ms(900)},
		{domain.DTMF{CallID: callID, Leg: "a", Digit: "5", DurationMs: 160, At: ms(2000), Ended: true}, ms(2170)},
		{domain.MediaAnchored{CallID: callID, Leg: "a", Local: "127.0.0.1:30000", Remote: "10.0.0.1:4000", Direction: "sendonly"}, ms(2500)},
		{domain.DTMF{CallID: callID, Leg: "b2", Digit: "#", DurationMs: 40, At: ms(3000)}, ms(3300)},
		{domain.MediaStats{CallID: callID, Legs: []domain.MediaLeg{
			{Leg: "a", Packets: 100, Lost: 1, JitterMs: 0.44, MOS: 4.3},
			{Leg: "b2", Packets: 98, JitterMs: 2.06, MOS: 4.4, RTTMs: 21.5},
		}}, ms(3500)},
		{domain.MediaStats{CallID: callID, Final: true, Legs: []domain.MediaLeg{
			{Leg: "a", Packets: 250, JitterMs: 0.4, MOS: 4.41, Dropped: 3, Foreign: 2, Malformed: 1},
			{Leg: "b2", Packets: 249, Lost: 1, JitterMs: 1.25, MOS: 4.39},
		}}, ms(5015)},
		{domain.Recording{CallID: callID, Path: "/var/lib/softswitch/rec/x.wav", Bytes: 80044, DurationMs: 5012,
			SHA256: "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12", Packets: 499}, ms(5020)},
	}
	// The anchoring of leg a comes with the INVITE (after LegStarted a);
	// the rest before call.ended, the recording after it.
	out := slices.Clone(evs[:2])
	out = append(out, media[0])
	out = append(out, evs[2:12]...)
	out = append(out, media[1:7]...)
	out = append(out, evs[12:]...)
	out = append(out, media[7])
	return seal(t, out)
}

func TestMediaLine(t *testing.T) {
	tests := []struct {
		ev   domain.Event
		want string
	}{
		{domain.MediaAnchored{Leg: "a", Local: "127.0.0.1:30000", Remote: "127.0.0.1:4000", Direction: "sendrecv",
			Codecs: []string{"PCMU", "telephone-event"}}, "media a: local 127.0.0.1:30000 remote 127.0.0.1:4000 sendrecv PCMU,telephone-event"},
		{domain.MediaAnchored{Leg: "b1", Local: "127.0.0.1:30002", Direction: "inactive"}, "media b1: local 127.0.0.1:30002 remote none inactive"},
		{domain.DTMF{Leg: "a", Digit: "5", DurationMs: 160, Ended: true}, "dtmf a: 5 (160 ms)"},
		{domain.DTMF{Leg: "b1", Digit: "*", DurationMs: 60}, "dtmf b1: * (60 ms, no end packet)"},
		{domain.MediaStats{Final: true, Legs: []domain.MediaLeg{
			{Leg: "a", Packets: 250, JitterMs: 0.44, MOS: 4.41},
			{Leg: "b1", Packets: 240, Lost: 10, JitterMs: 3.06, MOS: 3.9, RTTMs: 42, Dropped: 5, Foreign: 4, Malformed: 1},
		}}, "media stats (final) a: 250 pkts lost 0 jitter 0.4 ms mos 4.41 | b1: 240 pkts lost 10 jitter 3.1 ms mos 3.90 rtt 42.0 ms dropped 5 (foreign 4, malformed 1)"},
		{domain.MediaStats{}, "media stats: no legs"},
		{domain.Recording{Path: "/rec/c.wav", Bytes: 80044, DurationMs: 5000, SHA256: "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12"},
			"recording /rec/c.wav 80044 bytes 5.0 s sha256 ab12cd34ef56ab12…"},
		{domain.CallAnswered{Leg: "a"}, ""},
	}
	for _, tc := range tests {
		if got := MediaLine(tc.ev); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.ev.EventType(), got, tc.want)
		}
	}
}

// TestRenderMedia: every media event is a line of the Media section, in
// log order, a digit at the time its first packet arrived; none is
// counted as unknown.
func TestRenderMedia(t *testing.T) {
	h, err := Build(callID, mediaCall(t))
	if err != nil {
		t.Fatal(err)
	}
	if h.Skipped != 0 || len(h.Media) != 8 {
		t.Fatalf("skipped %d, media events %d; want 0 and 8", h.Skipped, len(h.Media))
	}
	var buf bytes.Buffer
	if err := Render(&buf, h); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	section := out[strings.Index(out, "\nMedia\n"):strings.Index(out, "\nRoute decisions\n")]
	want := []string{
		"\nMedia\n",
		"   +0.004s  media a: local 127.0.0.1:30000 remote 10.0.0.1:4000 sendrecv PCMU,telephone-event\n",
		"   +0.903s  media b2: local 127.0.0.1:30002 remote 10.0.0.3:5004 sendrecv PCMU,telephone-event\n",
		"   +2.003s  dtmf a: 5 (160 ms)\n",
		"   +2.503s  media a: local 127.0.0.1:30000 remote 10.0.0.1:4000 sendonly\n",
		"   +3.003s  dtmf b2: # (40 ms, no end packet)\n",
		"   +3.503s  media stats a: 100 pkts lost 1 jitter 0.4 ms mos 4.30 | b2: 98 pkts lost 0 jitter 2.1 ms mos 4.40 rtt 21.5 ms\n",
		"   +5.018s  media stats (final) a: 250 pkts lost 0 jitter 0.4 ms mos 4.41 dropped 3 (foreign 2, malformed 1) | b2: 249 pkts lost 1 jitter 1.2 ms mos 4.39\n",
		"   +5.023s  recording /var/lib/softswitch/rec/x.wav 80044 bytes 5.0 s sha256 ab12cd34ef56ab12…\n",
	}
	if got := strings.Join(want, ""); section != got {
		t.Errorf("media section\n got %q\nwant %q", section, got)
	}
	// The rest of the replay is the failover call's.
	if !strings.Contains(out, "billable     yes, 5 s") {
		t.Errorf("render lost the outcome:\n%s", out)
	}
}

func TestRenderNoMedia(t *testing.T) {
	h, err := Build(callID, failoverCall(t))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Render(&buf, h); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\nMedia\n  none (the call's media did not go through the switch)\n") {
		t.Errorf("no Media section saying none:\n%s", buf.String())
	}
}
