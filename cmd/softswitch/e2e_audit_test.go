//go:build e2e

// End-to-end tests of the audit tools (issue 6).
package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"softswitch/internal/itest"
)

// TestE2EAuditRebuild: replaying the log into a scratch store matches the
// live CDRs in ClickHouse; a CDR changed behind the switch's back is
// reported, and the command fails.
func TestE2EAuditRebuild(t *testing.T) {
	itest.RequireSIPp(t)
	c := newCluster(t)
	sw := itest.Start(t, itest.Options{ExtraYAML: "clickhouse:\n  dsn: " + strconv.Quote(c.dsn) + "\n"})
	for i := range 2 {
		uas := startUAS(t, sw, "uas", callee)
		if res := call(t, sw, "uac", callee); !res.OK() {
			t.Fatalf("call %d: %s", i, res)
		}
		uas.Wait(10 * time.Second)
	}
	itest.Eventually(t, 60*time.Second, "2 CDRs in ClickHouse", func() bool {
		rows := itest.ClickHouseQuery(t, "SELECT count() FROM "+c.db+".cdr FINAL")
		return len(rows) == 1 && rows[0] == "2"
	})
	audit := func() (report struct {
		Rebuilt     int `json:"rebuilt"`
		Live        int `json:"live"`
		Differences []struct {
			Kind string `json:"kind"`
			ID   string `json:"id"`
		} `json:"differences"`
	}, failed bool) {
		out, err := exec.Command(sw.Bin, "audit", "rebuild", "--config", sw.ConfigPath, "--json").Output()
		if err := json.Unmarshal(out, &report); err != nil {
			t.Fatalf("audit rebuild --json: %v\n%s", err, out)
		}
		return report, err != nil
	}
	rep, failed := audit()
	if failed || rep.Rebuilt != 2 || rep.Live != 2 || len(rep.Differences) != 0 {
		t.Fatalf("healthy system: rebuilt %d live %d differences %v (failed %v), want 2, 2, none", rep.Rebuilt, rep.Live, rep.Differences, failed)
	}

	// Plant a change: one CDR's billable seconds edited in the store.
	id := itest.ClickHouseQuery(t, "SELECT id FROM "+c.db+".cdr FINAL ORDER BY id LIMIT 1")[0]
	itest.ClickHouseQuery(t, "ALTER TABLE "+c.db+".cdr UPDATE billable_s = 999 WHERE id = '"+id+"'")
	itest.Eventually(t, 30*time.Second, "the planted change applied", func() bool {
		rows := itest.ClickHouseQuery(t, "SELECT billable_s FROM "+c.db+".cdr FINAL WHERE id = '"+id+"'")
		return len(rows) == 1 && rows[0] == "999"
	})
	rep, failed = audit()
	if !failed || len(rep.Differences) != 1 || rep.Differences[0].ID != id || rep.Differences[0].Kind != "different" {
		t.Fatalf("after a planted change: differences %+v (failed %v), want exactly %s reported as different", rep.Differences, failed, id)
	}
}

// TestE2EAuditState: the registrations and balances as they were at an
// instant, rebuilt from the log.
func TestE2EAuditState(t *testing.T) {
	itest.RequireSIPp(t)
	sw := itest.Start(t, itest.Options{ExtraYAML: "accounts:\n  - {user: \"6000\", prepaid: true, balance: \"1.50\"}\n"})
	mustRegister(t, sw, "6003", "127.0.0.1:5073", 600)
	time.Sleep(20 * time.Millisecond)
	registered := time.Now().UTC()
	time.Sleep(1100 * time.Millisecond) // RFC 3339 has whole seconds
	if res := register(t, sw, "unregister", "6003", password, "127.0.0.1:5073", 0); !res.OK() {
		t.Fatalf("unregister: %s", res)
	}
	state := func(at time.Time) string {
		out, err := exec.Command(sw.Bin, "audit", "state", "--config", sw.ConfigPath, "--at", at.Add(time.Second).Truncate(time.Second).Format(time.RFC3339)).Output()
		if err != nil {
			t.Fatalf("audit state: %v\n%s", err, out)
		}
		return string(out)
	}
	then := state(registered)
	if !strings.Contains(then, `"aor": "6003"`) || !strings.Contains(then, `"balance": "1.50"`) {
		t.Errorf("state while 6003 was registered lacks it or the balance:\n%s", then)
	}
	if now := state(time.Now().Add(time.Second)); strings.Contains(now, `"aor": "6003"`) {
		t.Errorf("state after the unregistration still has 6003:\n%s", now)
	}
}

