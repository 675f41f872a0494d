//go:build e2e

// The dialer's early-media classification (issue 15 §4) through the real
// binary: a SIPp gateway answers 183 and never 200, and a Go RTP endpoint
// plays into the call what a Chinese carrier plays there.
package main

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"softswitch/internal/itest"
	"softswitch/internal/rtppeer"
)

// tone is 450 Hz (China's call-progress tone) on for on, off for off,
// repeated for total.
func tone(on, off, total time.Duration) []int16 {
	n := int(total.Seconds() * 8000)
	period := int((on + off).Seconds() * 8000)
	onN := int(on.Seconds() * 8000)
	pcm := make([]int16, n)
	for i := range pcm {
		if i%period < onN {
			pcm[i] = int16(9000 * math.Sin(2*math.Pi*450*float64(i)/8000))
		}
	}
	return pcm
}

// announcement is a seeded stand-in for a recorded voice: bursts of 60 to
// 220 ms, each a voiced sound (the harmonics of a random pitch shaped by
// two formant peaks, as vowels are) under an attack/decay envelope, with
// short gaps, as syllables are. Two seeds are two different recordings.
func announcement(seed uint64, total time.Duration) []int16 {
	rng := rand.New(rand.NewPCG(seed, seed*7+1))
	pcm := make([]int16, int(total.Seconds()*8000))
	for i := 0; i < len(pcm); {
		burst := 480 + rng.IntN(1280)
		f0 := 100 + rng.Float64()*150
		f1, f2 := 300+rng.Float64()*700, 900+rng.Float64()*2000
		amp := 3000 + rng.Float64()*6000
		for j := 0; j < burst && i+j < len(pcm); j++ {
			env := math.Min(1, float64(j)/200) * math.Min(1, float64(burst-j)/400)
			t := float64(j) / 8000
			v := 0.0
			for k := 1; float64(k)*f0 < 3800; k++ {
				f := float64(k) * f0
				a := 1/(1+math.Pow((f-f1)/150, 2)) + 0.7/(1+math.Pow((f-f2)/250, 2))
				v += a * math.Sin(2*math.Pi*f*t)
			}
			pcm[i+j] = int16(max(-32000, min(32000, amp*env*v/3)))
		}
		i += burst + 80 + rng.IntN(640)
	}
	return pcm
}

// writeWAV writes 16-bit mono 8 kHz PCM.
func writeWAV(t *testing.T, path string, pcm []int16) {
	t.Helper()
	b := make([]byte, 44+2*len(pcm))
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*len(pcm)))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1) // PCM
	binary.LittleEndian.PutUint16(b[22:], 1) // mono
	binary.LittleEndian.PutUint32(b[24:], 8000)
	binary.LittleEndian.PutUint32(b[28:], 16000)
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*len(pcm)))
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(s))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// ringingTo waits for the switch's call to a number ending in suffix to
// have its callee's media anchored (the 183's SDP applied), and returns
// the switch's address for the callee's RTP.
func ringingTo(t *testing.T, sw *itest.Switch, suffix string) netip.AddrPort {
	t.Helper()
	var to netip.AddrPort
	itest.Eventually(t, 15*time.Second, "a ringing call to "+suffix, func() bool {
		for _, c := range activeCalls(t, sw) {
			if !strings.HasSuffix(c.Callee, suffix) {
				continue
			}
			for _, m := range c.Media {
				if m.Leg == "b" {
					to, _ = netip.ParseAddrPort(m.Local)
				}
			}
		}
		return to.IsValid()
	})
	return to
}

