//go:build e2e

// End-to-end tests of call identity and dialog matching (issue 11): the
// switch's own call ids, whatever Call-IDs the endpoints reuse, and
// in-dialog requests matched on Call-ID and both tags.
package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/internal/itest"
)

// trunkSwitch starts a switch routing 86 numbers to one gateway trunk;
// opts.ExtraYAML is appended to the interconnect.
func trunkSwitch(t *testing.T, gw gateway, opts itest.Options) *itest.Switch {
	t.Helper()
	opts.ExtraYAML = "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" + trunkYAML("cm-a", gw, "") +
		"routes:\n  - {prefix: \"86\", trunks: [cm-a]}\n" + opts.ExtraYAML
	return itest.Start(t, opts)
}

// auditRebuildClean runs `audit rebuild --json` and fails on any
// difference between the CDRs rebuilt from the log and the live store.
func auditRebuildClean(t *testing.T, sw *itest.Switch, want int) {
	t.Helper()
	out, err := exec.Command(sw.Bin, "audit", "rebuild", "--config", sw.ConfigPath, "--json").Output()
	var rep struct {
		Rebuilt     int `json:"rebuilt"`
		Live        int `json:"live"`
		Differences []json.RawMessage
	}
	if jerr := json.Unmarshal(out, &rep); jerr != nil || err != nil || rep.Rebuilt != want || rep.Live != want || len(rep.Differences) != 0 {
		t.Fatalf("audit rebuild: %v %v: rebuilt %d live %d differences %s; want %d, %d, none\n%s", err, jerr, rep.Rebuilt, rep.Live, rep.Differences, want, want, out)
	}
}

