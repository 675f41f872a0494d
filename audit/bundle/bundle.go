// Package bundle writes and verifies a self-contained export of one call:
// its event envelopes as JSON lines, its CDR when there is one, and a
// manifest that lets a third party check the files without access to the
// switch (docs/audit.md, "Export a call").
//
// What a bundle proves: that the files are exactly what was exported —
// no byte changed, no line dropped, added or reordered, no file swapped —
// provided the manifest's digest is trusted (published, signed or sent
// through another channel). It does not prove that the export itself is
// complete or matches the log: each event carries its journal position,
// but linking the bundle to the journal's own hash chain (docs/journal.md)
// or to an external anchor is future work.
package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"softswitch/domain"
)

// Format names the bundle layout; Verify refuses any other.
const Format = "softswitch-bundle/1"

// File names inside a bundle directory.
const (
	EventsFile   = "events.jsonl"
	CDRFile      = "cdr.json"
	ManifestFile = "manifest.json"
)

// Manifest describes a bundle. Its JSON form is manifest.json.
type Manifest struct {
	Format    string    `json:"format"`
	CallID    string    `json:"call_id"`
	CreatedAt time.Time `json:"created_at"`
	Files     []File    `json:"files"`
	Events    []Event   `json:"events"`
	Chain     Chain     `json:"chain"`
	// Digest is the SHA-256 (hex) of the canonical manifest: this struct
	// encoded by encoding/json, compact, with Digest empty (so omitted).
	Digest string `json:"digest,omitempty"`
}

// File is one data file of the bundle (never manifest.json itself).
type File struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
	Lines  int    `json:"lines"`
}

// Event is one line of events.jsonl.
type Event struct {
	Seq  uint64 `json:"seq"`
	ID   string `json:"id"`
	Type string `json:"type"`
	// Position is the envelope's position in the journal, when known.
	Position uint64 `json:"position,omitempty"`
	// SHA256 is the hash of the line without its newline.
	SHA256 string `json:"sha256"`
}

// Chain is a hash chain over the lines of events.jsonl:
// h_0 = 32 zero bytes, h_i = SHA-256(h_{i-1} || line_i) (line without its
// newline); Head is h_n in hex.
type Chain struct {
	Algorithm string `json:"algorithm"`
	Head      string `json:"head"`
}

// ChainAlgorithm describes Chain for a reader of manifest.json.
const ChainAlgorithm = "sha256(prev||line), prev_0 = 32 zero bytes"

// ErrTampered is matched (errors.Is) by every *VerifyError.
var ErrTampered = errors.New("bundle: tampered")

// VerifyError names the first place where a bundle does not match its
// manifest. Line is 1-based; 0 when the mismatch is not about a line.
type VerifyError struct {
	File   string
	Line   int
	Reason string
}