// TestE2EEarlyMedia: the carrier's busy tone ends the attempt early as
// busy; its recorded "vacant number" announcement, loaded as a reference,
// ends it as invalid_number, and no campaign dials that number again; an
// announcement that matches no reference, and a ringback tone, are not
// taken for anything: those attempts ring out.
func TestE2EEarlyMedia(t *testing.T) {
	itest.RequireSIPp(t)
	pe := rtpPeer(t, false) // e2e_media_test.go
	gw := startGateway(t, "gw_early", "-key", "rtp_port", itoa(int(pe.Addr().Port())))
	vacant := announcement(1, 4*time.Second)
	ref := filepath.Join(t.TempDir(), "vacant.wav")
	writeWAV(t, ref, vacant)

	subs := append(append([]itest.Subscriber(nil), itest.DefaultSubscribers...), itest.DialerSubscriber)
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" + trunkYAML("cm-early", gw, "") +
		"routes:\n  - {prefix: \"86135\", trunks: [cm-early]}\n" +
		"dialer:\n  enabled: true\n  account: dialer\n  announcements:\n" +
		"    - {label: \"cmcc/vacant\", outcome: invalid_number, file: \"" + ref + "\"}\n"
	// The switch lets a callee ring longer than the campaign does: the
	// campaign's ring_seconds is what ends the attempts that ring out.
	sw := itest.Start(t, itest.Options{Subscribers: subs, ExtraYAML: cfg, RingTimeout: 20 * time.Second})
	agent := itest.StartSIPp(t, "uas_sdp_bye", "-m", "10", "-s", "6001", "-d", "500")
	mustRegister(t, sw, "6001", agent.Addr, 300)

	leads := []struct {
		number, what string
		audio        []int16
		outcome      string
		early        string
	}{
		{"13500000001", "busy tone", tone(350*time.Millisecond, 350*time.Millisecond, 8*time.Second), "busy", "busy_tone"},
		{"13500000002", "the vacant-number announcement", vacant, "invalid_number", "cmcc/vacant"},
		{"13500000003", "another announcement", announcement(2, 4*time.Second), "no_answer", ""},
		{"13500000004", "ringback", tone(time.Second, 4*time.Second, 8*time.Second), "no_answer", ""},
	}
	spec := strings.Replace(campaignJSON("early", []string{"6001"}, ""), `"ring_seconds":10`, `"ring_seconds":6`, 1)
	spec = strings.Replace(spec, `"congestion":{"max_attempts":1}`, `"congestion":{"max_attempts":1},"invalid_number":{"max_attempts":1}`, 1)
	postJSON(t, sw, "/api/v1/campaigns", spec, 201)
	var csv strings.Builder
	csv.WriteString("number\n")
	for _, l := range leads {
		csv.WriteString(l.number + "\n")
	}
	postCSV(t, sw, "/api/v1/campaigns/early/leads", csv.String(), 200)
	postJSON(t, sw, "/api/v1/campaigns/early/start", "", 200)

	// One agent: the attempts come one after the other, in lead order.
	for i, l := range leads {
		to := ringingTo(t, sw, l.number)
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			_, _ = pe.SendStream(ctx, to, rtppeer.Stream{SSRC: uint32(100 + i), Audio: l.audio, Duration: 7 * time.Second})
		}()
		itest.Eventually(t, 20*time.Second, "attempt on "+l.what+" ended", func() bool {
			return len(campaignEvents(t, sw, "early", "campaign.attempt_ended")) > i
		})
		cancel()
		e := campaignEvents(t, sw, "early", "campaign.attempt_ended")[i]
		early, _ := e["early_media"].(string)
		if e["outcome"] != l.outcome || early != l.early {
			t.Errorf("%s: outcome %v, early media %q; want %s, %q (%v)", l.what, e["outcome"], early, l.outcome, l.early, e)
		}
		if l.early != "" {
			conf, _ := e["confidence"].(float64)
			ms, _ := e["detected_ms"].(float64)
			if conf <= 0 || conf > 1 || ms <= 0 || ms > 5000 {
				t.Errorf("%s: confidence %v after %v ms: want (0, 1] and ended well before the 6 s ring timeout", l.what, conf, ms)
			}
		}
	}
	c := getCampaign(t, sw, "early").Counters
	if c["ended_by_early_media"] != 2 || c["busy"] != 1 || c["invalid_number"] != 1 || c["no_answer"] != 2 {
		t.Errorf("counters %v", c)
	}

	t.Run("a vacant number is not dialled again", func(t *testing.T) {
		before := len(gw.invites(t))
		postJSON(t, sw, "/api/v1/campaigns", campaignJSON("again", []string{"6001"}, ""), 201)
		postCSV(t, sw, "/api/v1/campaigns/again/leads", "number\n13500000002\n", 200)
		postJSON(t, sw, "/api/v1/campaigns/again/start", "", 200)
		itest.Eventually(t, 10*time.Second, "the lead decided", func() bool {
			return getCampaign(t, sw, "again").Counters["done"] == 1
		})
		d := campaignEvents(t, sw, "again", "campaign.attempt_decided")
		if len(d) != 1 || d[0]["reason"] != "known_invalid" || d[0]["allowed"] != false {
			t.Fatalf("decisions %v, want one known_invalid refusal", d)
		}
		if c := getCampaign(t, sw, "again").Counters; c["invalid_saved"] != 1 || c["dialed"] != 0 {
			t.Fatalf("counters %v", c)
		}
		if after := len(gw.invites(t)); after != before {
			t.Fatalf("the gateway got %d more INVITEs", after-before)
		}
	})
}

