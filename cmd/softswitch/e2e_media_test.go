//go:build e2e

// End-to-end tests of the media plane (issue 13): the real binary anchors
// the RTP of calls set up by SIPp (deploy/sipp/uac_media*.xml and
// uas_media.xml, whose SDP names an endpoint the test binds) between two
// internal/rtppeer endpoints, and the test checks what each endpoint
// received, from where, and what the switch recorded about it (CDR media
// legs, call events, recordings, metrics). Loopback only; every wait is
// bounded.
//
//	SOFTSWITCH_REQUIRE_SIPP=1 go test -tags e2e -count=1 -run TestE2EMedia -timeout 15m ./cmd/softswitch/
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"softswitch/domain"
	"softswitch/internal/itest"
	"softswitch/internal/rtppeer"
	"softswitch/projections"
)

const (
	// The streams' SSRCs: the caller's endpoint (A), the callee's (B) and
	// a stranger sending to the caller's relay port.
	ssrcA, ssrcB, ssrcStranger uint32 = 0xA0A0A0A0, 0xB0B0B0B0, 0x5A5A5A5A
	// rtpBytes is one G.711 20 ms packet on the wire (RTP header + 160
	// octets), what the switch counts as a packet's bytes.
	rtpBytes = 12 + 160
	// The switch's default media port range (docs/configuration.md).
	defaultPortMin, defaultPortMax = 30000, 40000
)

var loopbackIP = netip.MustParseAddr("127.0.0.1")

// mediaSwitch starts a switch whose config has a media: section made of
// lines (each indented under media:); none leaves the defaults.
func mediaSwitch(t *testing.T, opts itest.Options, lines ...string) *itest.Switch {
	t.Helper()
	if len(lines) > 0 {
		opts.ExtraYAML = "media:\n  " + strings.Join(lines, "\n  ") + "\n"
	}
	return itest.Start(t, opts)
}

// rtpPeer binds an RTP endpoint on loopback, closed at cleanup.
func rtpPeer(t *testing.T, keep bool) *rtppeer.Peer {
	t.Helper()
	p, err := rtppeer.Listen(context.Background(), loopbackIP, 0, rtppeer.Options{KeepPackets: keep})
	if err != nil {
		t.Fatalf("rtppeer: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// mediaUAS starts a SIPp UAS for n calls that answers with an SDP naming
// 127.0.0.1:rtpPort, and registers it as user.
func mediaUAS(t *testing.T, sw *itest.Switch, user string, rtpPort, n int) *itest.SIPp {
	t.Helper()
	uas := itest.StartSIPp(t, "uas_media", "-m", itoa(n), "-s", user, "-key", "rtp_port", itoa(rtpPort))
	mustRegister(t, sw, user, uas.Addr, 300)
	return uas
}

// mediaUAC starts (in the background) a SIPp UAC from the caller to user
// whose offer says its RTP is at rtpIP:rtpPort.
func mediaUAC(t *testing.T, sw *itest.Switch, scenario, user, rtpIP string, rtpPort int, args ...string) *itest.SIPp {
	t.Helper()
	full := append([]string{"-m", "1", "-s", user, "-key", "caller", caller, "-au", caller, "-ap", password,
		"-key", "rtp_ip", rtpIP, "-key", "rtp_port", itoa(rtpPort)}, args...)
	return itest.StartSIPp(t, scenario, append(full, sw.SIPAddr)...)
}

// mustSucceed waits for a SIPp run and fails the test unless its one call
// (or n calls) succeeded.
func mustSucceed(t *testing.T, what string, p *itest.SIPp, n int, timeout time.Duration) itest.SIPpResult {
	t.Helper()
	res := p.Wait(timeout)
	if res.ExitCode != 0 || res.Successful != n || res.Failed != 0 {
		t.Fatalf("%s: want %d successful call(s): %s", what, n, res)
	}
	return res
}

// anchored is an active call as GET /api/v1/calls shows it: the switch's
// RTP address given to each leg ("a" faces the caller, "b" the callee).
type anchored struct {
	CallID string
	A, B   netip.AddrPort
	Media  map[string]projections.CallMedia
}

func activeCalls(t *testing.T, sw *itest.Switch) []projections.ActiveCall {
	t.Helper()
	var calls []projections.ActiveCall
	sw.GetJSON(t, "/api/v1/calls", &calls)
	return calls
}

// waitAnchored waits until n calls are up with both relay legs anchored
// (the B-leg is once the callee's answer is applied) and returns them.
func waitAnchored(t *testing.T, sw *itest.Switch, n int) []anchored {
	t.Helper()
	var out []anchored
	itest.Eventually(t, 15*time.Second, fmt.Sprintf("%d call(s) with both media legs in /api/v1/calls", n), func() bool {
		out = out[:0]
		calls := activeCalls(t, sw)
		if len(calls) != n {
			return false
		}
		for _, c := range calls {
			a := anchored{CallID: c.CallID, Media: map[string]projections.CallMedia{}}
			for _, m := range c.Media {
				a.Media[m.Leg] = m
			}
			la, okA := a.Media["a"]
			lb, okB := a.Media["b"]
			if !okA || !okB || c.Answered.IsZero() {
				return false
			}
			var err error
			if a.A, err = netip.ParseAddrPort(la.Local); err != nil {
				t.Fatalf("leg a local %q: %v", la.Local, err)
			}
			if a.B, err = netip.ParseAddrPort(lb.Local); err != nil {
				t.Fatalf("leg b local %q: %v", lb.Local, err)
			}
			out = append(out, a)
		}
		return true
	})
	return out
}

// send is one stream for sendAll: from an endpoint to a relay address.
type send struct {
	from *rtppeer.Peer
	to   netip.AddrPort
	s    rtppeer.Stream
	// after delays the stream's start.
	after time.Duration
}

// sendAll sends the streams concurrently at real-time pace and returns
// what each sent.
func sendAll(t *testing.T, streams ...send) []rtppeer.SendResult {
	t.Helper()
	res, _ := sendAllAt(t, streams...)
	return res
}

// sendAllAt is sendAll that also tells when each stream's last packet
// left.
func sendAllAt(t *testing.T, streams ...send) ([]rtppeer.SendResult, []time.Time) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res := make([]rtppeer.SendResult, len(streams))
	errs := make([]error, len(streams))
	done := make([]time.Time, len(streams))
	var wg sync.WaitGroup
	for i, s := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.after > 0 {
				time.Sleep(s.after)
			}
			res[i], errs[i] = s.from.SendStream(ctx, s.to, s.s)
			done[i] = time.Now()
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("stream %d (SSRC %08x to %s): %v", i, streams[i].s.SSRC, streams[i].to, err)
		}
	}
	return res, done
}

// waitStream waits (3 s at most) until p received n packets of ssrc, then
// a moment more, so that a packet too many would be seen too.
func waitStream(t *testing.T, p *rtppeer.Peer, ssrc uint32, n uint64) rtppeer.StreamStats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := p.Wait(ctx, func(s rtppeer.Stats) bool { return s.Streams[ssrc].Packets >= n }); err != nil {
		t.Fatalf("endpoint %s received %d packets of SSRC %08x, want %d: %v", p.Addr(), p.Stream(ssrc).Packets, ssrc, n, err)
	}
	time.Sleep(100 * time.Millisecond)
	return p.Stream(ssrc)
}

// mediaCallCDR waits for the CDR of the switch's call id (GET /api/v1/cdrs)
// and returns it with its media legs by name.
func mediaCallCDR(t *testing.T, sw *itest.Switch, callID string) (itest.CDR, map[string]domain.MediaLeg) {
	t.Helper()
	var c itest.CDR
	itest.Eventually(t, 10*time.Second, "the CDR of call "+callID, func() bool {
		for _, x := range sw.CDRsAPI(t) {
			if x.CallID == callID {
				c = x
				return true
			}
		}
		return false
	})
	legs := map[string]domain.MediaLeg{}
	if raw, ok := c.Raw["media"]; ok {
		b, _ := json.Marshal(raw)
		var ml []domain.MediaLeg
		if err := json.Unmarshal(b, &ml); err != nil {
			t.Fatalf("CDR %s media: %v\n%s", callID, err, b)
		}
		for _, l := range ml {
			legs[l.Leg] = l
		}
	}
	return c, legs
}

