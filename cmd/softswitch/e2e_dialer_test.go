//go:build e2e

// End-to-end tests of the dialer (issue 15): click-to-call through the real
// binary, with SIPp as the agent's phone and as carriers' gateways.
package main

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"softswitch/internal/itest"
	"softswitch/internal/rtppeer"
)

// c2cStatus is GET /api/v1/click-to-call/{id}.
type c2cStatus struct {
	ID      string   `json:"id"`
	Agent   string   `json:"agent"`
	Number  string   `json:"number"`
	Steps   []string `json:"steps"`
	Outcome string   `json:"outcome"`
	Code    int      `json:"code"`
	Reason  string   `json:"reason"`
	By      string   `json:"by"`
}

// clickToCall posts a request and returns the attempt's id.
func clickToCall(t *testing.T, sw *itest.Switch, agent, number string) string {
	t.Helper()
	code, body, err := sw.Do("POST", "/api/v1/click-to-call", map[string]string{"agent": agent, "number": number})
	if err != nil || code != 202 {
		t.Fatalf("POST click-to-call: %d %s %v", code, body, err)
	}
	var r struct{ ID string }
	if err := json.Unmarshal(body, &r); err != nil || r.ID == "" {
		t.Fatalf("answer %s: %v", body, err)
	}
	return r.ID
}

// waitOutcome polls the attempt until it has ended.
func waitOutcome(t *testing.T, sw *itest.Switch, id string) c2cStatus {
	t.Helper()
	var st c2cStatus
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		sw.GetJSON(t, "/api/v1/click-to-call/"+id, &st)
		if st.Outcome != "" {
			return st
		}
	}
	t.Fatalf("click-to-call %s did not end: %+v", id, st)
	return st
}

