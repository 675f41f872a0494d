//go:build e2e

package main

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// TestE2EReplayStopped: once the switch has stopped, replay reads the call
// from its journal through the aggregate index (the sidecar the journal
// wrote at Close) and prints the same ladder and the same envelopes as it
// did from the running switch.
func TestE2EReplayStopped(t *testing.T) {
	sw, c := failoverCall(t)
	replay := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(sw.Bin, append([]string{"replay", "--config", sw.ConfigPath, "--call-id", c.CallID}, args...)...).Output()
		if err != nil {
			t.Fatalf("replay %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	running, runningJSON := replay(), replay("--json")
	if err := sw.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if cars, _ := filepath.Glob(filepath.Join(sw.DataDir, "journal", "*.seg.aidx")); len(cars) == 0 {
		t.Error("the stopped journal has no aggregate index")
	}
	if stopped := replay(); stopped != running {
		t.Errorf("replay differs once stopped:\nrunning:\n%s\nstopped:\n%s", running, stopped)
	}
	if stoppedJSON := replay("--json"); stoppedJSON != runningJSON {
		t.Errorf("replay --json differs once stopped:\nrunning:\n%s\nstopped:\n%s", runningJSON, stoppedJSON)
	}
}
