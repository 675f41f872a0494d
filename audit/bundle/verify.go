package bundle

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"softswitch/domain"
)

// VerifyOptions are what the verifier trusts beyond the bundle.
type VerifyOptions struct {
	// PublicKey, when set, is the key the bundle must be signed by: an
	// unsigned bundle or one signed by another key is refused.
	PublicKey ed25519.PublicKey
}

// Report is what an intact bundle proved.
type Report struct {
	Manifest Manifest
	// Signer is the key whose signature of the digest checked; nil for
	// an unsigned bundle.
	Signer ed25519.PublicKey
	// Proofs counts events whose journal proof checked: all of them, or
	// 0 when the manifest says journal_proofs false (or is format 1).
	Proofs int
}

// Verify reads the bundle in dir and recomputes every hash the manifest
// holds, the signature and every journal proof. Content that does not
// match is a *VerifyError (errors.Is ErrTampered) naming the first file
// and line at fault; a signature refused is a *SignatureError (errors.Is
// ErrBadSignature, ErrWrongSigner or ErrUnsigned); other errors are I/O
// failures. Format 1 bundles verify as before: no signature, no proofs.
func Verify(ctx context.Context, dir string, opts VerifyOptions) (Report, error) {
	var r Report
	if err := ctx.Err(); err != nil {
		return r, err
	}
	raw, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return r, err
	}
	m := &r.Manifest
	if err := json.Unmarshal(raw, m); err != nil {
		return r, &VerifyError{File: ManifestFile, Reason: "not a manifest: " + err.Error()}
	}
	if err := checkFormat(*m); err != nil {
		return r, err
	}
	want := m.Digest
	got, err := digest(*m)
	if err != nil {
		return r, err
	}
	if want != got {
		return r, &VerifyError{File: ManifestFile, Reason: fmt.Sprintf("digest %s, manifest content hashes to %s", want, got)}
	}
	if r.Signer, err = checkSignature(dir, *m, opts.PublicKey); err != nil {
		return r, err
	}
	haveEvents := false
	for _, f := range m.Files {
		if f.Name != filepath.Base(f.Name) || f.Name == ManifestFile || f.Name == SignatureFile {
			return r, &VerifyError{File: ManifestFile, Reason: fmt.Sprintf("bad file name %q", f.Name)}
		}
		data, err := os.ReadFile(filepath.Join(dir, f.Name))
		if errors.Is(err, os.ErrNotExist) {
			return r, &VerifyError{File: f.Name, Reason: "missing"}
		}
		if err != nil {
			return r, err
		}
		if f.Name == EventsFile {
			haveEvents = true
			if r.Proofs, err = verifyEvents(*m, data); err != nil {
				return r, err
			}
		}
		got := describe(f.Name, data)
		switch {
		case got.Bytes != f.Bytes:
			return r, &VerifyError{File: f.Name, Reason: fmt.Sprintf("%d bytes, manifest says %d", got.Bytes, f.Bytes)}
		case got.Lines != f.Lines:
			return r, &VerifyError{File: f.Name, Reason: fmt.Sprintf("%d lines, manifest says %d", got.Lines, f.Lines)}
		case got.SHA256 != f.SHA256:
			return r, &VerifyError{File: f.Name, Reason: fmt.Sprintf("sha256 %s, manifest says %s", got.SHA256, f.SHA256)}
		}
	}
	if !haveEvents {
		return r, &VerifyError{File: ManifestFile, Reason: "lists no " + EventsFile}
	}
	return r, checkChainPoints(*m)
}

// checkFormat refuses unknown formats and format 2 fields in a format 1
// manifest, which a format 1 writer never produced: claiming /1 must not
// smuggle in unchecked proofs or a signer.
func checkFormat(m Manifest) error {
	switch m.Format {
	case Format:
		if m.JournalProofs == nil {
			return &VerifyError{File: ManifestFile, Reason: "format 2 manifest without journal_proofs"}
		}
		return nil
	case FormatV1:
		v2 := m.JournalProofs != nil || m.JournalHead != nil || m.Anchor != nil || m.SignerPublicKey != "" || m.JournalNote != ""
		for _, e := range m.Events {
			v2 = v2 || e.Proof != nil
		}
		if v2 {
			return &VerifyError{File: ManifestFile, Reason: "format 1 manifest with format 2 fields"}
		}
		return nil
	}
	return &VerifyError{File: ManifestFile, Reason: fmt.Sprintf("format %q, want %q or %q", m.Format, Format, FormatV1)}
}

