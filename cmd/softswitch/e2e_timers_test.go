//go:build e2e

// End-to-end tests of RFC 4028 session timers (issue 11): the switch
// refreshes both legs, finds a vanished party, and bills to its last
// proof of life.
package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/internal/itest"
)

// labTimers is a lab session interval: refreshes every 2 s.
var labTimers = itest.Options{SessionExpires: 4 * time.Second, MinSE: 2 * time.Second}

// sipCallEvents returns the decoded events of the one call of the switch
// whose A-leg Call-ID is sipCallID.
func sipCallEvents(t *testing.T, sw *itest.Switch, sipCallID string) []domain.Envelope {
	t.Helper()
	all := sw.Events(t)
	id := ""
	for _, env := range all {
		if env.Type == domain.TypeCallStarted {
			var e domain.CallStarted
			if json.Unmarshal(env.Payload, &e) == nil && e.SIPCallID == sipCallID {
				id = e.CallID
			}
		}
	}
	if id == "" {
		t.Fatalf("no call with SIP Call-ID %s", sipCallID)
	}
	var out []domain.Envelope
	for _, env := range all {
		if env.Aggregate == domain.CallKey(id) {
			out = append(out, env)
		}
	}
	return out
}

// refreshes returns the session refreshes the switch sent on a leg: the
// re-INVITEs and UPDATEs after the leg's first INVITE.
func refreshes(t *testing.T, envs []domain.Envelope, leg string) []domain.SIPTransaction {
	t.Helper()
	var out []domain.SIPTransaction
	invites := 0
	for _, env := range envs {
		if env.Type != domain.TypeSIPTransaction {
			continue
		}
		var tx domain.SIPTransaction
		if err := json.Unmarshal(env.Payload, &tx); err != nil {
			t.Fatal(err)
		}
		if tx.Leg != leg || tx.Direction != domain.DirOut {
			continue
		}
		if tx.Method == "INVITE" && invites == 0 && leg != domain.SideA {
			invites++ // the B-leg's own INVITE
			continue
		}
		if tx.Method == "INVITE" || tx.Method == "UPDATE" {
			out = append(out, tx)
		}
	}
	return out
}

func dialogOf(t *testing.T, envs []domain.Envelope, leg string) *domain.Dialog {
	t.Helper()
	for _, env := range envs {
		if env.Type == domain.TypeLegAnswered {
			var e domain.LegAnswered
			if json.Unmarshal(env.Payload, &e) == nil && e.Leg == leg {
				return e.Dialog
			}
		}
	}
	t.Fatalf("leg %s has no recorded dialog", leg)
	return nil
}

// TestE2ESessionTimerDeadCallee: a gateway that vanishes mid-call stops
// answering the switch's refreshes; the call ends within the interval
// plus the transaction timeout, the caller gets a BYE, and the CDR bills
// to the last refresh the gateway answered.
func TestE2ESessionTimerDeadCallee(t *testing.T) {
	itest.RequireSIPp(t)
	gw := startGateway(t, "gw_answer", "-m", "1")
	sw := trunkSwitch(t, gw, labTimers)
	uac := itest.StartSIPp(t, "uac_timer", "-m", "1", "-s", "13800138000", "-key", "caller", caller, "-au", caller, "-ap", password,
		"-cid_str", "dead-callee@x", sw.SIPAddr)
	time.Sleep(5 * time.Second) // refreshes at 2 s and 4 s answered
	gw.Kill()
	killed := time.Now()
	if res := uac.Wait(30 * time.Second); !res.OK() {
		t.Fatalf("the caller was not released with a BYE: %s", res)
	}
	if took := time.Since(killed); took > 4*time.Second+32*time.Second {
		t.Errorf("the call ended %s after the callee vanished, want within the interval plus the transaction timeout", took)
	}
	c := sw.WaitCDRs(t, 1, 10*time.Second)[0]
	envs := sipCallEvents(t, sw, "dead-callee@x")
	b := refreshes(t, envs, "b1")
	var lastOK time.Time
	for _, r := range b {
		if r.Code == 200 {
			lastOK = r.Started.Add(r.Duration)
		}
	}
	if len(b) < 3 || lastOK.IsZero() || b[len(b)-1].Code != 408 || b[len(b)-1].Method != "INVITE" {
		t.Fatalf("B-leg refreshes %+v, want re-INVITEs answered 200, the last one 408", b)
	}
	if c.Reason != "Session Expired" || c.SIPCode != 408 || c.Disposition != domain.DispositionAnswered {
		t.Errorf("CDR %d %q %s, want 408 Session Expired, answered", c.SIPCode, c.Reason, c.Disposition)
	}
	if !c.End.Equal(lastOK.Truncate(time.Millisecond)) || c.End.After(killed) {
		t.Errorf("CDR ends %v, want the last answered refresh %v (before the kill at %v)", c.End, lastOK, killed)
	}
	// Both legs were sent a BYE: the dead callee's went unanswered.
	byes := map[string]int{}
	for _, env := range envs {
		var tx domain.SIPTransaction
		if env.Type == domain.TypeSIPTransaction && json.Unmarshal(env.Payload, &tx) == nil && tx.Method == "BYE" && tx.Direction == domain.DirOut {
			byes[tx.Leg] = tx.Code
		}
	}
	if byes["a"] != 200 || byes["b1"] != 408 {
		t.Errorf("BYEs sent %v, want a: 200 and b1: 408 (no answer)", byes)
	}
	// The caller allowed UPDATE: it was refreshed without SDP.
	if a := refreshes(t, envs, domain.SideA); len(a) < 2 || a[0].Method != "UPDATE" || a[0].Code != 200 {
		t.Errorf("A-leg refreshes %+v, want UPDATEs answered 200", a)
	}
}

