//go:build e2e

package main

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"softswitch/internal/itest"
	"softswitch/internal/rtppeer"
)

// TestE2EDialerHostile: the dialer's own SIP socket under forged traffic,
// and a campaign whose agent's phone vanishes mid-call.
func TestE2EDialerHostile(t *testing.T) {
	itest.RequireSIPp(t)
	gw, echo := startGateway(t, "gw_answer"), startGateway(t, "gw_answer", "-rtp_echo")
	// Rings for ever (183, never 200), with early media from a port where
	// nothing plays.
	silent := rtpPeer(t, false)
	ringing := startGateway(t, "gw_early", "-key", "rtp_port", itoa(int(silent.Addr().Port())))
	var dialerPort int
	for dialerPort == 0 || dialerPort >= 40002 && dialerPort <= 41000 { // not among the dialer's RTP ports
		p, err := itest.FreeUDPPort()
		if err != nil {
			t.Fatal(err)
		}
		dialerPort = p
	}
	subs := append(slices.Clone(itest.DefaultSubscribers), itest.DialerSubscriber)
	cfg := "media:\n  timeout: 4s\n" +
		"carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" + trunkYAML("cm-a", gw, "") + trunkYAML("cm-echo", echo, "") + trunkYAML("cm-ring", ringing, "") +
		"routes:\n  - {prefix: \"86138\", trunks: [cm-a]}\n  - {prefix: \"86137\", trunks: [cm-echo]}\n  - {prefix: \"86136\", trunks: [cm-ring]}\n" +
		"dialer:\n  enabled: true\n  account: dialer\n  sip_port: " + strconv.Itoa(dialerPort) + "\n"
	sw := itest.Start(t, itest.Options{Subscribers: subs, ExtraYAML: cfg})

	t.Run("forged requests at the dialer's socket change nothing", func(t *testing.T) {
		// The agent hangs up after 2.5 s, inside the 4 s media timeout.
		agent := startUAS(t, sw, "uas_sdp_bye", "6001", "-d", "2500")
		id := clickToCall(t, sw, "6001", "13800138000")
		var st c2cStatus
		itest.Eventually(t, 10*time.Second, "bridged", func() bool {
			sw.GetJSON(t, "/api/v1/click-to-call/"+id, &st)
			return slices.Contains(st.Steps, "bridged")
		})
		_, payloads := c2cEvents(t, sw, id)
		var legs []string
		for _, p := range payloads {
			if cid, ok := p["sip_call_id"].(string); ok {
				legs = append(legs, cid)
			}
		}
		if len(legs) != 2 {
			t.Fatalf("legs' Call-IDs %v", legs)
		}
		// An attacker on the host who learnt the legs' Call-IDs (they are
		// in the switch's logs) sends BYEs and re-INVITEs for them, and a
		// flood, from its own port: the dialer answers none and ends
		// nothing.
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		to := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: dialerPort}
		local := c.LocalAddr().String()
		sent := 0
		for i, cid := range legs {
			for _, m := range []string{"BYE", "INVITE", "UPDATE"} {
				req := fmt.Sprintf("%s sip:dialer@127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-forged-%d%s\r\n"+
					"From: <sip:x@127.0.0.1>;tag=forged%d\r\nTo: <sip:dialer@127.0.0.1>;tag=guess%d\r\nCall-ID: %s\r\nCSeq: 99 %s\r\n"+
					"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n", m, dialerPort, local, i, m, i, i, cid, m)
				if _, err := c.WriteTo([]byte(req), to); err != nil {
					t.Fatal(err)
				}
				sent++
			}
		}
		for i := range 2000 { // bounded flood, in bursts of 100
			if _, err := c.WriteTo([]byte("OPTIONS garbage "+strconv.Itoa(i)), to); err != nil {
				t.Fatal(err)
			}
			sent++
			if i%100 == 99 {
				time.Sleep(5 * time.Millisecond)
			}
		}
		_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		if n, _, err := c.ReadFrom(make([]byte, 2048)); err == nil {
			t.Fatalf("the dialer answered a stranger (%d bytes)", n)
		}
		st = waitOutcome(t, sw, id)
		if st.Outcome != "completed" || st.By != "agent" {
			t.Fatalf("attempt %+v, want completed by the agent's own BYE", st)
		}
		mustSucceed(t, "agent's phone", agent, 1, 10*time.Second)
		// Counted as read: a flood sent this fast also overflows the
		// socket's receive buffer in the kernel, which drops some unread.
		if got := metric(t, sw, "softswitch_dialer_foreign_datagrams_total"); got < float64(sent)*0.9 {
			t.Fatalf("foreign datagrams counted %v, want ≥ 90 %% of %d", got, sent)
		}
		waitNoActiveCalls(t, sw)
	})

	t.Run("an agent's phone that vanishes mid-call", func(t *testing.T) {
		pa := rtpPeer(t, false)
		agent := mediaUAS(t, sw, "6003", int(pa.Addr().Port()), 1)
		postJSON(t, sw, "/api/v1/campaigns", campaignJSON("vanish", []string{"6003"}, ""), 201)
		postCSV(t, sw, "/api/v1/campaigns/vanish/leads", "number\n13700000001\n", 200)
		postJSON(t, sw, "/api/v1/campaigns/vanish/start", "", 200)
		calls := waitAnchored(t, sw, 2)
		var toAgent, agentCall = calls[0].B, ""
		for _, c := range calls {
			for _, ac := range activeCalls(t, sw) {
				if ac.CallID == c.CallID && ac.Callee == "6003" {
					toAgent, agentCall = c.B, c.CallID
				}
			}
		}
		if agentCall == "" {
			t.Fatalf("no call to the agent in %+v", calls)
		}
		// Talk for a second through the bridge (the gateway echoes), then
		// the phone is gone: no BYE, no RTP, no answer to anything.
		sendAll(t, send{from: pa, to: toAgent, s: rtppeer.Stream{SSRC: 0xdead, Count: 50}})
		agent.Kill()
		itest.Eventually(t, 20*time.Second, "the attempt ended", func() bool {
			return getCampaign(t, sw, "vanish").Counters["done"] == 1
		})
		ends := campaignEvents(t, sw, "vanish", "campaign.attempt_ended")
		if len(ends) != 1 || ends[0]["outcome"] != "connected" || ends[0]["final"] != true {
			t.Fatalf("attempt ends %v, want one connected and final", ends)
		}
		// Each leg has its CDR, and dead media ended the bridge: both legs
		// went silent together, so whichever leg's media timer fired first
		// has "Media Timeout" (the dialer then hung up the other).
		var agentCDR, numberCDR *itest.CDR
		for _, c := range sw.WaitCDRs(t, 4, 15*time.Second) {
			switch {
			case c.Caller == "dialer" && c.Callee == "6003":
				agentCDR = &c
			case c.Caller == "dialer" && strings.HasSuffix(c.Callee, "13700000001"):
				numberCDR = &c
			}
		}
		if agentCDR == nil || numberCDR == nil {
			t.Fatal("an attempt's leg has no CDR")
		}
		if agentCDR.Disposition != "answered" || numberCDR.Disposition != "answered" ||
			agentCDR.Reason != "Media Timeout" && numberCDR.Reason != "Media Timeout" {
			t.Errorf("CDRs: agent %s/%q, number %s/%q; want both answered, one ended by Media Timeout",
				agentCDR.Disposition, agentCDR.Reason, numberCDR.Disposition, numberCDR.Reason)
		}
		// Not dialled again.
		time.Sleep(time.Second)
		if n := len(echo.invites(t)); n != 1 {
			t.Fatalf("the number was dialled %d times, want once", n)
		}
		waitNoActiveCalls(t, sw)
	})

	t.Run("a campaign stopped mid-dial", func(t *testing.T) {
		// The first lead rings when the campaign stops: that attempt runs
		// to its own end (the ring timeout), no other lead is dialled, and
		// none is lost — the rest stay pending, the attempt has its CDR.
		startUAS(t, sw, "uas_sdp", "6002")
		spec := strings.Replace(campaignJSON("halt", []string{"6002"}, ""), `"ring_seconds":10`, `"ring_seconds":5`, 1)
		postJSON(t, sw, "/api/v1/campaigns", spec, 201)
		postCSV(t, sw, "/api/v1/campaigns/halt/leads", "number\n13600000001\n13600000002\n13600000003\n", 200)
		postJSON(t, sw, "/api/v1/campaigns/halt/start", "", 200)
		itest.Eventually(t, 10*time.Second, "the first lead ringing", func() bool { return len(ringing.invites(t)) == 1 })
		postJSON(t, sw, "/api/v1/campaigns/halt/stop", "", 200)
		itest.Eventually(t, 15*time.Second, "the ringing attempt ended", func() bool {
			return len(campaignEvents(t, sw, "halt", "campaign.attempt_ended")) == 1
		})
		time.Sleep(2 * time.Second) // a pacing tick or two after the end
		if n := len(ringing.invites(t)); n != 1 {
			t.Fatalf("%d numbers dialled after the stop, want only the one ringing", n-1)
		}
		v := getCampaign(t, sw, "halt")
		if v.State != "stopped" || v.Counters["leads"] != 3 || v.Counters["dialed"] != 1 || v.Counters["no_answer"] != 1 {
			t.Fatalf("campaign %+v", v)
		}
		end := campaignEvents(t, sw, "halt", "campaign.attempt_ended")[0]
		var found bool
		for _, c := range sw.WaitCDRs(t, 5, 10*time.Second) {
			if c.Raw["sip_call_id"] == end["callee_call_id"] {
				found = c.Caller == "dialer" && c.Disposition != "answered"
			}
		}
		if !found {
			t.Fatalf("no unanswered CDR for the stopped campaign's attempt %v", end)
		}
		waitNoActiveCalls(t, sw)
	})
}