// verifyEvents checks events.jsonl line by line against the manifest's
// events, their journal proofs and the chain; it returns how many proofs
// checked.
func verifyEvents(m Manifest, data []byte) (int, error) {
	withProofs := m.JournalProofs != nil && *m.JournalProofs
	lines := splitLines(data)
	chain := make([]byte, sha256.Size)
	proofs := 0
	for i, line := range lines {
		n := i + 1
		if i >= len(m.Events) {
			return proofs, &VerifyError{File: EventsFile, Line: n, Reason: fmt.Sprintf("extra line: manifest lists %d events", len(m.Events))}
		}
		e := m.Events[i]
		sum := sha256.Sum256(line)
		if got := hex.EncodeToString(sum[:]); got != e.SHA256 {
			return proofs, &VerifyError{File: EventsFile, Line: n, Reason: fmt.Sprintf("sha256 %s, manifest says %s (event seq %d, id %s)",
				got, e.SHA256, e.Seq, e.ID)}
		}
		var env domain.Envelope
		if err := json.Unmarshal(line, &env); err != nil {
			return proofs, &VerifyError{File: EventsFile, Line: n, Reason: "not an envelope: " + err.Error()}
		}
		if env.Seq != e.Seq || env.ID != e.ID || env.Type != e.Type || env.Position != e.Position {
			return proofs, &VerifyError{File: EventsFile, Line: n, Reason: "envelope does not match the manifest's event"}
		}
		switch {
		case withProofs && e.Proof == nil:
			return proofs, &VerifyError{File: ManifestFile, Line: n, Reason: fmt.Sprintf("event seq %d has no journal proof but journal_proofs is true", e.Seq)}
		case !withProofs && e.Proof != nil:
			return proofs, &VerifyError{File: ManifestFile, Line: n, Reason: fmt.Sprintf("event seq %d has a journal proof but journal_proofs is not true", e.Seq)}
		case withProofs:
			if reason, err := proveLine(line, e.Position, e.Proof); reason != "" {
				return proofs, &VerifyError{File: EventsFile, Line: n, Reason: fmt.Sprintf("event seq %d: %s", e.Seq, reason), Err: err}
			}
			proofs++
		}
		chain = link(chain, line)
	}
	if len(lines) < len(m.Events) {
		return proofs, &VerifyError{File: EventsFile, Line: len(lines) + 1, Reason: fmt.Sprintf("missing line: %d of %d events", len(lines), len(m.Events))}
	}
	if got := hex.EncodeToString(chain); got != m.Chain.Head {
		return proofs, &VerifyError{File: EventsFile, Reason: fmt.Sprintf("chain head %s, manifest says %s", got, m.Chain.Head)}
	}
	return proofs, nil
}

// checkChainPoints checks the anchor and the journal head against the
// proofs where they can be compared without the journal: they must not
// precede the call, and at an event's own position they must hold its
// chain value.
func checkChainPoints(m Manifest) error {
	var last uint64
	chainAt := map[uint64]string{}
	for _, e := range m.Events {
		last = max(last, e.Position)
		if e.Proof != nil {
			chainAt[e.Position] = e.Proof.Chain
		}
	}
	points := []struct {
		name string
		at   *ChainPoint
	}{{"journal_head", m.JournalHead}}
	if m.Anchor != nil {
		points = append(points, struct {
			name string
			at   *ChainPoint
		}{"anchor", &ChainPoint{Position: m.Anchor.Position, Chain: m.Anchor.Chain}})
	}
	for _, p := range points {
		if p.at == nil {
			continue
		}
		if p.at.Position < last {
			return &VerifyError{File: ManifestFile, Reason: fmt.Sprintf("%s at position %d precedes the call's last event at %d", p.name, p.at.Position, last)}
		}
		if c, ok := chainAt[p.at.Position]; ok && c != p.at.Chain {
			return &VerifyError{File: ManifestFile, Reason: fmt.Sprintf("%s chain %s at position %d, the event's proof says %s", p.name, p.at.Chain, p.at.Position, c)}
		}
	}
	return nil
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