// TestE2ESessionTimerNegotiation: a gateway that asks for a shorter
// interval gets it; one that takes the refresher role and never
// refreshes is dropped; one without timer support is refreshed anyway.
func TestE2ESessionTimerNegotiation(t *testing.T) {
	itest.RequireSIPp(t)
	tests := []struct {
		name     string
		scenario string
		args     []string
		hold     time.Duration
		interval int
		refresh  string
		ends     string // "": the caller hangs up
	}{
		{"shorter interval", "gw_timer", []string{"-key", "se", "3;refresher=uac"}, 5 * time.Second, 3, domain.RefresherSwitch, ""},
		{"no timer support", "gw_answer", nil, 5 * time.Second, 4, domain.RefresherSwitch, ""},
		{"refresher that never refreshes", "gw_timer", []string{"-key", "se", "3;refresher=uas"}, 0, 3, domain.RefresherPeer, "Session Expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := startGateway(t, tt.scenario, append([]string{"-m", "1"}, tt.args...)...)
			opts := labTimers
			if tt.hold > 0 {
				// The caller answers refreshes and waits: the switch ends
				// the call at max_call_duration.
				opts.MaxCallDuration = tt.hold
			}
			sw := trunkSwitch(t, gw, opts)
			res := callNumber(t, sw, "uac_timer", "13800138000", "-cid_str", "neg@x")
			if !res.OK() {
				t.Fatalf("call: %s", res)
			}
			c := sw.WaitCDRs(t, 1, 10*time.Second)[0]
			envs := sipCallEvents(t, sw, "neg@x")
			d := dialogOf(t, envs, "b1")
			if d.SessionExpires != tt.interval || d.Refresher != tt.refresh {
				t.Errorf("B-leg timer %d s %s, want %d s %s", d.SessionExpires, d.Refresher, tt.interval, tt.refresh)
			}
			b := refreshes(t, envs, "b1")
			if tt.ends != "" {
				if c.Reason != tt.ends || len(b) != 0 {
					t.Errorf("CDR reason %q after %d refreshes, want %q and none sent", c.Reason, len(b), tt.ends)
				}
				// RFC 4028 §10: give up min(32, 3/3) = 1 s before expiry,
				// billed to the answer (no refresh ever came).
				if got := c.End.Sub(*c.Answer); got != 0 || c.BillableS != 0 {
					t.Errorf("billed %s (%d s), want nothing past the answer", got, c.BillableS)
				}
				return
			}
			if want := int(tt.hold/time.Second) * 2 / tt.interval; len(b) < want {
				t.Errorf("%d B-leg refreshes in %s at %d s, want %d: %+v", len(b), tt.hold, tt.interval, want, b)
			}
			for _, r := range b {
				if r.Method != "INVITE" || r.Code != 200 {
					t.Errorf("refresh %s answered %d, want re-INVITE 200", r.Method, r.Code)
				}
			}
			if c.Reason != "Maximum Duration" {
				t.Errorf("CDR reason %q, want Maximum Duration: no refresh failed", c.Reason)
			}
		})
	}
}

// TestE2ESessionTimerRefused: a caller asking for less than Min-SE gets 422
// with the switch's Min-SE; a Session-Expires that does not parse gets 400
// and is counted; neither becomes a call.
func TestE2ESessionTimerRefused(t *testing.T) {
	itest.RequireSIPp(t)
	gw := startGateway(t, "gw_answer")
	sw := trunkSwitch(t, gw, labTimers)
	log := filepath.Join(t.TempDir(), "uac.log")
	if res := callNumber(t, sw, "uac_timer_422", "13800138000", "-key", "se", "1", "-trace_logs", "-log_file", log); !res.OK() {
		t.Fatalf("Session-Expires: 1: %s", res)
	}
	if b, _ := os.ReadFile(log); !strings.Contains(string(b), "min_se=2") {
		t.Errorf("422 Min-SE: log %q, want min_se=2", b)
	}
	malformed := metric(t, sw, "softswitch_sip_malformed_total")
	for _, bad := range []string{"soon", "-30", "99999999999999999999", "60;refresher=me"} {
		if res := callNumber(t, sw, "uac_timer_400", "13800138000", "-key", "se", bad); !res.OK() {
			t.Errorf("Session-Expires: %s: %s", bad, res)
		}
	}
	if got := metric(t, sw, "softswitch_sip_malformed_total") - malformed; got != 4 {
		t.Errorf("malformed counter moved by %v, want 4", got)
	}
	if n := len(gw.invites(t)); n != 0 {
		t.Errorf("the gateway got %d INVITEs, want none", n)
	}
	if cdrs := sw.CDRList(t); len(cdrs) != 0 {
		t.Errorf("%d CDRs, want none: no call started", len(cdrs))
	}
}