// TestE2EAnsweringMachine: with amd: drop, a callee that answers with a
// long greeting is detected as a machine and hung up (answered_machine,
// no agent rung); one that says a word and waits is a human and goes to
// the agent. app_amd's decision and cause are on the attempt.
func TestE2EAnsweringMachine(t *testing.T) {
	itest.RequireSIPp(t)
	pe := rtpPeer(t, false) // e2e_media_test.go
	gw := startGateway(t, "uas_media", "-key", "rtp_port", itoa(int(pe.Addr().Port())))
	subs := append(append([]itest.Subscriber(nil), itest.DefaultSubscribers...), itest.DialerSubscriber)
	voicemail := filepath.Join(t.TempDir(), "voicemail.wav")
	writeWAV(t, voicemail, announcement(11, 2*time.Second)) // 100 packets of 20 ms
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" + trunkYAML("cm-amd", gw, "") +
		"routes:\n  - {prefix: \"86134\", trunks: [cm-amd]}\n" +
		"dialer:\n  enabled: true\n  account: dialer\n  prompts:\n    - {name: voicemail, file: \"" + voicemail + "\"}\n"
	sw := itest.Start(t, itest.Options{Subscribers: subs, ExtraYAML: cfg})
	agent := itest.StartSIPp(t, "uas_sdp_bye", "-m", "10", "-s", "6002", "-d", "500")
	mustRegister(t, sw, "6002", agent.Addr, 300)

	// A human: one 400 ms word, then silence (app_amd: HUMAN after 800 ms
	// of silence following the greeting).
	human := make([]int16, 3*8000)
	copy(human, announcement(5, 400*time.Millisecond))
	leads := []struct {
		number, what string
		audio        []int16
		outcome, amd string
	}{
		{"13400000001", "a long recorded greeting", announcement(3, 5*time.Second), "answered_machine", "MACHINE"},
		{"13400000002", "a person saying hello", human, "connected", "HUMAN"},
	}
	postJSON(t, sw, "/api/v1/campaigns", campaignJSON("amd", []string{"6002"}, `,"amd":"drop"`), 201)
	postCSV(t, sw, "/api/v1/campaigns/amd/leads", "number\n"+leads[0].number+"\n"+leads[1].number+"\n", 200)
	postJSON(t, sw, "/api/v1/campaigns/amd/start", "", 200)
	for i, l := range leads {
		to := ringingTo(t, sw, l.number) // the callee's media: anchored once it answers
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			_, _ = pe.SendStream(ctx, to, rtppeer.Stream{SSRC: uint32(200 + i), Audio: l.audio, Duration: 6 * time.Second})
		}()
		itest.Eventually(t, 20*time.Second, "attempt on "+l.what+" ended", func() bool {
			return len(campaignEvents(t, sw, "amd", "campaign.attempt_ended")) > i
		})
		cancel()
		e := campaignEvents(t, sw, "amd", "campaign.attempt_ended")[i]
		cause, _ := e["amd_cause"].(string)
		if e["outcome"] != l.outcome || e["amd"] != l.amd || cause == "" {
			t.Errorf("%s: outcome %v, amd %v (%q); want %s, %s", l.what, e["outcome"], e["amd"], cause, l.outcome, l.amd)
		}
		ids, _ := e["sip_call_ids"].([]any)
		if wantLegs := map[string]int{"answered_machine": 1, "connected": 2}[l.outcome]; len(ids) != wantLegs {
			t.Errorf("%s: %d legs placed, want %d (the agent is rung only for a human)", l.what, len(ids), wantLegs)
		}
	}
	if c := getCampaign(t, sw, "amd").Counters; c["answered_machine"] != 1 || c["connected"] != 1 || c["answered"] != 2 {
		t.Errorf("counters %v", c)
	}
	waitNoActiveCalls(t, sw)

	t.Run("amd message: the machine gets the message after its greeting", func(t *testing.T) {
		// A 3 s greeting (app_amd: MACHINE by LONGGREETING at 1.5 s), then
		// the machine records: silence. The message starts once 800 ms of
		// silence say the greeting is over, and plays to its end.
		machine := make([]int16, 9*8000)
		copy(machine, announcement(3, 3*time.Second))
		postJSON(t, sw, "/api/v1/campaigns", campaignJSON("amdmsg", []string{"6002"}, `,"amd":"message","machine_prompt":"voicemail"`), 201)
		postCSV(t, sw, "/api/v1/campaigns/amdmsg/leads", "number\n13400000003\n", 200)
		postJSON(t, sw, "/api/v1/campaigns/amdmsg/start", "", 200)
		to := ringingTo(t, sw, "13400000003")
		before := totalPackets(pe)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			_, _ = pe.SendStream(ctx, to, rtppeer.Stream{SSRC: 300, Audio: machine, Duration: 9 * time.Second})
		}()
		itest.Eventually(t, 20*time.Second, "the machine's attempt ended", func() bool {
			return len(campaignEvents(t, sw, "amdmsg", "campaign.attempt_ended")) == 1
		})
		e := campaignEvents(t, sw, "amdmsg", "campaign.attempt_ended")[0]
		if e["outcome"] != "answered_machine" || e["amd"] != "MACHINE" || e["message_left"] != true || e["final"] != true {
			t.Fatalf("attempt %v, want answered_machine, MACHINE, message left, final", e)
		}
		if ids, _ := e["sip_call_ids"].([]any); len(ids) != 1 {
			t.Errorf("%d legs placed: no agent is rung for a machine", len(ids))
		}
		if got := totalPackets(pe) - before; got < 90 {
			t.Fatalf("the machine recorded %d packets of the 100-packet message", got)
		}
		if c := getCampaign(t, sw, "amdmsg").Counters; c["machine_messages_left"] != 1 || c["done"] != 1 {
			t.Errorf("counters %v", c)
		}
		// Without a machine_prompt the mode is refused by name.
		code, body, _ := sw.DoRaw("POST", "/api/v1/campaigns", "application/json",
			strings.NewReader(campaignJSON("amdbad", []string{"6002"}, `,"amd":"message"`)))
		if code != 400 || !strings.Contains(string(body), "machine_prompt") {
			t.Errorf("amd message without machine_prompt: %d %s", code, body)
		}
		waitNoActiveCalls(t, sw)
	})
}

