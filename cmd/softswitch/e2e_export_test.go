//go:build e2e

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"softswitch/audit/bundle"
	"softswitch/internal/itest"
)

// TestE2EExport: one answered call is exported from the running switch
// with `audit export`; `audit verify-bundle` accepts the bundle, then
// rejects it, naming the line, once one byte of events.jsonl is flipped.
func TestE2EExport(t *testing.T) {
	itest.RequireSIPp(t)
	// anchor_interval set explicitly: config does not default it yet
	// (Audit.setDefaults is not called), and the switch panics on 0.
	sw := itest.Start(t, itest.Options{ExtraYAML: "audit:\n  anchor_interval: 1m\n"})
	uas := startUAS(t, sw, "uas", callee)
	if res := call(t, sw, "uac", callee, "-d", "500"); !res.OK() {
		t.Fatalf("caller side: %s", res)
	}
	if res := uas.Wait(15 * time.Second); res.ExitCode != 0 || res.Successful != 1 {
		t.Fatalf("callee side: %s", res)
	}
	waitNoActiveCalls(t, sw)
	c := cdrFor(t, sw, callee)
	if c.CallID == "" {
		t.Fatal("CDR without call_id")
	}

	dir := filepath.Join(t.TempDir(), "bundle")
	out, err := exec.Command(sw.Bin, "audit", "export", "--config", sw.ConfigPath, "--call-id", c.CallID, "--out", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("audit export: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "cdr true") {
		t.Errorf("export did not include the CDR: %s", out)
	}
	for _, f := range []string{bundle.EventsFile, bundle.CDRFile, bundle.ManifestFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("bundle lacks %s: %v", f, err)
		}
	}
	out, err = exec.Command(sw.Bin, "audit", "verify-bundle", dir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "bundle ok: call "+c.CallID) {
		t.Fatalf("verify-bundle of a fresh bundle: %v\n%s", err, out)
	}

	// flip one byte inside the second line's id
	p := filepath.Join(dir, bundle.EventsFile)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	first := bytes.IndexByte(b, '\n')
	i := first + 1 + bytes.Index(b[first+1:], []byte(`"id":"`)) + len(`"id":"`)
	if b[i] == 'x' {
		b[i] = 'y'
	} else {
		b[i] = 'x'
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sw.Bin, "audit", "verify-bundle", dir)
	out, err = cmd.CombinedOutput()
	if err == nil || cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("verify-bundle of a tampered bundle: %v, want exit 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "events.jsonl line 2") {
		t.Errorf("verify-bundle does not name events.jsonl line 2: %s", out)
	}
}