// c2cEvents returns the attempt's events from the journal, by type.
func c2cEvents(t *testing.T, sw *itest.Switch, id string) (types []string, payloads []map[string]any) {
	t.Helper()
	for _, env := range sw.Events(t) {
		if env.Aggregate != "clicktocall:"+id {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(env.Payload, &m); err != nil {
			t.Fatal(err)
		}
		types, payloads = append(types, env.Type), append(payloads, m)
	}
	return types, payloads
}

// TestE2EClickToCall: POST /api/v1/click-to-call rings the agent's phone,
// then dials the number through the carrier's trunk, then bridges them;
// each step is an event, each leg an ordinary call with its CDR billed to
// the dialer's account. A busy number ends the attempt with the carrier's
// code and hangs up the agent; bad requests are refused naming the field
// and place no call.
func TestE2EClickToCall(t *testing.T) {
	itest.RequireSIPp(t)
	gw, busy := startGateway(t, "gw_answer"), startGateway(t, "gw_code", "-key", "code", "486")
	echo := startGateway(t, "gw_answer", "-rtp_echo")
	subs := append(slices.Clone(itest.DefaultSubscribers), itest.DialerSubscriber)
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" + trunkYAML("cm-a", gw, "") + trunkYAML("cm-busy", busy, "") + trunkYAML("cm-echo", echo, "") +
		"routes:\n  - {prefix: \"86138\", trunks: [cm-a]}\n  - {prefix: \"86139\", trunks: [cm-busy]}\n  - {prefix: \"86137\", trunks: [cm-echo]}\n" +
		"dialer:\n  enabled: true\n  account: dialer\n"
	sw := itest.Start(t, itest.Options{Subscribers: subs, ExtraYAML: cfg})

	t.Run("bridged, then the agent hangs up", func(t *testing.T) {
		agent := startUAS(t, sw, "uas_sdp_bye", "6001", "-d", "3000")
		id := clickToCall(t, sw, "6001", "13800138000")
		st := waitOutcome(t, sw, id)
		want := []string{"agent_dialing", "agent_answered", "number_dialing", "number_answered", "bridged"}
		if st.Outcome != "completed" || st.By != "agent" || !slices.Equal(st.Steps, want) {
			t.Fatalf("attempt %+v, want completed by agent after %v", st, want)
		}
		if res := agent.Wait(10 * time.Second); !res.OK() {
			t.Fatalf("agent's phone: %s", res)
		}
		invs := gw.invites(t)
		if len(invs) != 1 || invs[0]["dialled"] != "8613800138000" && invs[0]["dialled"] != "13800138000" {
			t.Fatalf("gateway INVITEs %v, want one for the number", invs)
		}
		types, payloads := c2cEvents(t, sw, id)
		wantTypes := []string{"dialer.click_to_call_requested", "dialer.click_to_call_step", "dialer.click_to_call_step",
			"dialer.click_to_call_step", "dialer.click_to_call_step", "dialer.click_to_call_step", "dialer.click_to_call_ended"}
		if !slices.Equal(types, wantTypes) {
			t.Fatalf("events %v, want %v", types, wantTypes)
		}
		// The answered steps name the legs' Call-IDs: the link to their
		// CDRs, both billed to the dialer's account.
		agentCallID, numberCallID := payloads[2]["sip_call_id"], payloads[4]["sip_call_id"]
		if agentCallID == nil || numberCallID == nil || agentCallID == numberCallID {
			t.Fatalf("answered steps' Call-IDs: %v, %v", agentCallID, numberCallID)
		}
		cdrs := sw.WaitCDRs(t, 2, 10*time.Second)
		byCallID := map[any]itest.CDR{}
		for _, c := range cdrs {
			byCallID[c.Raw["sip_call_id"]] = c
		}
		for leg, cid := range map[string]any{"agent": agentCallID, "number": numberCallID} {
			c, ok := byCallID[cid]
			if !ok || c.Caller != "dialer" || c.Disposition != "answered" {
				t.Fatalf("%s leg's CDR (Call-ID %v): %+v", leg, cid, c)
			}
		}
		if rawString(byCallID[numberCallID], "trunk") != "cm-a" {
			t.Errorf("number leg went out through %q, want cm-a", rawString(byCallID[numberCallID], "trunk"))
		}
		waitNoActiveCalls(t, sw)
	})

	t.Run("RTP goes through the bridge, and DELETE hangs up", func(t *testing.T) {
		// The agent's phone answers with an SDP naming pa; the carrier's
		// gateway echoes RTP (-rtp_echo). pa's packets go through the
		// switch (agent's call), the dialer's relay, the switch again
		// (number's call) to the gateway, and its echo comes back.
		pa := rtpPeer(t, false)
		agent := mediaUAS(t, sw, "6003", int(pa.Addr().Port()), 1)
		id := clickToCall(t, sw, "6003", "13700137000")
		calls := waitAnchored(t, sw, 2)
		var toAgent netip.AddrPort
		for _, c := range calls {
			for _, ac := range activeCalls(t, sw) {
				if ac.CallID == c.CallID && ac.Callee == "6003" {
					toAgent = c.B
				}
			}
		}
		if !toAgent.IsValid() {
			t.Fatalf("no anchored call to the agent in %+v", calls)
		}
		const n = 100
		sendAll(t, send{from: pa, to: toAgent, s: rtppeer.Stream{SSRC: 0xc2c, Count: n}})
		st := waitStream(t, pa, 0xc2c, n*9/10)
		if st.Packets < n*9/10 {
			t.Fatalf("echo through the bridge: %d of %d packets back", st.Packets, n)
		}
		if code, _, err := sw.Do("DELETE", "/api/v1/click-to-call/"+id, nil); err != nil || code != 202 {
			t.Fatalf("DELETE: %d %v", code, err)
		}
		if got := waitOutcome(t, sw, id); got.Outcome != "completed" || got.By != "api" {
			t.Fatalf("attempt %+v, want completed by api", got)
		}
		mustSucceed(t, "agent's phone", agent, 1, 10*time.Second)
		waitNoActiveCalls(t, sw)
	})

	t.Run("busy number hangs up the agent", func(t *testing.T) {
		agent := startUAS(t, sw, "uas_sdp", "6002")
		id := clickToCall(t, sw, "6002", "13900139000")
		st := waitOutcome(t, sw, id)
		if st.Outcome != "number_failed" || st.Code != 486 {
			t.Fatalf("attempt %+v, want number_failed with 486", st)
		}
		if !slices.Equal(st.Steps, []string{"agent_dialing", "agent_answered", "number_dialing"}) {
			t.Fatalf("steps %v", st.Steps)
		}
		// The agent's phone got the BYE: its one call completed.
		if res := agent.Wait(10 * time.Second); !res.OK() {
			t.Fatalf("agent's phone: %s", res)
		}
		if n := len(busy.invites(t)); n != 1 {
			t.Fatalf("busy gateway got %d INVITEs, want 1", n)
		}
		waitNoActiveCalls(t, sw)
	})

	t.Run("bad requests place no call", func(t *testing.T) {
		before := len(gw.invites(t)) + len(busy.invites(t))
		for _, tc := range []struct {
			name, body, field string
		}{
			{"agent not a subscriber", `{"agent":"nobody","number":"13800138000"}`, "agent"},
			{"number not a number", `{"agent":"6001","number":"13800x"}`, "number"},
			{"unknown field", `{"agent":"6001","number":"13800138000","campaign":"x"}`, "campaign"},
			{"not JSON", `agent=6001`, "body"},
		} {
			code, body, err := sw.DoRaw("POST", "/api/v1/click-to-call", "application/json", strings.NewReader(tc.body))
			if err != nil || code != 400 || !strings.Contains(string(body), tc.field) {
				t.Errorf("%s: %d %q %v, want 400 naming %s", tc.name, code, body, err, tc.field)
			}
		}
		code, _, _ := sw.Do("GET", "/api/v1/click-to-call/no-such-attempt", nil)
		if code != 404 {
			t.Errorf("unknown attempt: %d, want 404", code)
		}
		if after := len(gw.invites(t)) + len(busy.invites(t)); after != before {
			t.Fatalf("a refused request reached a gateway")
		}
	})
}