// callEventsOf returns the events of one call (the switch's call id)
// from GET /api/v1/calls/{id}/events.
func callEventsOf(t *testing.T, sw *itest.Switch, callID string) []domain.Envelope {
	t.Helper()
	code, body, err := sw.Do("GET", "/api/v1/calls/"+callID+"/events", nil)
	if err != nil || code != 200 {
		t.Fatalf("GET /api/v1/calls/%s/events: %d %v\n%s", callID, code, err, body)
	}
	return decodeEnvelopes(t, body)
}

func decodeEnvelopes(t *testing.T, b []byte) []domain.Envelope {
	t.Helper()
	var out []domain.Envelope
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var env domain.Envelope
		if err := json.Unmarshal(sc.Bytes(), &env); err != nil {
			t.Fatalf("envelope %q: %v", sc.Text(), err)
		}
		out = append(out, env)
	}
	return out
}

// payloadsOf decodes the events of one type among envs.
func payloadsOf[E any](t *testing.T, envs []domain.Envelope, typ string) []E {
	t.Helper()
	var out []E
	for _, env := range envs {
		if env.Type != typ {
			continue
		}
		var e E
		if err := json.Unmarshal(env.Payload, &e); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		out = append(out, e)
	}
	return out
}

// sippMsg is one SIP message of a SIPp -trace_msg log.
type sippMsg struct {
	received bool
	text     string
}

// sippMessages splits a SIPp message log into its messages.
func sippMessages(log string) []sippMsg {
	var out []sippMsg
	for _, chunk := range strings.Split(log, "\n-----------------------------------------------") {
		lines := strings.SplitN(strings.TrimLeft(chunk, "-"), "\n", 3)
		if len(lines) < 3 {
			continue
		}
		switch {
		case strings.Contains(lines[1], "message received"):
			out = append(out, sippMsg{received: true, text: strings.TrimLeft(lines[2], "\r\n")})
		case strings.Contains(lines[1], "message sent"):
			out = append(out, sippMsg{text: strings.TrimLeft(lines[2], "\r\n")})
		}
	}
	return out
}

// receivedSDP returns the audio address of the first SDP that SIPp
// received in a message whose first line starts with prefix: its c= and
// m=audio port.
func receivedSDP(t *testing.T, res itest.SIPpResult, prefix string) (netip.AddrPort, string) {
	t.Helper()
	for _, m := range sippMessages(res.Messages()) {
		if !m.received || !strings.HasPrefix(m.text, prefix) || !strings.Contains(m.text, "m=audio ") {
			continue
		}
		var ip, port string
		for _, l := range strings.Split(m.text, "\n") {
			l = strings.TrimSpace(l)
			if v, ok := strings.CutPrefix(l, "c=IN IP4 "); ok && ip == "" {
				ip = v
			}
			if v, ok := strings.CutPrefix(l, "m=audio "); ok {
				port, _, _ = strings.Cut(v, " ")
			}
		}
		ap, err := netip.ParseAddrPort(ip + ":" + port)
		if err != nil {
			t.Fatalf("SDP in %q: c=%q port %q: %v\n%s", prefix, ip, port, err, m.text)
		}
		return ap, m.text
	}
	t.Fatalf("no SDP received in a message starting %q:\n%s", prefix, res.Messages())
	return netip.AddrPort{}, ""
}

// inRange checks that a relay address is the switch's: 127.0.0.1, an
// even RTP port within [lo, hi].
func inRange(t *testing.T, what string, a netip.AddrPort, lo, hi int) {
	t.Helper()
	if a.Addr() != loopbackIP || int(a.Port()) < lo || int(a.Port()) > hi || a.Port()%2 != 0 {
		t.Errorf("%s = %s, want 127.0.0.1 and an even port in %d-%d", what, a, lo, hi)
	}
}

// evenRange returns the first port of n+1 consecutive free UDP ports,
// rounded up to even: n free ports from an even one.
func evenRange(t *testing.T, n int) int {
	t.Helper()
	p, err := itest.FreeUDPRange(n + 1)
	if err != nil {
		t.Fatal(err)
	}
	return p + p%2
}

// checkLeg compares a CDR media leg with what its endpoint sent (packets)
// and was sent (sent): exact counts on loopback, nothing lost or dropped.
func checkLeg(t *testing.T, l domain.MediaLeg, name string, packets, sent uint64) {
	t.Helper()
	if l.Leg != name {
		t.Errorf("media leg %q missing from the CDR", name)
		return
	}
	if l.Packets != packets || l.Bytes != packets*rtpBytes || l.Sent != sent || l.Lost != 0 ||
		l.OutOfOrder != 0 || l.Duplicates != 0 || l.Foreign != 0 || l.Malformed != 0 || l.Dropped != 0 {
		t.Errorf("CDR media leg %s = %+v; want packets %d, bytes %d, sent %d, nothing lost, reordered or dropped",
			name, l, packets, packets*rtpBytes, sent)
	}
}

// ---------------------------------------------------------------- tests

// TestE2EMediaAnchored: each side's SDP names the switch (127.0.0.1, a
// port of the default range, never the other endpoint's), each side's RTP
// arrives at the other from the switch's port for that side, all of it,
// and the CDR counts exactly what each endpoint sent.
func TestE2EMediaAnchored(t *testing.T) {
	itest.RequireSIPp(t)
	sw := mediaSwitch(t, itest.Options{})
	pa, pb := rtpPeer(t, false), rtpPeer(t, false)
	uas := mediaUAS(t, sw, callee, int(pb.Addr().Port()), 1)
	uac := mediaUAC(t, sw, "uac_media", callee, "127.0.0.1", int(pa.Addr().Port()), "-d", "7000")
	call := waitAnchored(t, sw, 1)[0]
	inRange(t, "leg a relay", call.A, defaultPortMin, defaultPortMax)
	inRange(t, "leg b relay", call.B, defaultPortMin, defaultPortMax)
	if call.A.Port() == call.B.Port() {
		t.Errorf("both legs on relay port %d", call.A.Port())
	}
	if got := call.Media["a"].Remote; got != pa.Addr().String() {
		t.Errorf("leg a remote = %s, want the caller's SDP %s", got, pa.Addr())
	}
	if got := call.Media["b"].Remote; got != pb.Addr().String() {
		t.Errorf("leg b remote = %s, want the callee's SDP %s", got, pb.Addr())
	}
	if ports := metric(t, sw, "softswitch_media_ports_in_use"); ports != 2 {
		t.Errorf("softswitch_media_ports_in_use = %v during one call, want 2 pairs", ports)
	}

	const n = 250
	sent := sendAll(t,
		send{from: pa, to: call.A, s: rtppeer.Stream{SSRC: ssrcA, Count: n}},
		send{from: pb, to: call.B, s: rtppeer.Stream{SSRC: ssrcB, Count: n}})
	if sent[0].Sent != n || sent[1].Sent != n {
		t.Fatalf("sent %d and %d packets, want %d each", sent[0].Sent, sent[1].Sent, n)
	}
	atB, atA := waitStream(t, pb, ssrcA, n), waitStream(t, pa, ssrcB, n)
	for _, c := range []struct {
		who  string
		st   rtppeer.StreamStats
		from netip.AddrPort
	}{{"callee (A's stream)", atB, call.B}, {"caller (B's stream)", atA, call.A}} {
		if c.st.Packets != n || c.st.Lost != 0 || c.st.Reordered != 0 || c.st.Bytes != n*rtpBytes {
			t.Errorf("%s: %d packets, %d bytes, lost %d, reordered %d; want %d, %d, 0, 0",
				c.who, c.st.Packets, c.st.Bytes, c.st.Lost, c.st.Reordered, n, n*rtpBytes)
		}
		if len(c.st.Sources) != 1 || c.st.Sources[0] != c.from {
			t.Errorf("%s: came from %v, want only the switch's relay port %s", c.who, c.st.Sources, c.from)
		}
	}
	if st := pa.Stats(); len(st.Streams) != 1 || st.Malformed != 0 {
		t.Errorf("caller's endpoint received streams %v (malformed %d), want only B's", pa.SSRCs(), st.Malformed)
	}

	uacRes := mustSucceed(t, "caller", uac, 1, 20*time.Second)
	uasRes := mustSucceed(t, "callee", uas, 1, 10*time.Second)
	// What each SIP side was told: the switch's address and the relay
	// port for its leg, never the other endpoint.
	if got, msg := receivedSDP(t, uasRes, "INVITE sip:"); got != call.B || got.Port() == pa.Addr().Port() {
		t.Errorf("callee's offer names %s, want the B-leg relay %s:\n%s", got, call.B, msg)
	} else if strings.Contains(msg, "53655765") {
		t.Errorf("callee's offer kept the caller's o= line, want the switch's:\n%s", msg)
	}
	if got, msg := receivedSDP(t, uacRes, "SIP/2.0 200"); got != call.A || got.Port() == pb.Addr().Port() {
		t.Errorf("caller's answer names %s, want the A-leg relay %s:\n%s", got, call.A, msg)
	}
	waitNoActiveCalls(t, sw)
	c, legs := mediaCallCDR(t, sw, call.CallID)
	if c.Disposition != "answered" || c.Reason != "Normal Clearing" {
		t.Errorf("CDR %s/%q, want answered/Normal Clearing", c.Disposition, c.Reason)
	}
	checkLeg(t, legs["a"], "a", n, n)
	checkLeg(t, legs["b"], "b", n, n)
	if legs["a"].Source != pa.Addr().String() || legs["b"].Source != pb.Addr().String() {
		t.Errorf("latched sources a=%q b=%q, want %s and %s", legs["a"].Source, legs["b"].Source, pa.Addr(), pb.Addr())
	}
	if m := legs["a"].MOS; m < 4.3 || m > 4.5 {
		t.Errorf("leg a MOS %.2f for a clean stream on loopback, want ~4.34", m)
	}
	if ports := metric(t, sw, "softswitch_media_ports_in_use"); ports != 0 {
		t.Errorf("softswitch_media_ports_in_use = %v after the call, want 0", ports)
	}
}