// TestE2EAuditVerify: the journal's hash chain verifies after real calls,
// and one byte changed in a stopped switch's journal is caught, with the
// position named.
func TestE2EAuditVerify(t *testing.T) {
	itest.RequireSIPp(t)
	sw := itest.Start(t, itest.Options{})
	uas := startUAS(t, sw, "uas", callee)
	if res := call(t, sw, "uac", callee); !res.OK() {
		t.Fatalf("call: %s", res)
	}
	uas.Wait(10 * time.Second)
	if err := sw.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	verify := func() (string, error) {
		out, err := exec.Command(sw.Bin, "audit", "verify", "--config", sw.ConfigPath).CombinedOutput()
		return string(out), err
	}
	// A stopped switch leaves every segment indexed, and each sidecar is
	// rebuilt from its records and found equal.
	if out, err := verify(); err != nil || !regexp.MustCompile(`index: +[1-9]\d* sidecars match their segments, 0 missing`).MatchString(out) {
		t.Fatalf("intact journal: %v\n%s", err, out)
	}
	segs, err := filepath.Glob(filepath.Join(sw.DataDir, "journal", "*.seg"))
	if err != nil || len(segs) == 0 {
		t.Fatalf("journal segments: %v %v", segs, err)
	}
	b, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	// A byte well inside the records (past the segment header), in the
	// middle of the journal.
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(segs[0], b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := verify()
	if err == nil || !strings.Contains(out, "chain broken at position") {
		t.Fatalf("a flipped byte: %v\n%s, want exit 1 naming the position", err, out)
	}
}

// TestE2EAuditAnchors: the switch anchors its journal's chain head
// periodically; exported anchors verify against the log, and an anchor the
// log does not match is reported.
func TestE2EAuditAnchors(t *testing.T) {
	itest.RequireSIPp(t)
	sw := itest.Start(t, itest.Options{ExtraYAML: "audit: {anchor_interval: 300ms}\n"})
	uas := startUAS(t, sw, "uas", callee)
	if res := call(t, sw, "uac", callee); !res.OK() {
		t.Fatalf("call: %s", res)
	}
	uas.Wait(10 * time.Second)
	anchors := filepath.Join(sw.DataDir, "anchors.jsonl")
	itest.Eventually(t, 10*time.Second, "two anchors written", func() bool {
		b, _ := os.ReadFile(anchors)
		return strings.Count(string(b), "\n") >= 2
	})
	if err := sw.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	exported := filepath.Join(t.TempDir(), "notary.jsonl")
	b, _ := os.ReadFile(anchors)
	if err := os.WriteFile(exported, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sw.Bin, "audit", "verify", "--config", sw.ConfigPath, "--anchors", exported).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "matched") {
		t.Fatalf("verify against the exported anchors: %v\n%s", err, out)
	}
	// An anchor whose chain value the log does not hold.
	lines := strings.SplitN(string(b), "\n", 2)
	lines[0] = strings.Replace(lines[0], `"chain":"`, `"chain":"f`, 1)
	if err := os.WriteFile(exported, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(sw.Bin, "audit", "verify", "--config", sw.ConfigPath, "--anchors", exported).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "does not match the log") {
		t.Fatalf("a forged anchor: %v\n%s, want a mismatch", err, out)
	}
}

// TestE2ECaptureFull: with audit.capture: full the transactions keep the
// whole SIP messages and replay prints them.
func TestE2ECaptureFull(t *testing.T) {
	itest.RequireSIPp(t)
	sw := itest.Start(t, itest.Options{ExtraYAML: "audit: {capture: full}\n"})
	uas := startUAS(t, sw, "uas", callee)
	if res := call(t, sw, "uac", callee); !res.OK() {
		t.Fatalf("call: %s", res)
	}
	uas.Wait(10 * time.Second)
	cdrs := sw.WaitCDRs(t, 1, 10*time.Second)
	out, err := exec.Command(sw.Bin, "replay", "--config", sw.ConfigPath, "--call-id", cdrs[0].CallID).CombinedOutput()
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, out)
	}
	for _, want := range []string{"SIP messages (audit.capture: full)", "| INVITE sip:", "| SIP/2.0 200 OK", "| Call-ID:"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("replay lacks %q:\n%s", want, out)
		}
	}
}
