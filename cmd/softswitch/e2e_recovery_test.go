//go:build e2e

// End-to-end test of crash recovery (issue 11): after kill -9 and a
// restart, every leg the crashed run had confirmed gets a BYE, and the
// CDR bills to the last proof of life before the crash.
package main

import (
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/internal/itest"
)

// TestE2EKillNineTellsTheSurvivors: a call answered through a trunk, the
// switch killed with SIGKILL mid-call and started again: the caller and
// the gateway both receive a BYE (their scenarios end only on one), and
// the CDR says the node restarted and ends within a heartbeat of the
// kill, not at the call's last event nor at the restart.
func TestE2EKillNineTellsTheSurvivors(t *testing.T) {
	itest.RequireSIPp(t)
	gw := startGateway(t, "gw_answer", "-m", "1")
	sw := trunkSwitch(t, gw, itest.Options{})
	uac := itest.StartSIPp(t, "uac_timer", "-m", "1", "-s", "13800138000", "-key", "caller", caller, "-au", caller, "-ap", password,
		"-cid_str", "crash@x", sw.SIPAddr)
	var answered time.Time
	itest.Eventually(t, 5*time.Second, "the call answered", func() bool {
		for _, c := range sw.ActiveCalls(t) {
			if s, _ := c["answered"].(string); s != "" {
				answered, _ = time.Parse(time.RFC3339Nano, s)
				return true
			}
		}
		return false
	})
	time.Sleep(3500 * time.Millisecond)
	killed := time.Now()
	sw.Kill()
	time.Sleep(2 * time.Second) // the outage: not billed
	sw.Restart(false)
	if res := uac.Wait(15 * time.Second); !res.OK() {
		t.Fatalf("the caller got no BYE after the restart: %s", res)
	}
	if res := gw.Wait(15 * time.Second); !res.OK() {
		t.Fatalf("the gateway got no BYE after the restart: %s", res)
	}
	c := sw.WaitCDRs(t, 1, 10*time.Second)[0]
	if c.Reason != "Node Restarted" || c.SIPCode != 500 || c.Disposition != domain.DispositionAnswered || c.EndedBy != domain.BySwitch {
		t.Errorf("CDR %d %q %s by %s, want 500 Node Restarted, answered, by the switch", c.SIPCode, c.Reason, c.Disposition, c.EndedBy)
	}
	// Billed to the last heartbeat before the kill (1 s apart).
	if c.End.After(killed) || c.End.Before(killed.Add(-1500*time.Millisecond)) {
		t.Errorf("CDR ends %v, want within 1.5 s before the kill at %v", c.End, killed)
	}
	if got := c.End.Sub(answered); got < 2*time.Second {
		t.Errorf("billed %s of a call up %s before the crash", got, killed.Sub(answered))
	}
	if n := metric(t, sw, "softswitch_orphan_calls_closed_total"); n != 1 {
		t.Errorf("orphans closed %v, want 1", n)
	}
	auditRebuildClean(t, sw, 1)
}