// TestE2EMediaNAT: the caller's SDP names an address it does not send
// from (a NAT rewrote the port, or the address too). Its real source is
// latched after media.learn_window, the callee's media reaches it there,
// and a stranger sending to the caller's relay port afterwards is dropped
// (not relayed to the callee) and counted as foreign.
func TestE2EMediaNAT(t *testing.T) {
	itest.RequireSIPp(t)
	sw := mediaSwitch(t, itest.Options{}, "learn_window: 1s")
	cases := []struct {
		name      string
		sdpIP     string
		sdpPort   int
		ssrcA     uint32
		ssrcB     uint32
		strangerS uint32
	}{
		{"port rewritten", "127.0.0.1", 9, ssrcA, ssrcB, ssrcStranger},
		{"address and port rewritten", "192.0.2.1", 4000, ssrcA + 1, ssrcB + 1, ssrcStranger + 1},
	}
	pb := rtpPeer(t, false)
	uas := mediaUAS(t, sw, callee, int(pb.Addr().Port()), len(cases))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pa, stranger := rtpPeer(t, false), rtpPeer(t, false)
			uac := mediaUAC(t, sw, "uac_media", callee, tc.sdpIP, tc.sdpPort, "-d", "5500")
			call := waitAnchored(t, sw, 1)[0]
			if want := fmt.Sprintf("%s:%d", tc.sdpIP, tc.sdpPort); call.Media["a"].Remote != want {
				t.Errorf("leg a remote = %s, want the SDP's %s", call.Media["a"].Remote, want)
			}
			// A talks 3 s; the callee and the stranger start 1.5 s in,
			// after the 1 s window from A's first packet has closed.
			const nA, nLate = 150, 50
			sent := sendAll(t,
				send{from: pa, to: call.A, s: rtppeer.Stream{SSRC: tc.ssrcA, Count: nA}},
				send{from: pb, to: call.B, s: rtppeer.Stream{SSRC: tc.ssrcB, Count: nLate}, after: 1500 * time.Millisecond},
				send{from: stranger, to: call.A, s: rtppeer.Stream{SSRC: tc.strangerS, Count: nLate}, after: 1500 * time.Millisecond})
			if sent[0].Sent != nA || sent[1].Sent != nLate || sent[2].Sent != nLate {
				t.Fatalf("sent %+v", sent)
			}
			atA := waitStream(t, pa, tc.ssrcB, nLate)
			if atA.Packets != nLate || len(atA.Sources) != 1 || atA.Sources[0] != call.A {
				t.Errorf("caller's real source got %d of B's %d packets from %v, want all from %s",
					atA.Packets, nLate, atA.Sources, call.A)
			}
			atB := waitStream(t, pb, tc.ssrcA, nA)
			if atB.Packets != nA {
				t.Errorf("callee got %d of A's packets, want %d", atB.Packets, nA)
			}
			if got := pb.Stream(tc.strangerS).Packets; got != 0 {
				t.Errorf("the stranger's packets reached the callee: %d", got)
			}
			if st := stranger.Stats(); len(st.Streams) != 0 {
				t.Errorf("the stranger received media: %v", stranger.SSRCs())
			}
			mustSucceed(t, "caller", uac, 1, 20*time.Second)
			waitNoActiveCalls(t, sw)
			_, legs := mediaCallCDR(t, sw, call.CallID)
			a := legs["a"]
			if a.Packets != nA || a.Foreign != nLate || a.Dropped != nLate || a.Sent != nLate || a.Source != pa.Addr().String() {
				t.Errorf("CDR leg a = %+v; want packets %d, foreign %d (the stranger), dropped %d, sent %d, source %s",
					a, nA, nLate, nLate, nLate, pa.Addr())
			}
			if b := legs["b"]; b.Packets != nLate || b.Sent != nA || b.Foreign != 0 {
				t.Errorf("CDR leg b = %+v; want packets %d, sent %d, foreign 0", b, nLate, nA)
			}
			// The final stats event says the same.
			final := finalStats(t, sw, call.CallID)
			if fa := legOf(final, "a"); fa.Foreign != nLate {
				t.Errorf("final call.media_stats leg a foreign = %d, want %d", fa.Foreign, nLate)
			}
		})
	}
	mustSucceed(t, "callee", uas, len(cases), 10*time.Second)
}

// eventTime is when the call's only event of a type happened.
func eventTime(t *testing.T, sw *itest.Switch, callID, typ string) time.Time {
	t.Helper()
	var at []time.Time
	for _, env := range callEventsOf(t, sw, callID) {
		if env.Type == typ {
			at = append(at, env.Time)
		}
	}
	if len(at) != 1 {
		t.Fatalf("call %s has %d %s events, want 1", callID, len(at), typ)
	}
	return at[0]
}

// finalStats is the call's final call.media_stats event.
func finalStats(t *testing.T, sw *itest.Switch, callID string) domain.MediaStats {
	t.Helper()
	var finals []domain.MediaStats
	for _, s := range payloadsOf[domain.MediaStats](t, callEventsOf(t, sw, callID), domain.TypeMediaStats) {
		if s.Final {
			finals = append(finals, s)
		}
	}
	if len(finals) != 1 {
		t.Fatalf("call %s has %d final call.media_stats, want 1", callID, len(finals))
	}
	return finals[0]
}

func legOf(s domain.MediaStats, leg string) domain.MediaLeg {
	for _, l := range s.Legs {
		if l.Leg == leg {
			return l
		}
	}
	return domain.MediaLeg{}
}

