package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"softswitch/domain"
)

// wavFile writes content to dir/name and returns the Recording event
// that names it, as the switch records it.
func wavFile(t *testing.T, dir, name, content string) domain.Recording {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(content))
	return domain.Recording{CallID: "node1-" + name, Path: path, Bytes: int64(len(content)), DurationMs: 1000,
		SHA256: hex.EncodeToString(sum[:]), Packets: 50}
}

func TestCheckRecording(t *testing.T) {
	dir := t.TempDir()
	good := wavFile(t, dir, "good.wav", "RIFF....WAVEfmt audio")
	upper := good
	upper.SHA256 = strings.ToUpper(good.SHA256)
	missing := good
	missing.Path = filepath.Join(dir, "gone.wav")
	shorter := wavFile(t, dir, "cut.wav", "RIFF....WAVEfmt audio")
	if err := os.WriteFile(shorter.Path, []byte("RIFF....WAVE"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Same size, one byte changed: only the hash tells.
	altered := wavFile(t, dir, "altered.wav", "RIFF....WAVEfmt audio")
	if err := os.WriteFile(altered.Path, []byte("RIFF....WAVEfmt audiO"), 0o600); err != nil {
		t.Fatal(err)
	}
	noHash := good
	noHash.SHA256 = ""
	aDir := good
	aDir.Path = dir
	tests := []struct {
		name    string
		rec     domain.Recording
		problem string
		detail  string
	}{
		{"matches", good, "", ""},
		{"hash in upper case", upper, "", ""},
		{"missing", missing, "missing", "no file"},
		{"shorter", shorter, "differs", "12 bytes, the event says 21"},
		{"altered", altered, "differs", "the event says " + altered.SHA256},
		{"event without a hash", noHash, "differs", "the event says "},
		{"a directory", aDir, "unreadable", "not a regular file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			problem, detail := checkRecording(tc.rec)
			if problem != tc.problem || !strings.Contains(detail, tc.detail) {
				t.Fatalf("checkRecording = %q, %q; want %q, containing %q", problem, detail, tc.problem, tc.detail)
			}
		})
	}
}

// TestAuditVerifyRecordings: audit verify checks the file of every
// call.recording event in the range and exits non-zero naming those
// missing or altered.
func TestAuditVerifyRecordings(t *testing.T) {
	data, rec := t.TempDir(), t.TempDir()
	good := wavFile(t, rec, "good.wav", "RIFF good audio")
	altered := wavFile(t, rec, "altered.wav", "RIFF some audio")
	missing := wavFile(t, rec, "missing.wav", "RIFF lost audio")
	if err := os.WriteFile(altered.Path, []byte("RIFF SOME audio"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(missing.Path); err != nil {
		t.Fatal(err)
	}
	// Positions 1..5: a call start, then the three recordings, then a
	// digit (not a recording: not checked).
	writeJournal(t, data,
		domain.CallStarted{CallID: good.CallID, Caller: "6000", Callee: "6001"},
		good, altered, missing,
		domain.DTMF{CallID: good.CallID, Leg: "a", Digit: "1"},
	)
	verify := func(extra ...string) (string, error) {
		args := append([]string{"--config", "../../deploy/examples/softswitch.yaml", "--data", data}, extra...)
		var out bytes.Buffer
		err := cmdAuditVerify(t.Context(), args, &out)
		return out.String(), err
	}

	out, err := verify()
	if !errors.Is(err, errRecordings) {
		t.Fatalf("err %v, want errRecordings; output:\n%s", err, out)
	}
	for _, want := range []string{
		"chain intact",
		"recordings: 3 checked, 2 missing or different",
		"recording: position 3 call node1-altered.wav " + altered.Path + ": differs: sha256 ",
		"recording: position 4 call node1-missing.wav " + missing.Path + ": missing: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	out, err = verify("--json")
	if !errors.Is(err, errRecordings) {
		t.Fatalf("--json: err %v, want errRecordings", err)
	}
	var res struct {
		Recordings   recordingCheck `json:"recordings"`
		RecordingsOK *bool          `json:"recordings_ok"`
		OK           bool           `json:"ok"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	if !res.OK || res.RecordingsOK == nil || *res.RecordingsOK || res.Recordings.Checked != 3 || len(res.Recordings.Findings) != 2 ||
		res.Recordings.Findings[0].Problem != "differs" || res.Recordings.Findings[1].Problem != "missing" {
		t.Errorf("--json: %+v", res)
	}

	// The range holding only the good recording passes; so does a run
	// told not to look at recordings.
	if out, err := verify("--to", "2"); err != nil || !strings.Contains(out, "recordings: 1 checked, 0 missing or different") {
		t.Errorf("--to 2: %v\n%s", err, out)
	}
	if out, err := verify("--recordings=false"); err != nil || strings.Contains(out, "recordings:") {
		t.Errorf("--recordings=false: %v\n%s", err, out)
	}
}
