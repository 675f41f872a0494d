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
	"slices"
	"time"

	"softswitch/domain"
)

// WriteOptions are what Write adds beyond the events and the CDR.
type WriteOptions struct {
	// Evidence ties the events to the journal; nil is the same as
	// NoEvidence with a generic note.
	Evidence *Evidence
	// Signer, when set, signs the manifest (manifest.sig).
	Signer ed25519.PrivateKey
}

// Write exports a call into dir (created if needed): events.jsonl with
// the call's envelopes in seq order, cdr.json when cdr is not nil,
// manifest.json, and manifest.sig when opts.Signer is set. When the
// evidence has proofs, each must decode to exactly its event's line, or
// Write fails rather than export a bundle that contradicts the journal.
// It returns the manifest written.
func Write(ctx context.Context, dir string, callID string, envs []domain.Envelope, cdr *domain.CDR, opts WriteOptions) (Manifest, error) {
	if err := ctx.Err(); err != nil {
		return Manifest{}, err
	}
	if len(envs) == 0 {
		return Manifest{}, errors.New("bundle: no events to export")
	}
	ev := opts.Evidence
	if ev == nil {
		ev = NoEvidence("exported without the journal")
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
	withProofs := ev.Proofs != nil
	m := Manifest{Format: Format, CallID: callID, CreatedAt: time.Now().UTC().Truncate(time.Millisecond),
		Chain: Chain{Algorithm: ChainAlgorithm}, JournalProofs: &withProofs, JournalHead: ev.Head, Anchor: ev.Anchor}
	if !withProofs {
		m.JournalNote = ev.Note
	}
	var buf bytes.Buffer
	chain := make([]byte, sha256.Size)
	for i, env := range sorted {
		line, err := json.Marshal(env)
		if err != nil {
			return Manifest{}, fmt.Errorf("bundle: encode event %s: %w", env.ID, err)
		}
		sum := sha256.Sum256(line)
		chain = link(chain, line)
		e := Event{Seq: env.Seq, ID: env.ID, Type: env.Type, Position: env.Position, SHA256: hex.EncodeToString(sum[:])}
		if withProofs {
			p, ok := ev.Proofs[env.Position]
			if !ok {
				return Manifest{}, fmt.Errorf("bundle: no journal proof for event %s at position %d", env.ID, env.Position)
			}
			e.Proof = encodeProof(p)
			if reason, err := proveLine(line, env.Position, e.Proof); reason != "" {
				return Manifest{}, fmt.Errorf("bundle: export contradicts the journal: %w", &VerifyError{File: EventsFile, Line: i + 1, Reason: reason, Err: err})
			}
		}
		m.Events = append(m.Events, e)
		buf.Write(line)
		buf.WriteByte('\n')
	}
	m.Chain.Head = hex.EncodeToString(chain)
	if opts.Signer != nil {
		m.SignerPublicKey = EncodePublicKey(opts.Signer.Public().(ed25519.PublicKey))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Manifest{}, err
	}
	// A bundle rewritten in place must not keep the signature of the
	// previous export.
	if err := os.Remove(filepath.Join(dir, SignatureFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
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
	if opts.Signer != nil {
		if err := writeSignature(dir, opts.Signer, m.Digest); err != nil {
			return Manifest{}, err
		}
	}
	return m, nil
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