// TestE2EMediaTimeout: media.timeout ends an answered call that carries no
// RTP (BYE on both legs, CDR "Media Timeout", counted); a call on hold
// (a=sendonly, no RTP either) is under media.hold_timeout instead and is
// still up when its caller hangs up.
func TestE2EMediaTimeout(t *testing.T) {
	itest.RequireSIPp(t)
	const timeout = 3 * time.Second
	sw := mediaSwitch(t, itest.Options{}, "timeout: 3s", "hold_timeout: 30s")

	// Dead media: no RTP at all after the answer, or RTP that stops (the
	// callee's after 1 s, the caller's after 2 s: the last packet from
	// either side is what counts).
	for i, tc := range []struct {
		name   string
		nA, nB int // packets each side sends right after the answer
	}{
		{"no RTP at all", 0, 0},
		{"RTP stops", 100, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			user := []string{"6001", "6002"}[i]
			pa, pb := rtpPeer(t, false), rtpPeer(t, false)
			uas := mediaUAS(t, sw, user, int(pb.Addr().Port()), 1)
			uac := mediaUAC(t, sw, "uac_media_wait_bye", user, "127.0.0.1", int(pa.Addr().Port()))
			call := waitAnchored(t, sw, 1)[0]
			var lastA, lastB time.Time
			if tc.nA > 0 {
				_, done := sendAllAt(t,
					send{from: pa, to: call.A, s: rtppeer.Stream{SSRC: ssrcA, Count: tc.nA}},
					send{from: pb, to: call.B, s: rtppeer.Stream{SSRC: ssrcB, Count: tc.nB}})
				lastA, lastB = done[0], done[1]
			}
			mustSucceed(t, "caller (waits for the switch's BYE)", uac, 1, timeout+15*time.Second)
			uasRes := mustSucceed(t, "callee", uas, 1, 10*time.Second)
			if !strings.Contains(uasRes.Messages(), "BYE sip:") {
				t.Errorf("the callee got no BYE")
			}
			waitNoActiveCalls(t, sw)
			c, legs := mediaCallCDR(t, sw, call.CallID)
			if c.Reason != "Media Timeout" || c.Disposition != "answered" || c.Answer == nil || c.EndedBy != domain.BySwitch {
				t.Fatalf("CDR %s/%q by %q answer %v, want answered/Media Timeout by the switch", c.Disposition, c.Reason, c.EndedBy, c.Answer)
			}
			if legs["a"].Packets != uint64(tc.nA) || legs["b"].Packets != uint64(tc.nB) {
				t.Errorf("CDR media packets a=%d b=%d, want %d and %d", legs["a"].Packets, legs["b"].Packets, tc.nA, tc.nB)
			}
			// The BYE goes media.timeout after the last activity: the
			// answer, or the last packet from either side; the CDR bills
			// to that.
			last := *c.Answer
			if tc.nA > 0 {
				last = lastA
			}
			ended := eventTime(t, sw, call.CallID, domain.TypeCallEnded)
			if d := ended.Sub(last); d < timeout-100*time.Millisecond || d > timeout+1500*time.Millisecond {
				t.Errorf("call.ended %s after the last activity, want media.timeout %s (+ up to 1.5 s)", d, timeout)
			}
			if tc.nB > 0 && ended.Sub(lastB) < timeout+500*time.Millisecond {
				t.Errorf("call.ended %s after the callee's last packet: the caller's, 1 s later, should have kept it up", ended.Sub(lastB))
			}
			if billed := c.End.Sub(last); billed < -100*time.Millisecond || billed > 100*time.Millisecond {
				t.Errorf("CDR ends %s after the last activity, want at it (billed to the last RTP packet)", billed)
			}
			if n := metric(t, sw, "softswitch_media_timeouts_total"); n != float64(i+1) {
				t.Errorf("softswitch_media_timeouts_total = %v, want %d", n, i+1)
			}
		})
	}

	t.Run("hold", func(t *testing.T) {
		const held = 8 * time.Second
		pa, pb := rtpPeer(t, false), rtpPeer(t, false)
		uas := mediaUAS(t, sw, "6003", int(pb.Addr().Port()), 1)
		uac := mediaUAC(t, sw, "uac_media_hold", "6003", "127.0.0.1", int(pa.Addr().Port()), "-d", itoa(int(held/time.Millisecond)))
		call := waitAnchored(t, sw, 1)[0]
		itest.Eventually(t, 5*time.Second, "leg a sendonly and leg b recvonly in /api/v1/calls", func() bool {
			calls := activeCalls(t, sw)
			if len(calls) != 1 {
				return false
			}
			dirs := map[string]string{}
			for _, m := range calls[0].Media {
				dirs[m.Leg] = m.Direction
			}
			return dirs["a"] == "sendonly" && dirs["b"] == "recvonly"
		})
		// The caller's scenario fails on a BYE from the switch during its
		// 8 s on hold, which media.timeout (3 s) would have sent.
		mustSucceed(t, "caller (on hold 8 s, then hangs up)", uac, 1, held+15*time.Second)
		mustSucceed(t, "callee", uas, 1, 10*time.Second)
		waitNoActiveCalls(t, sw)
		c, _ := mediaCallCDR(t, sw, call.CallID)
		if c.Reason != "Normal Clearing" || c.Answer == nil {
			t.Fatalf("CDR reason %q answer %v, want Normal Clearing (the caller's BYE)", c.Reason, c.Answer)
		}
		if talked := c.End.Sub(*c.Answer); talked < held {
			t.Errorf("held call ended %s after the answer, before the caller's %s", talked, held)
		}
		if n := metric(t, sw, "softswitch_media_timeouts_total"); n != 2 {
			t.Errorf("softswitch_media_timeouts_total = %v, want still 2", n)
		}
	})
}

// TestE2EMediaHoldDirection: on hold (the caller sendonly, the callee
// answering recvonly) the caller's RTP still reaches the callee and the
// callee's is dropped, counted against its SDP direction (RFC 3264 §5.1).
func TestE2EMediaHoldDirection(t *testing.T) {
	itest.RequireSIPp(t)
	sw := mediaSwitch(t, itest.Options{})
	pa, pb := rtpPeer(t, false), rtpPeer(t, false)
	uas := mediaUAS(t, sw, callee, int(pb.Addr().Port()), 1)
	uac := mediaUAC(t, sw, "uac_media_hold", callee, "127.0.0.1", int(pa.Addr().Port()), "-d", "2000")
	call := waitAnchored(t, sw, 1)[0]
	itest.Eventually(t, 5*time.Second, "the call on hold in /api/v1/calls", func() bool {
		calls := activeCalls(t, sw)
		return len(calls) == 1 && len(calls[0].Media) == 2 &&
			calls[0].Media[0].Direction != "sendrecv" && calls[0].Media[1].Direction != "sendrecv"
	})
	const n = 25
	sendAll(t,
		send{from: pa, to: call.A, s: rtppeer.Stream{SSRC: ssrcA, Count: n}},
		send{from: pb, to: call.B, s: rtppeer.Stream{SSRC: ssrcB, Count: n}})
	waitStream(t, pb, ssrcA, n)
	if got := pa.Stream(ssrcB).Packets; got != 0 {
		t.Errorf("the held caller (sendonly) received %d of the callee's packets (recvonly), want 0", got)
	}
	mustSucceed(t, "caller", uac, 1, 20*time.Second)
	mustSucceed(t, "callee", uas, 1, 10*time.Second)
	waitNoActiveCalls(t, sw)
	_, legs := mediaCallCDR(t, sw, call.CallID)
	if a := legs["a"]; a.Packets != n || a.Dropped != 0 || a.Sent != 0 {
		t.Errorf("CDR leg a = %+v; want packets %d, dropped 0, sent 0", a, n)
	}
	if b := legs["b"]; b.Packets != n || b.Dropped != n || b.Foreign != 0 || b.Sent != n {
		t.Errorf("CDR leg b = %+v; want packets %d, all %d dropped (direction), foreign 0, sent %d", b, n, n, n)
	}
}