// TestE2ECallIDReuse: calls that reuse one SIP Call-ID, one after the other
// and two at once (other From tags), are separate calls with their own
// ids, starts and durations; the trunk counts both concurrent calls; and
// the log rebuilds exactly the live CDRs.
func TestE2ECallIDReuse(t *testing.T) {
	itest.RequireSIPp(t)
	gw := startGateway(t, "gw_answer")
	sw := trunkSwitch(t, gw, itest.Options{})
	const number = "13800138000"

	t.Run("sequential", func(t *testing.T) {
		for i := range 3 {
			if res := callNumber(t, sw, "uac", number, "-cid_str", "fixed@x", "-d", itoa(1000*(i+1))); !res.OK() {
				t.Fatalf("call %d: %s", i, res)
			}
		}
		cdrs := sw.WaitCDRs(t, 3, 15*time.Second)
		sort.Slice(cdrs, func(i, j int) bool { return cdrs[i].Start.Before(cdrs[j].Start) })
		ids := map[string]bool{}
		for i, c := range cdrs {
			if c.SIPCallID != "fixed@x" || c.CallID == "fixed@x" || ids[c.ID] || ids[c.CallID] {
				t.Errorf("CDR %d: id %s call_id %s sip_call_id %s; want the switch's own distinct ids, the reused Call-ID as an attribute", i, c.ID, c.CallID, c.SIPCallID)
			}
			ids[c.ID], ids[c.CallID] = true, true
			talkedFor(t, c, time.Duration(i+1)*time.Second)
			if i > 0 && !c.Start.After(cdrs[i-1].End) {
				t.Errorf("CDR %d starts %v, not after the previous call's end %v", i, c.Start, cdrs[i-1].End)
			}
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		// Two SIPp processes: two From tags ([pid]), one Call-ID.
		var uacs []*itest.SIPp
		for range 2 {
			uacs = append(uacs, itest.StartSIPp(t, "uac", "-m", "1", "-s", number, "-key", "caller", caller, "-au", caller, "-ap", password,
				"-cid_str", "both@x", "-d", "3000", sw.SIPAddr))
		}
		itest.Eventually(t, 5*time.Second, "both calls up", func() bool {
			n := 0
			for _, c := range sw.ActiveCalls(t) {
				if c["sip_call_id"] == "both@x" && c["answered"] != nil {
					n++
				}
			}
			return n == 2
		})
		var ic struct {
			Status []struct {
				Trunk    string `json:"trunk"`
				Channels int    `json:"channels"`
			} `json:"status"`
		}
		sw.GetJSON(t, "/api/v1/interconnect", &ic)
		if len(ic.Status) != 1 || ic.Status[0].Trunk != "cm-a" || ic.Status[0].Channels != 2 {
			t.Errorf("trunk status %+v, want cm-a with 2 channels in use", ic.Status)
		}
		for i, u := range uacs {
			if res := u.Wait(15 * time.Second); !res.OK() {
				t.Fatalf("concurrent call %d: %s", i, res)
			}
		}
		cdrs := sw.WaitCDRs(t, 5, 15*time.Second)
		n := 0
		for _, c := range cdrs {
			if c.SIPCallID == "both@x" {
				n++
				if c.Disposition != domain.DispositionAnswered {
					t.Errorf("concurrent CDR %s: %s, want answered", c.CallID, c.Disposition)
				}
				talkedFor(t, c, 3*time.Second)
			}
		}
		if n != 2 {
			t.Fatalf("%d CDRs for Call-ID both@x, want 2", n)
		}
	})
	auditRebuildClean(t, sw, 5)
	out, err := exec.Command(sw.Bin, "calls", "search", "--config", sw.ConfigPath, "--sip-call-id", "fixed@x").CombinedOutput()
	if err != nil || strings.Count(string(out), "fixed@x") != 3 {
		t.Errorf("calls search --sip-call-id fixed@x: %v\n%s\nwant the 3 calls", err, out)
	}
}

// talkedFor checks a CDR's answered time is what the caller held the call
// for (SIPp's pause), plus at most the messages' way on loopback.
func talkedFor(t *testing.T, c itest.CDR, d time.Duration) {
	t.Helper()
	if c.Answer == nil {
		t.Errorf("CDR %s not answered", c.CallID)
		return
	}
	if got := c.End.Sub(*c.Answer); got < d || got > d+500*time.Millisecond {
		t.Errorf("CDR %s talked %s, want %s (+ up to 500 ms)", c.CallID, got, d)
	}
	if want := int64((c.End.Sub(*c.Answer) + time.Second - time.Millisecond) / time.Second); c.BillableS != want {
		t.Errorf("CDR %s billable %d s, want %d", c.CallID, c.BillableS, want)
	}
}

// TestE2EForgedInDialog: requests with the call's Call-ID but a wrong tag
// get 481 (an ACK: nothing) and leave the call and its CDR untouched.
func TestE2EForgedInDialog(t *testing.T) {
	itest.RequireSIPp(t)
	gw := startGateway(t, "gw_answer")
	sw := trunkSwitch(t, gw, itest.Options{})
	uac := itest.StartSIPp(t, "uac", "-m", "1", "-s", "13800138000", "-key", "caller", caller, "-au", caller, "-ap", password,
		"-cid_str", "victim@x", "-d", "4000", sw.SIPAddr)
	// The A-leg's real tags, from the dialog the switch recorded.
	var switchTag, callerTag string
	itest.Eventually(t, 5*time.Second, "the call answered", func() bool {
		for _, env := range sw.Events(t) {
			if env.Type != domain.TypeLegAnswered {
				continue
			}
			var e domain.LegAnswered
			if json.Unmarshal(env.Payload, &e) == nil && e.Leg == domain.SideA && e.Dialog != nil && e.Dialog.CallID == "victim@x" {
				switchTag, callerTag = e.Dialog.LocalTag, e.Dialog.RemoteTag
				return true
			}
		}
		return false
	})
	before := metric(t, sw, "softswitch_sip_stray_in_dialog_total")
	u := newRawUA(t, sw)
	forge := func(method, toTag, fromTag string) string {
		branch := "z9hG4bK-forged-" + randHex(6)
		u.send(fmt.Sprintf("%s sip:13800138000@%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport\r\nMax-Forwards: 70\r\n"+
			"From: <sip:%s@127.0.0.1>;tag=%s\r\nTo: <sip:13800138000@127.0.0.1>;tag=%s\r\nCall-ID: victim@x\r\nCSeq: 99 %s\r\n"+
			"Contact: <sip:%s@127.0.0.1:%d>\r\nContent-Length: 0\r\n\r\n", method, sw.SIPAddr, u.port, branch, caller, fromTag, toTag, method, caller, u.port))
		return branch
	}
	for _, tt := range []struct{ name, method, to, from string }{
		{"BYE, wrong To tag", "BYE", "guessed", callerTag},
		{"BYE, wrong From tag", "BYE", switchTag, "forged"},
		{"BYE, tags swapped", "BYE", callerTag, switchTag},
		{"re-INVITE, wrong From tag", "INVITE", switchTag, "forged"},
		{"UPDATE, wrong To tag", "UPDATE", "guessed", callerTag},
	} {
		if code := statusCode(u.mustFinal(forge(tt.method, tt.to, tt.from))); code != 481 {
			t.Errorf("%s: answered %d, want 481", tt.name, code)
		}
	}
	ack := forge("ACK", "guessed", callerTag)
	if res, err := u.final(ack, time.Second); err == nil {
		t.Errorf("a forged ACK was answered: %s", res)
	}
	if got := metric(t, sw, "softswitch_sip_stray_in_dialog_total") - before; got != 6 {
		t.Errorf("stray in-dialog counter moved by %v, want 6", got)
	}
	if res := uac.Wait(15 * time.Second); !res.OK() {
		t.Fatalf("the call did not survive the forged requests: %s", res)
	}
	c := sw.WaitCDRs(t, 1, 10*time.Second)[0]
	if c.Reason != "Normal Clearing" || c.EndedBy != domain.ByCaller {
		t.Fatalf("CDR reason %q by %s; want Normal Clearing by the caller", c.Reason, c.EndedBy)
	}
	talkedFor(t, c, 4*time.Second)
}