// TestE2ENotification: a notification campaign (语音通知) plays its prompt
// to each answered callee, as RTP the callee's endpoint receives, and
// takes the DTMF digit one presses (RFC 4733) as its answer; a callee who
// presses nothing is notified with no digit once the wait is over.
func TestE2ENotification(t *testing.T) {
	itest.RequireSIPp(t)
	pe := rtpPeer(t, false) // e2e_media_test.go
	gw := startGateway(t, "uas_media", "-key", "rtp_port", itoa(int(pe.Addr().Port())))
	prompt := filepath.Join(t.TempDir(), "notice.wav")
	writeWAV(t, prompt, announcement(9, 2*time.Second)) // 100 packets of 20 ms
	subs := append(append([]itest.Subscriber(nil), itest.DefaultSubscribers...), itest.DialerSubscriber)
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" + trunkYAML("cm-notify", gw, "") +
		"routes:\n  - {prefix: \"86133\", trunks: [cm-notify]}\n" +
		"dialer:\n  enabled: true\n  account: dialer\n  prompts:\n    - {name: notice, file: \"" + prompt + "\"}\n"
	sw := itest.Start(t, itest.Options{Subscribers: subs, ExtraYAML: cfg})

	spec := strings.Replace(campaignJSON("notice", nil, `,"prompt":"notice","collect_digit":true,"digit_timeout_seconds":2,"channels":1`),
		"progressive", "notification", 1)
	postJSON(t, sw, "/api/v1/campaigns", spec, 201)
	postCSV(t, sw, "/api/v1/campaigns/notice/leads", "number\n13300000001\n13300000002\n", 200)
	postJSON(t, sw, "/api/v1/campaigns/notice/start", "", 200)

	for i, press := range []rune{'1', 0} {
		to := ringingTo(t, sw, "1330000000"+itoa(i+1))
		before := totalPackets(pe)
		if press != 0 {
			time.Sleep(500 * time.Millisecond) // mid-prompt
			if _, err := pe.SendDTMF(context.Background(), to, rtppeer.DTMF{SSRC: 0xd7f, Digit: press}); err != nil {
				t.Fatal(err)
			}
		}
		itest.Eventually(t, 15*time.Second, "notification "+itoa(i+1)+" ended", func() bool {
			return len(campaignEvents(t, sw, "notice", "campaign.attempt_ended")) > i
		})
		e := campaignEvents(t, sw, "notice", "campaign.attempt_ended")[i]
		digit, _ := e["digit"].(string)
		want := ""
		if press != 0 {
			want = string(press)
		}
		if e["outcome"] != "notified" || digit != want {
			t.Errorf("callee %d: outcome %v digit %q, want notified with %q", i+1, e["outcome"], digit, want)
		}
		got := totalPackets(pe) - before
		if press == 0 && got < 90 {
			t.Errorf("callee %d heard %d packets of the 100-packet prompt", i+1, got)
		}
		if press != 0 && (got < 10 || got > 60) {
			t.Errorf("callee %d heard %d packets: want the prompt cut short by the digit", i+1, got)
		}
	}
	if c := getCampaign(t, sw, "notice").Counters; c["notified"] != 2 || c["answered_with_digit"] != 1 || c["done"] != 2 {
		t.Errorf("counters %v", c)
	}
	waitNoActiveCalls(t, sw)

	t.Run("an abandoned callee hears the message", func(t *testing.T) {
		// The agent's phone rings and never answers: after 2 s the
		// answered callee is abandoned, and hears abandon_prompt first.
		noans := itest.StartSIPp(t, "uas_noanswer", "-m", "1", "-s", "6003")
		mustRegister(t, sw, "6003", noans.Addr, 300)
		postJSON(t, sw, "/api/v1/campaigns", campaignJSON("abandon", []string{"6003"}, `,"abandon_prompt":"notice"`), 201)
		postCSV(t, sw, "/api/v1/campaigns/abandon/leads", "number\n13300000009\n", 200)
		before := totalPackets(pe)
		postJSON(t, sw, "/api/v1/campaigns/abandon/start", "", 200)
		itest.Eventually(t, 20*time.Second, "the attempt ended", func() bool {
			return len(campaignEvents(t, sw, "abandon", "campaign.attempt_ended")) == 1
		})
		e := campaignEvents(t, sw, "abandon", "campaign.attempt_ended")[0]
		if reason, _ := e["reason"].(string); e["outcome"] != "abandoned" || !strings.Contains(reason, "message played") {
			t.Fatalf("attempt %v, want abandoned with the message played", e)
		}
		if got := totalPackets(pe) - before; got < 90 {
			t.Fatalf("the abandoned callee heard %d packets of the 100-packet message", got)
		}
		waitNoActiveCalls(t, sw)
	})
}

func totalPackets(p *rtppeer.Peer) uint64 {
	var n uint64
	for _, s := range p.Stats().Streams {
		n += s.Packets
	}
	return n
}