// TestE2EMediaDTMF: RFC 4733 digits from the caller reach the callee
// through the relay unchanged and are recorded on the call in order.
func TestE2EMediaDTMF(t *testing.T) {
	itest.RequireSIPp(t)
	sw := mediaSwitch(t, itest.Options{})
	pa, pb := rtpPeer(t, false), rtpPeer(t, true)
	uas := mediaUAS(t, sw, callee, int(pb.Addr().Port()), 1)
	uac := mediaUAC(t, sw, "uac_media", callee, "127.0.0.1", int(pa.Addr().Port()), "-d", "4000")
	call := waitAnchored(t, sw, 1)[0]

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const digits = "12#"
	var seq uint16 = 1000
	var ts uint32 = 160000
	audio := func(n int) {
		r, err := pa.SendStream(ctx, call.A, rtppeer.Stream{SSRC: ssrcA, Seq: seq, Timestamp: ts, Count: n})
		if err != nil {
			t.Fatal(err)
		}
		seq, ts = r.NextSeq, r.NextTimestamp
	}
	eventPackets := 0
	audio(10)
	for _, d := range digits {
		r, err := pa.SendDTMF(ctx, call.A, rtppeer.DTMF{SSRC: ssrcA, Seq: seq, Timestamp: ts, Digit: d, Duration: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		seq, ts = r.NextSeq, r.NextTimestamp
		eventPackets += r.Sent
		audio(5)
	}
	total := uint64(10 + 5*len(digits) + eventPackets)
	st := waitStream(t, pb, ssrcA, total)
	if st.Packets != total {
		t.Errorf("callee got %d packets, want %d (%d of them telephone-events)", st.Packets, total, eventPackets)
	}
	// The digits as the callee got them: one per event timestamp.
	var got []rune
	events, ends := 0, 0
	lastTS := map[uint32]bool{}
	for _, p := range st.Received {
		if p.Header.PayloadType != rtppeer.DefaultEventPT {
			continue
		}
		events++
		ev, err := rtppeer.ParseEvent(p.Payload)
		if err != nil {
			t.Fatalf("event payload: %v", err)
		}
		if ev.End {
			ends++
		}
		if !lastTS[p.Header.Timestamp] {
			lastTS[p.Header.Timestamp] = true
			for _, d := range digits {
				if c, _ := rtppeer.EventCode(d); c == ev.Code {
					got = append(got, d)
				}
			}
		}
	}
	if string(got) != digits || events != eventPackets || ends != 3*len(digits) {
		t.Errorf("callee got digits %q in %d event packets (%d end packets), want %q in %d (%d)",
			string(got), events, ends, digits, eventPackets, 3*len(digits))
	}
	mustSucceed(t, "caller", uac, 1, 20*time.Second)
	mustSucceed(t, "callee", uas, 1, 10*time.Second)
	waitNoActiveCalls(t, sw)
	c, _ := mediaCallCDR(t, sw, call.CallID)

	// The call's events, as replay --json prints them.
	out, err := exec.Command(sw.Bin, "replay", "--config", sw.ConfigPath, "--call-id", c.CallID, "--json").Output()
	if err != nil {
		t.Fatalf("replay --json: %v\n%s", err, out)
	}
	dtmf := payloadsOf[domain.DTMF](t, decodeEnvelopes(t, out), domain.TypeDTMF)
	var recorded []string
	for _, d := range dtmf {
		recorded = append(recorded, d.Digit)
		if d.Leg != "a" || !d.Ended || d.DurationMs != 100 {
			t.Errorf("call.dtmf %+v; want leg a, ended, 100 ms", d)
		}
	}
	if strings.Join(recorded, "") != digits {
		t.Errorf("call.dtmf digits %q, want %q in order", recorded, digits)
	}
	// and the readable replay
	text, err := exec.Command(sw.Bin, "replay", "--config", sw.ConfigPath, "--call-id", c.CallID).CombinedOutput()
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, text)
	}
	for _, d := range digits {
		if want := fmt.Sprintf("dtmf a: %c (100 ms)", d); !strings.Contains(string(text), want) {
			t.Errorf("replay lacks %q:\n%s", want, text)
		}
	}
}

// TestE2EMediaLossJitter: a stream with every 10th packet missing and
// jitter is measured as ~10 % lost and rated below the clean stream the
// other way in the same call.
func TestE2EMediaLossJitter(t *testing.T) {
	itest.RequireSIPp(t)
	sw := mediaSwitch(t, itest.Options{})
	pa, pb := rtpPeer(t, false), rtpPeer(t, false)
	uas := mediaUAS(t, sw, callee, int(pb.Addr().Port()), 1)
	uac := mediaUAC(t, sw, "uac_media", callee, "127.0.0.1", int(pa.Addr().Port()), "-d", "7000")
	call := waitAnchored(t, sw, 1)[0]
	// 251 packets: the last one is sent, so all 25 gaps count as lost.
	const n = 251
	sent := sendAll(t,
		send{from: pa, to: call.A, s: rtppeer.Stream{SSRC: ssrcA, Count: n}},
		send{from: pb, to: call.B, s: rtppeer.Stream{SSRC: ssrcB, Count: n, DropEvery: 10, Jitter: 30 * time.Millisecond, Seed: 13}})
	if sent[1].Dropped != 25 || sent[1].Sent != n-25 {
		t.Fatalf("lossy stream: sent %d dropped %d, want %d and 25", sent[1].Sent, sent[1].Dropped, n-25)
	}
	if at := waitStream(t, pa, ssrcB, n-25); at.Lost != 25 {
		t.Errorf("caller's endpoint counts %d lost, want 25", at.Lost)
	}
	mustSucceed(t, "caller", uac, 1, 20*time.Second)
	mustSucceed(t, "callee", uas, 1, 10*time.Second)
	waitNoActiveCalls(t, sw)
	_, legs := mediaCallCDR(t, sw, call.CallID)
	clean, lossy := legs["a"], legs["b"]
	if clean.Packets != n || clean.Lost != 0 {
		t.Errorf("clean leg a: %+v, want %d packets, 0 lost", clean, n)
	}
	pct := 100 * float64(lossy.Lost) / float64(lossy.Packets+uint64(lossy.Lost))
	if lossy.Packets != n-25 || lossy.Lost != 25 || pct < 8 || pct > 12 {
		t.Errorf("lossy leg b: %d packets, %d lost (%.1f %%), want %d, 25 (~10 %%)", lossy.Packets, lossy.Lost, pct, n-25)
	}
	if lossy.JitterMs < 3 || lossy.JitterMs <= clean.JitterMs+2 {
		t.Errorf("jitter: lossy %.2f ms, clean %.2f ms; want the jittered stream's clearly higher (its sends vary by up to 30 ms)",
			lossy.JitterMs, clean.JitterMs)
	}
	if fb := legOf(finalStats(t, sw, call.CallID), "b"); fb.Lost != lossy.Lost || fb.MOS != lossy.MOS {
		t.Errorf("final call.media_stats leg b lost %d MOS %.2f, CDR %d %.2f", fb.Lost, fb.MOS, lossy.Lost, lossy.MOS)
	}
	t.Logf("clean: jitter %.2f ms MOS %.2f; lossy: %d lost of %d, jitter %.2f ms MOS %.2f",
		clean.JitterMs, clean.MOS, lossy.Lost, lossy.Packets+uint64(lossy.Lost), lossy.JitterMs, lossy.MOS)
	// rtpengine's G.107 figures (docs/media.md): clean 4.34, 10 % loss 2.65.
	if clean.MOS < 4.2 || lossy.MOS > 3.0 || lossy.MOS >= clean.MOS-1 {
		t.Errorf("MOS: clean %.2f, lossy %.2f; want ~4.34 and ~2.6", clean.MOS, lossy.MOS)
	}
}

// ---------------------------------------------------------------- recording

// sendTone sends n G.711 µ-law packets of payload byte fill(i) (one per
// sample) from p to dst at 20 ms pace.
func sendTone(ctx context.Context, p *rtppeer.Peer, dst netip.AddrPort, ssrc uint32, n int, fill func(i int) byte) error {
	start := time.Now()
	for i := range n {
		if d := time.Until(start.Add(time.Duration(i) * rtppeer.DefaultPtime)); d > 0 {
			time.Sleep(d)
		}
		payload := make([]byte, 160)
		for j := range payload {
			payload[j] = fill(i*160 + j)
		}
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: rtppeer.PCMU, SequenceNumber: uint16(i + 1),
			Timestamp: uint32(i * 160), SSRC: ssrc, Marker: i == 0}, Payload: payload}
		b, err := pkt.Marshal()
		if err != nil {
			return err
		}
		if err := p.SendRaw(ctx, dst, b); err != nil {
			return err
		}
	}
	return nil
}

// wav is the part of a RIFF/WAVE file the test checks.
type wav struct {
	format, channels, bits uint16
	rate                   uint32
	frames                 [][2]int16
	dataOffset             int
}

