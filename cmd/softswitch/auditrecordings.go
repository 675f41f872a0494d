package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"softswitch/domain"
)

// recordingCheck is what audit verify found of the recordings that the
// checked range's call.recording events name. The event's SHA-256 is in
// the hash chain, so a file that still hashes to it is the audio the
// switch recorded.
type recordingCheck struct {
	Checked  int                `json:"checked"`
	Findings []recordingFinding `json:"findings,omitempty"`
}

// recordingFinding is one recording whose file does not match its event.
type recordingFinding struct {
	Position uint64 `json:"position"`
	CallID   string `json:"call_id"`
	Path     string `json:"path"`
	// Problem is missing, differs, unreadable or bad_event.
	Problem string `json:"problem"`
	Detail  string `json:"detail"`
}

func (f recordingFinding) String() string {
	return fmt.Sprintf("position %d call %s %s: %s: %s", f.Position, f.CallID, f.Path, f.Problem, f.Detail)
}

// OK is true when every recording checked matched.
func (c *recordingCheck) OK() bool { return len(c.Findings) == 0 }

// errRecordings makes verify exit 1 when a recording is missing or altered.
var errRecordings = errors.New("recordings are missing or differ from their call.recording events")

// add checks the recording env names (a call.recording envelope).
func (c *recordingCheck) add(env domain.Envelope) {
	c.Checked++
	ev, err := domain.Decode(env)
	rec, ok := ev.(domain.Recording)
	if err != nil || !ok {
		// A newer schema version, or a payload that does not decode: the
		// chain vouches for it, but this build cannot say what it names.
		c.Findings = append(c.Findings, recordingFinding{Position: env.Position, Problem: "bad_event",
			Detail: fmt.Sprintf("%s does not decode: %v", env.Type, err)})
		return
	}
	problem, detail := checkRecording(rec)
	if problem != "" {
		c.Findings = append(c.Findings, recordingFinding{Position: env.Position, CallID: rec.CallID, Path: rec.Path,
			Problem: problem, Detail: detail})
	}
}

// checkRecording recomputes the SHA-256 of the file at rec.Path (relative
// to the current directory when relative, as the switch wrote it) and
// compares it, and the size, with the event; "" when they match.
func checkRecording(rec domain.Recording) (problem, detail string) {
	f, err := os.Open(rec.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return "missing", "no file at the recorded path"
	}
	if err != nil {
		return "unreadable", err.Error()
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "unreadable", err.Error()
	}
	if !st.Mode().IsRegular() {
		return "unreadable", "not a regular file"
	}
	// A size that differs settles it without reading a long recording.
	if st.Size() != rec.Bytes {
		return "differs", fmt.Sprintf("%d bytes, the event says %d", st.Size(), rec.Bytes)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unreadable", err.Error()
	}
	if sum := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(sum, rec.SHA256) {
		return "differs", fmt.Sprintf("sha256 %s, the event says %s", sum, rec.SHA256)
	}
	return "", ""
}
