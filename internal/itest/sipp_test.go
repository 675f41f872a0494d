package itest

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestSIPpHarness checks the harness itself SIPp-to-SIPp (no switch): a UAS
// from deploy/sipp answers a UAC from deploy/sipp, and the statistics,
// message log and exit code come back parsed. Skips without sipp.
func TestSIPpHarness(t *testing.T) {
	RequireSIPp(t)
	uas := StartSIPp(t, "uas", "-m", "1")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res := RunSIPp(t, ctx, "uac_reinvite", "-m", "1", "-s", "6001", "-key", "caller", "6000",
		"-au", "6000", "-ap", "1234", "-d", "100", uas.Addr)
	if !res.OK() || res.Successful != 1 {
		t.Fatalf("uac: %s", res)
	}
	ures := uas.Wait(10 * time.Second)
	if ures.ExitCode != 0 || ures.Successful != 1 || ures.Failed != 0 {
		t.Fatalf("uas: %s", ures)
	}
	if !strings.Contains(ures.Messages(), "a=sendonly") {
		t.Fatalf("uas did not see the re-INVITE's a=sendonly")
	}
}

// TestSIPpTimeout checks that a run that cannot finish is bounded and
// reported as a failure, not a hang: a UAC calling a port where nobody answers.
func TestSIPpTimeout(t *testing.T) {
	RequireSIPp(t)
	dead, err := FreeUDPPort()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	res := RunSIPp(t, ctx, "uac", "-m", "1", "-s", "6001", "-key", "caller", "6000",
		"-au", "6000", "-ap", "1234", "127.0.0.1:"+itoa(dead))
	if el := time.Since(start); el > 8*time.Second {
		t.Fatalf("bounded run took %s", el)
	}
	if res.OK() {
		t.Fatalf("expected a failure, got %s", res)
	}
}

func TestParseStatsScreen(t *testing.T) {
	screen := `  Successful call        |        0                  |        3
  Failed call            |        1                  |        2   `
	ok, failed := parseStats("/nonexistent", screen)
	if ok != 3 || failed != 2 {
		t.Fatalf("got %d/%d", ok, failed)
	}
}