func parseWAV(t *testing.T, b []byte) wav {
	t.Helper()
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		t.Fatalf("not a RIFF/WAVE file (%d bytes)", len(b))
	}
	if got := binary.LittleEndian.Uint32(b[4:]); int(got) != len(b)-8 {
		t.Errorf("RIFF size %d, file %d bytes", got, len(b))
	}
	var w wav
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		body := b[off+8:]
		if size > len(body) {
			t.Fatalf("WAV chunk %q of %d bytes, %d left", id, size, len(body))
		}
		switch id {
		case "fmt ":
			w.format, w.channels = binary.LittleEndian.Uint16(body), binary.LittleEndian.Uint16(body[2:])
			w.rate, w.bits = binary.LittleEndian.Uint32(body[4:]), binary.LittleEndian.Uint16(body[14:])
		case "data":
			w.dataOffset = off + 8
			for i := 0; i+4 <= size; i += 4 {
				w.frames = append(w.frames, [2]int16{int16(binary.LittleEndian.Uint16(body[i:])), int16(binary.LittleEndian.Uint16(body[i+2:]))})
			}
		}
		off += 8 + size + size%2
	}
	if w.dataOffset == 0 {
		t.Fatal("WAV without a data chunk")
	}
	return w
}

// TestE2EMediaRecording: a subscriber with record: true gets a stereo WAV
// (caller left) whose audio is what each side sent, placed for as long as
// it was sent; its SHA-256 is the event's, the CDR's and the log line's,
// and `audit verify` catches one byte changed in it.
func TestE2EMediaRecording(t *testing.T) {
	itest.RequireSIPp(t)
	subs := append([]itest.Subscriber(nil), itest.DefaultSubscribers...)
	subs[0].Record = true // 6000, the caller
	sw := mediaSwitch(t, itest.Options{Subscribers: subs})
	pa, pb := rtpPeer(t, false), rtpPeer(t, false)
	uas := mediaUAS(t, sw, callee, int(pb.Addr().Port()), 1)
	uac := mediaUAC(t, sw, "uac_media", callee, "127.0.0.1", int(pa.Addr().Port()), "-d", "3500")
	call := waitAnchored(t, sw, 1)[0]

	// The caller sends only positive µ-law codes (0x80-0xBF: bit 7 set is
	// positive, 0xFF would be +0), the callee only negative ones (0x00-
	// 0x3F): each channel's samples tell whose audio they are.
	const n = 100 // 2 s each way
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errs := make(chan error, 2)
	go func() { errs <- sendTone(ctx, pa, call.A, ssrcA, n, func(i int) byte { return 0x80 + byte(i%64) }) }()
	go func() { errs <- sendTone(ctx, pb, call.B, ssrcB, n, func(i int) byte { return byte(i % 64) }) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	waitStream(t, pb, ssrcA, n)
	waitStream(t, pa, ssrcB, n)
	mustSucceed(t, "caller", uac, 1, 20*time.Second)
	mustSucceed(t, "callee", uas, 1, 10*time.Second)
	waitNoActiveCalls(t, sw)
	c, _ := mediaCallCDR(t, sw, call.CallID)

	recs := payloadsOf[domain.Recording](t, callEventsOf(t, sw, call.CallID), domain.TypeRecording)
	if len(recs) != 1 {
		t.Fatalf("call has %d call.recording events, want 1", len(recs))
	}
	rec := recs[0]
	if want := filepath.Join(sw.DataDir, "recordings", call.CallID+".wav"); rec.Path != want {
		t.Errorf("recording path %s, want %s", rec.Path, want)
	}
	b, err := os.ReadFile(rec.Path)
	if err != nil {
		t.Fatalf("recording: %v", err)
	}
	sum := sha256Hex(b)
	if sum != rec.SHA256 || int64(len(b)) != rec.Bytes {
		t.Errorf("file sha256 %s, %d bytes; event says %s, %d", sum, len(b), rec.SHA256, rec.Bytes)
	}
	if rawString(c, "recording") != rec.Path || rawString(c, "recording_sha256") != sum {
		t.Errorf("CDR recording %q sha256 %q, want %s %s", rawString(c, "recording"), rawString(c, "recording_sha256"), rec.Path, sum)
	}
	if rec.Packets != 2*n {
		t.Errorf("recording event packets %d, want %d (both directions)", rec.Packets, 2*n)
	}
	logged := false
	logText, _ := os.ReadFile(sw.LogPath)
	for _, l := range strings.Split(string(logText), "\n") {
		if strings.Contains(l, "recording") && strings.Contains(l, call.CallID) && strings.Contains(l, rec.Path) {
			logged = true
			if !strings.Contains(l, sum) {
				t.Errorf("log line names another sha256 than the file's %s:\n%s", sum, l)
			}
		}
	}
	if !logged {
		t.Errorf("no log line names the recording %s", rec.Path)
	}

	w := parseWAV(t, b)
	if w.format != 1 || w.channels != 2 || w.rate != 8000 || w.bits != 16 {
		t.Fatalf("WAV format %d, %d channels, %d Hz, %d bits; want PCM stereo 8 kHz 16-bit", w.format, w.channels, w.rate, w.bits)
	}
	// Its length is the event's duration (to the ms).
	if ms := int64(len(w.frames)) * 1000 / 8000; ms < rec.DurationMs-1 || ms > rec.DurationMs+1 {
		t.Errorf("WAV holds %d ms, event says %d", ms, rec.DurationMs)
	}
	// Each channel holds exactly what its side sent: n packets of 160
	// samples of its sign, none of the other's, spanning n × 20 ms.
	for ch, want := range []struct {
		name     string
		positive bool
	}{{"left (caller)", true}, {"right (callee)", false}} {
		own, other, first, last := 0, 0, -1, -1
		for i, f := range w.frames {
			s := f[ch]
			if s == 0 {
				continue
			}
			if (s > 0) == want.positive {
				own++
				if first < 0 {
					first = i
				}
				last = i
			} else {
				other++
			}
		}
		t.Logf("%s channel: %d samples of its side, %d of the other's, audio from %.3f s to %.3f s of %.3f s",
			want.name, own, other, float64(first)/8000, float64(last+1)/8000, float64(len(w.frames))/8000)
		if other != 0 || own < (n-1)*160 || own > n*160 {
			t.Errorf("%s channel: %d samples of its side's sign (want %d, one packet short at most), %d of the other's (want 0)",
				want.name, own, n*160, other)
		}
		if span := time.Duration(last-first+1) * time.Second / 8000; span < n*rtppeer.DefaultPtime-rtppeer.DefaultPtime ||
			span > n*rtppeer.DefaultPtime+rtppeer.DefaultPtime {
			t.Errorf("%s channel: audio spans %s, want %s (± one 20 ms packet)", want.name, span, n*rtppeer.DefaultPtime)
		}
	}
	// The file covers the call: from the offer to the BYE, so no shorter
	// than the audio and no longer than the CDR's start to end.
	if total, call := time.Duration(len(w.frames))*time.Second/8000, c.End.Sub(c.Start); total < n*rtppeer.DefaultPtime || total > call+100*time.Millisecond {
		t.Errorf("WAV lasts %s; the call lasted %s and carried %s of audio", total, call, n*rtppeer.DefaultPtime)
	}

	// audit verify checks the recording against its event's SHA-256.
	if err := sw.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if out, err := cliRun(t, sw.Bin, "audit", "verify", "--config", sw.ConfigPath); err != nil {
		t.Fatalf("audit verify of an intact journal and recording: %v\n%s", err, out)
	}
	i := w.dataOffset + len(b[w.dataOffset:])/2
	b[i] ^= 0x01
	if err := os.WriteFile(rec.Path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := cliRun(t, sw.Bin, "audit", "verify", "--config", sw.ConfigPath)
	t.Logf("audit verify with the recording changed: %v\n%s", err, out)
	if err == nil {
		t.Errorf("audit verify passed with one byte of the recording changed:\n%s", out)
	} else if !strings.Contains(out, filepath.Base(rec.Path)) {
		t.Errorf("audit verify failed without naming the recording %s:\n%s", filepath.Base(rec.Path), out)
	}
}

// ---------------------------------------------------------------- ports

// TestE2EMediaPortsExhausted: with port pairs for two calls, a third
// INVITE gets 503 and is counted; once the calls end, calls work again.
func TestE2EMediaPortsExhausted(t *testing.T) {
	itest.RequireSIPp(t)
	lo := evenRange(t, 8)
	sw := mediaSwitch(t, itest.Options{}, "port_min: "+itoa(lo), "port_max: "+itoa(lo+7))
	if c := metric(t, sw, "softswitch_media_ports_capacity"); c != 4 {
		t.Fatalf("softswitch_media_ports_capacity = %v, want 4 pairs", c)
	}
	uas := mediaUAS(t, sw, callee, 9, 3) // nobody sends RTP: the discard port will do
	two := itest.StartSIPp(t, "uac_media", "-m", "2", "-l", "2", "-r", "10", "-s", callee, "-key", "caller", caller,
		"-au", caller, "-ap", password, "-key", "rtp_ip", "127.0.0.1", "-key", "rtp_port", "9", "-d", "4000", sw.SIPAddr)
	for _, c := range waitAnchored(t, sw, 2) {
		inRange(t, "leg a relay", c.A, lo, lo+7)
		inRange(t, "leg b relay", c.B, lo, lo+7)
	}
	if n := metric(t, sw, "softswitch_media_ports_in_use"); n != 4 {
		t.Errorf("softswitch_media_ports_in_use = %v with two calls up, want 4", n)
	}
	res := itest.RunSIPp(t, sippCtx(t, sippTimeout), "uac_unavailable", "-m", "1", "-s", callee, "-key", "caller", caller,
		"-au", caller, "-ap", password, sw.SIPAddr)
	if !res.OK() {
		t.Fatalf("third call: want 503: %s", res)
	}
	if n := metric(t, sw, "softswitch_media_no_ports_total"); n != 1 {
		t.Errorf("softswitch_media_no_ports_total = %v, want 1", n)
	}
	mustSucceed(t, "the two calls", two, 2, 20*time.Second)
	waitNoActiveCalls(t, sw)
	if n := metric(t, sw, "softswitch_media_ports_in_use"); n != 0 {
		t.Errorf("softswitch_media_ports_in_use = %v after the calls, want 0", n)
	}
	var refused []itest.CDR
	for _, c := range sw.WaitCDRs(t, 3, 10*time.Second) {
		if c.SIPCode == 503 {
			refused = append(refused, c)
		}
	}
	if len(refused) != 1 || refused[0].Reason != "Media Ports Exhausted" || refused[0].Disposition == "answered" {
		t.Errorf("503 CDRs %+v, want one with reason Media Ports Exhausted", refused)
	}
	// ports are back: a new call gets them
	again := mediaUAC(t, sw, "uac_media", callee, "127.0.0.1", 9, "-d", "200")
	mustSucceed(t, "a call after the others ended", again, 1, 20*time.Second)
	mustSucceed(t, "callee", uas, 3, 10*time.Second)
	waitNoActiveCalls(t, sw)
	if n := metric(t, sw, "softswitch_media_no_ports_total"); n != 1 {
		t.Errorf("softswitch_media_no_ports_total = %v at the end, want still 1", n)
	}
}

// TestE2EMediaPortsReleased: calls that end before or without an answer
// (busy, cancelled, ring timeout) and a forked call give their port pairs
// back; the fork that lost never held the answered call's media.
func TestE2EMediaPortsReleased(t *testing.T) {
	itest.RequireSIPp(t)
	subs := append(append([]itest.Subscriber(nil), itest.DefaultSubscribers...), itest.Subscriber{User: "6004", Password: password})
	sw := mediaSwitch(t, itest.Options{Subscribers: subs, RingTimeout: 2 * time.Second})
	for _, tc := range []struct {
		name, user, uas, uac string
		uacArgs              []string
	}{
		{"busy", "6001", "uas_busy", "uac_busy", nil},
		{"cancelled while ringing", "6002", "uas_noanswer", "uac_cancel", []string{"-d", "500"}},
		{"ring timeout", "6003", "uas_noanswer", "uac_noanswer", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			uas := startUAS(t, sw, tc.uas, tc.user)
			full := append([]string{"-m", "1", "-s", tc.user, "-key", "caller", caller, "-au", caller, "-ap", password}, tc.uacArgs...)
			if res := itest.RunSIPp(t, sippCtx(t, sippTimeout), tc.uac, append(full, sw.SIPAddr)...); !res.OK() {
				t.Fatalf("caller: %s", res)
			}
			uas.Wait(10 * time.Second)
			waitNoActiveCalls(t, sw)
			itest.Eventually(t, 5*time.Second, "no media port pair in use", func() bool {
				return metric(t, sw, "softswitch_media_ports_in_use") == 0
			})
		})
	}
	t.Run("forked", func(t *testing.T) {
		pa, pb := rtpPeer(t, false), rtpPeer(t, false)
		answering := mediaUAS(t, sw, "6004", int(pb.Addr().Port()), 1)
		ringing := startUAS(t, sw, "uas_noanswer", "6004")
		uac := mediaUAC(t, sw, "uac_media", "6004", "127.0.0.1", int(pa.Addr().Port()), "-d", "1500")
		call := waitAnchored(t, sw, 1)[0]
		if ports := metric(t, sw, "softswitch_media_ports_in_use"); ports != 2 {
			t.Errorf("softswitch_media_ports_in_use = %v for one forked call, want 2 pairs", ports)
		}
		const n = 25
		sendAll(t,
			send{from: pa, to: call.A, s: rtppeer.Stream{SSRC: ssrcA, Count: n}},
			send{from: pb, to: call.B, s: rtppeer.Stream{SSRC: ssrcB, Count: n}})
		waitStream(t, pb, ssrcA, n)
		waitStream(t, pa, ssrcB, n)
		mustSucceed(t, "caller", uac, 1, 20*time.Second)
		mustSucceed(t, "answering contact", answering, 1, 10*time.Second)
		if res := ringing.Wait(10 * time.Second); !strings.Contains(res.Messages(), "CANCEL sip:") {
			t.Errorf("the ringing contact was not cancelled: %s", res)
		}
		waitNoActiveCalls(t, sw)
		_, legs := mediaCallCDR(t, sw, call.CallID)
		checkLeg(t, legs["a"], "a", n, n)
		checkLeg(t, legs["b"], "b", n, n)
		itest.Eventually(t, 5*time.Second, "no media port pair in use", func() bool {
			return metric(t, sw, "softswitch_media_ports_in_use") == 0
		})
	})
}

// TestE2EMediaBadSDP: an offer that is not SDP gets 400, one the switch
// cannot anchor 488, each with a Warning saying why; nothing reaches the
// callee and no port is held.
func TestE2EMediaBadSDP(t *testing.T) {
	itest.RequireSIPp(t)
	sw := mediaSwitch(t, itest.Options{})
	uas := mediaUAS(t, sw, callee, 9, 1)
	cases := []struct {
		name                  string
		media, rtpIP, rtpPort string
		code                  string
		warning               string
	}{
		{"malformed port", "audio", "127.0.0.1", "x4000", "400", "malformed SDP"},
		{"video only", "video", "127.0.0.1", "4000", "488", "no RTP audio stream"},
		{"FQDN c=", "audio", "media.example.com", "4000", "488", "not an IP address"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := itest.RunSIPp(t, sippCtx(t, sippTimeout), "uac_media_refused", "-m", "1", "-s", callee,
				"-key", "caller", caller, "-au", caller, "-ap", password,
				"-key", "m_media", tc.media, "-key", "rtp_ip", tc.rtpIP, "-key", "rtp_port", tc.rtpPort, sw.SIPAddr)
			if !res.OK() {
				t.Fatalf("%s", res)
			}
			var final string
			for _, m := range sippMessages(res.Messages()) {
				if m.received && strings.HasPrefix(m.text, "SIP/2.0 ") && !strings.HasPrefix(m.text, "SIP/2.0 1") &&
					!strings.HasPrefix(m.text, "SIP/2.0 407") {
					final = m.text
				}
			}
			if !strings.HasPrefix(final, "SIP/2.0 "+tc.code+" ") {
				t.Fatalf("final answer %q, want %s", firstLineOf(final), tc.code)
			}
			w := headerLine(final, "Warning")
			if !strings.HasPrefix(w, "399 ") || !strings.Contains(w, tc.warning) {
				t.Errorf("Warning %q, want 399 saying %q\n%s", w, tc.warning, final)
			}
		})
	}
	if n := metric(t, sw, "softswitch_sdp_refused_total"); n != float64(len(cases)) {
		t.Errorf("softswitch_sdp_refused_total = %v, want %d", n, len(cases))
	}
	if n := metric(t, sw, "softswitch_media_ports_in_use"); n != 0 {
		t.Errorf("softswitch_media_ports_in_use = %v, want 0", n)
	}
	if calls := activeCalls(t, sw); len(calls) != 0 {
		t.Errorf("active calls after refused offers: %+v", calls)
	}
	if res := uas.Stop(); strings.Contains(res.Messages(), "INVITE sip:") {
		t.Errorf("a refused offer reached the callee:\n%s", res.Messages())
	}
}