func (e *VerifyError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("bundle: %s line %d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("bundle: %s: %s", e.File, e.Reason)
}

// Is makes errors.Is(err, ErrTampered) true.
func (e *VerifyError) Is(target error) bool { return target == ErrTampered }

// Write exports a call into dir (created if needed): events.jsonl with
// the call's envelopes in seq order, cdr.json when cdr is not nil, and
// manifest.json. It returns the manifest written.
func Write(dir string, callID string, envs []domain.Envelope, cdr *domain.CDR) (Manifest, error) {
	if len(envs) == 0 {
		return Manifest{}, errors.New("bundle: no events to export")
	}
	sorted := slices.Clone(envs)
	slices.SortStableFunc(sorted, func(a, b domain.Envelope) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	m := Manifest{Format: Format, CallID: callID, CreatedAt: time.Now().UTC().Truncate(time.Millisecond),
		Chain: Chain{Algorithm: ChainAlgorithm}}
	var buf bytes.Buffer
	chain := make([]byte, sha256.Size)
	for _, env := range sorted {
		line, err := json.Marshal(env)
		if err != nil {
			return Manifest{}, fmt.Errorf("bundle: encode event %s: %w", env.ID, err)
		}
		sum := sha256.Sum256(line)
		chain = link(chain, line)
		m.Events = append(m.Events, Event{Seq: env.Seq, ID: env.ID, Type: env.Type, Position: env.Position,
			SHA256: hex.EncodeToString(sum[:])})
		buf.Write(line)
		buf.WriteByte('\n')
	}
	m.Chain.Head = hex.EncodeToString(chain)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Manifest{}, err
	}
	files := []struct {
		name string
		data []byte
	}{{EventsFile, buf.Bytes()}}
	if cdr != nil {
		b, err := json.MarshalIndent(cdr, "", "  ")
		if err != nil {
			return Manifest{}, fmt.Errorf("bundle: encode CDR: %w", err)
		}
		files = append(files, struct {
			name string
			data []byte
		}{CDRFile, append(b, '\n')})
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			return Manifest{}, err
		}
		m.Files = append(m.Files, describe(f.name, f.data))
	}
	d, err := digest(m)
	if err != nil {
		return Manifest{}, err
	}
	m.Digest = d
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Manifest{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o644); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// Verify reads the bundle in dir and recomputes every hash the manifest
// holds. It returns the manifest, or a *VerifyError (errors.Is
// ErrTampered) naming the first file and line that does not match; other
// errors are I/O failures.
func Verify(dir string) (Manifest, error) {
	var m Manifest
	raw, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, &VerifyError{File: ManifestFile, Reason: "not a manifest: " + err.Error()}
	}
	if m.Format != Format {
		return m, &VerifyError{File: ManifestFile, Reason: fmt.Sprintf("format %q, want %q", m.Format, Format)}
	}
	want := m.Digest
	got, err := digest(m)
	if err != nil {
		return m, err
	}
	if want != got {
		return m, &VerifyError{File: ManifestFile, Reason: fmt.Sprintf("digest %s, manifest content hashes to %s", want, got)}
	}
	haveEvents := false
	for _, f := range m.Files {
		if f.Name != filepath.Base(f.Name) || f.Name == ManifestFile {
			return m, &VerifyError{File: ManifestFile, Reason: fmt.Sprintf("bad file name %q", f.Name)}
		}
		data, err := os.ReadFile(filepath.Join(dir, f.Name))
		if errors.Is(err, os.ErrNotExist) {
			return m, &VerifyError{File: f.Name, Reason: "missing"}
		}
		if err != nil {
			return m, err
		}
		if f.Name == EventsFile {
			haveEvents = true
			if err := verifyEvents(m, data); err != nil {
				return m, err
			}
		}
		got := describe(f.Name, data)
		switch {
		case got.Bytes != f.Bytes:
			return m, &VerifyError{File: f.Name, Reason: fmt.Sprintf("%d bytes, manifest says %d", got.Bytes, f.Bytes)}
		case got.Lines != f.Lines:
			return m, &VerifyError{File: f.Name, Reason: fmt.Sprintf("%d lines, manifest says %d", got.Lines, f.Lines)}
		case got.SHA256 != f.SHA256:
			return m, &VerifyError{File: f.Name, Reason: fmt.Sprintf("sha256 %s, manifest says %s", got.SHA256, f.SHA256)}
		}
	}
	if !haveEvents {
		return m, &VerifyError{File: ManifestFile, Reason: "lists no " + EventsFile}
	}
	return m, nil
}

// verifyEvents checks events.jsonl line by line against the manifest's
// events and chain.
func verifyEvents(m Manifest, data []byte) error {
	lines := splitLines(data)
	chain := make([]byte, sha256.Size)
	for i, line := range lines {
		n := i + 1
		if i >= len(m.Events) {
			return &VerifyError{File: EventsFile, Line: n, Reason: fmt.Sprintf("extra line: manifest lists %d events", len(m.Events))}
		}
		sum := sha256.Sum256(line)
		if got := hex.EncodeToString(sum[:]); got != m.Events[i].SHA256 {
			return &VerifyError{File: EventsFile, Line: n, Reason: fmt.Sprintf("sha256 %s, manifest says %s (event seq %d, id %s)",
				got, m.Events[i].SHA256, m.Events[i].Seq, m.Events[i].ID)}
		}
		var env domain.Envelope
		if err := json.Unmarshal(line, &env); err != nil {
			return &VerifyError{File: EventsFile, Line: n, Reason: "not an envelope: " + err.Error()}
		}
		if e := m.Events[i]; env.Seq != e.Seq || env.ID != e.ID || env.Type != e.Type || env.Position != e.Position {
			return &VerifyError{File: EventsFile, Line: n, Reason: "envelope does not match the manifest's event"}
		}
		chain = link(chain, line)
	}
	if len(lines) < len(m.Events) {
		return &VerifyError{File: EventsFile, Line: len(lines) + 1, Reason: fmt.Sprintf("missing line: %d of %d events", len(lines), len(m.Events))}
	}
	if got := hex.EncodeToString(chain); got != m.Chain.Head {
		return &VerifyError{File: EventsFile, Reason: fmt.Sprintf("chain head %s, manifest says %s", got, m.Chain.Head)}
	}
	return nil
}

// link is one step of the chain: SHA-256(prev || line).
func link(prev, line []byte) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(line)
	return h.Sum(nil)
}

// digest is the SHA-256 of the canonical manifest (compact encoding/json,
// Digest omitted).
func digest(m Manifest) (string, error) {
	m.Digest = ""
	b, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

func describe(name string, data []byte) File {
	sum := sha256.Sum256(data)
	return File{Name: name, SHA256: hex.EncodeToString(sum[:]), Bytes: int64(len(data)), Lines: bytes.Count(data, []byte{'\n'})}
}

// splitLines splits on '\n'; a final line without a newline still counts.
func splitLines(data []byte) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			out = append(out, data)
			break
		}
		out = append(out, data[:i])
		data = data[i+1:]
	}
	return out
}