// TestE2EMediaNoLeak: 1,000 short anchored calls leave no port pair held
// and no goroutine behind.
func TestE2EMediaNoLeak(t *testing.T) {
	itest.RequireSIPp(t)
	sw := mediaSwitch(t, itest.Options{})
	const warm, n = 20, 1000
	uas := mediaUAS(t, sw, callee, 9, warm+n)
	run := func(calls, rate int) {
		t.Helper()
		uac := itest.StartSIPp(t, "uac", "-m", itoa(calls), "-r", itoa(rate), "-l", itoa(rate*2), "-s", callee,
			"-key", "caller", caller, "-au", caller, "-ap", password, "-d", "100", "-recv_timeout", "10000", sw.SIPAddr)
		mustSucceed(t, fmt.Sprintf("%d calls", calls), uac, calls, time.Duration(calls/rate)*time.Second+60*time.Second)
	}
	settled := func() float64 {
		t.Helper()
		waitNoActiveCalls(t, sw)
		itest.Eventually(t, 10*time.Second, "no media port in use", func() bool {
			return metric(t, sw, "softswitch_media_ports_in_use") == 0
		})
		time.Sleep(2 * time.Second) // let the dialogs' and transactions' timers run out
		return metric(t, sw, "go_goroutines")
	}
	// A first few calls start whatever the switch starts once.
	run(warm, 20)
	before := settled()
	start := time.Now()
	run(n, 50)
	t.Logf("%d calls in %s", n, time.Since(start).Round(time.Millisecond))
	if got := metric(t, sw, "softswitch_media_no_ports_total"); got != 0 {
		t.Errorf("softswitch_media_no_ports_total = %v, want 0", got)
	}
	settled()
	const margin = 10
	var after float64
	deadline := time.Now().Add(15 * time.Second)
	for {
		after = metric(t, sw, "go_goroutines")
		if after <= before+margin || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("go_goroutines: %v before, %v after %d calls", before, after, n)
	if after > before+margin {
		t.Errorf("go_goroutines %v after %d calls, %v before: leaked", after, n, before)
	}
	mustSucceed(t, "callee", uas, warm+n, 10*time.Second)
	cdrs := sw.CDRsAPI(t)
	withMedia := 0
	for _, c := range cdrs {
		if m, ok := c.Raw["media"].([]any); ok && len(m) == 2 {
			withMedia++
		}
	}
	if len(cdrs) != warm+n || withMedia != warm+n {
		t.Errorf("%d CDRs, %d with both media legs; want %d", len(cdrs), withMedia, warm+n)
	}
}

// TestE2EMediaEarly: a 183 with SDP (early media, RFC 3960) points the
// relay at the callee before the answer: the callee's ringback reaches the
// caller from the switch's A-leg port while the call is unanswered, and
// the caller's 183 names the switch, not the callee.
func TestE2EMediaEarly(t *testing.T) {
	itest.RequireSIPp(t)
	// The UAS answers after 4 s of early media: past itest's 3 s ring timeout.
	sw := mediaSwitch(t, itest.Options{RingTimeout: 15 * time.Second})
	pa, pb := rtpPeer(t, false), rtpPeer(t, false)
	uas := itest.StartSIPp(t, "uas_media_early", "-m", "1", "-s", callee, "-key", "rtp_port", itoa(int(pb.Addr().Port())), "-d", "4000")
	mustRegister(t, sw, callee, uas.Addr, 300)
	uac := mediaUAC(t, sw, "uac_media", callee, "127.0.0.1", int(pa.Addr().Port()), "-d", "1000")
	var a, b netip.AddrPort
	itest.Eventually(t, 10*time.Second, "an unanswered call with both media legs", func() bool {
		calls := activeCalls(t, sw)
		if len(calls) != 1 || !calls[0].Answered.IsZero() {
			return false
		}
		for _, m := range calls[0].Media {
			ap, err := netip.ParseAddrPort(m.Local)
			if err != nil {
				continue
			}
			if m.Leg == "a" {
				a = ap
			} else if m.Leg == "b" {
				b = ap
			}
		}
		return a.IsValid() && b.IsValid()
	})
	const n = 50 // 1 s of ringback, well inside the 4 s before the answer
	sendAll(t, send{from: pb, to: b, s: rtppeer.Stream{SSRC: ssrcB, Count: n}})
	got := waitStream(t, pa, ssrcB, n)
	if got.Packets != n || len(got.Sources) != 1 || got.Sources[0] != a {
		t.Errorf("caller got %d early packets from %v, want %d from the A-leg relay %s", got.Packets, got.Sources, n, a)
	}
	if calls := activeCalls(t, sw); len(calls) != 1 || !calls[0].Answered.IsZero() {
		t.Fatalf("the call was answered before the early media was checked; raise the UAS's -d")
	}
	mustSucceed(t, "callee", uas, 1, 20*time.Second)
	uacRes := mustSucceed(t, "caller", uac, 1, 10*time.Second)
	if sdp, msg := receivedSDP(t, uacRes, "SIP/2.0 183"); sdp != a {
		t.Errorf("caller's 183 names %s, want the A-leg relay %s:\n%s", sdp, a, msg)
	}
}

// TestE2EMediaRecordHeader: with media.record_header set, the caller's
// INVITE asks for one call to be recorded; "off", or no such setting,
// records nothing (the subscriber has no record: true).
func TestE2EMediaRecordHeader(t *testing.T) {
	itest.RequireSIPp(t)
	sw := mediaSwitch(t, itest.Options{}, "record_header: X-Record")
	for _, tc := range []struct {
		ask  string
		want int
	}{{"on", 1}, {"off", 0}} {
		t.Run(tc.ask, func(t *testing.T) {
			pa, pb := rtpPeer(t, false), rtpPeer(t, false)
			uas := mediaUAS(t, sw, callee, int(pb.Addr().Port()), 1)
			uac := mediaUAC(t, sw, "uac_media_record", callee, "127.0.0.1", int(pa.Addr().Port()), "-d", "2000", "-key", "record", tc.ask)
			call := waitAnchored(t, sw, 1)[0]
			sendAll(t, send{from: pa, to: call.A, s: rtppeer.Stream{SSRC: ssrcA, Count: 25}})
			waitStream(t, pb, ssrcA, 25)
			mustSucceed(t, "caller", uac, 1, 20*time.Second)
			mustSucceed(t, "callee", uas, 1, 10*time.Second)
			waitNoActiveCalls(t, sw)
			mediaCallCDR(t, sw, call.CallID) // the call is over and billed
			recs := payloadsOf[domain.Recording](t, callEventsOf(t, sw, call.CallID), domain.TypeRecording)
			if len(recs) != tc.want {
				t.Fatalf("X-Record: %s gave %d call.recording events, want %d", tc.ask, len(recs), tc.want)
			}
			for _, r := range recs {
				b, err := os.ReadFile(r.Path)
				if err != nil || sha256Hex(b) != r.SHA256 {
					t.Errorf("recording %s: %v, hash %s vs event %s", r.Path, err, sha256Hex(b), r.SHA256)
				}
			}
		})
	}
}
