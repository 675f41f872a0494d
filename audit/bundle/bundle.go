// Package bundle writes and verifies a self-contained export of one call:
// its event envelopes as JSON lines, its CDR when there is one, and a
// manifest that lets a third party check the files without access to the
// switch (docs/audit.md, "Export a call").
//
// What a bundle proves, from the bottom up:
//
//   - Integrity of the files: no byte changed, no line dropped, added or
//     reordered, no file swapped (per-line hashes, a chain over the lines,
//     per-file hashes, all under the manifest's digest).
//   - Origin, when signed: manifest.sig is an ed25519 signature of the
//     digest by the key named in the manifest (signer_public_key). Checked
//     against a key the auditor got out of band (Verify with a PublicKey),
//     it shows who exported the bundle; without one it only shows that
//     manifest and signature belong together.
//   - Link to the journal, when journal_proofs is true: each event carries
//     its journal record's chained body and the chain values before and at
//     its position, so SHA-256(prev || body) = chain and the body decodes
//     to exactly the envelope on the line. The event is then byte for byte
//     the record the journal chained at that position — provided the chain
//     values are the journal's, which whoever holds the journal or a
//     notarized anchor at or after the position confirms (the manifest
//     carries the latest such anchor and the journal head at export).
//
// What it does not prove: that the bundle holds all of the call's events
// (an exporter can leave one out; the proofs only vouch for the events
// present), or anything about chain values the auditor cannot compare with
// the journal or an anchor.
package bundle

import (
	"errors"
	"fmt"
	"time"
)

// Format names the bundle layout written; Verify also accepts FormatV1.
const (
	Format   = "softswitch-bundle/2"
	FormatV1 = "softswitch-bundle/1"
)

// File names inside a bundle directory.
const (
	EventsFile    = "events.jsonl"
	CDRFile       = "cdr.json"
	ManifestFile  = "manifest.json"
	SignatureFile = "manifest.sig"
)

// Manifest describes a bundle. Its JSON form is manifest.json. Fields
// added by format 2 are omitted when zero, so a format 1 manifest still
// encodes, and so hashes, exactly as it was written.
type Manifest struct {
	Format    string    `json:"format"`
	CallID    string    `json:"call_id"`
	CreatedAt time.Time `json:"created_at"`
	Files     []File    `json:"files"`
	Events    []Event   `json:"events"`
	Chain     Chain     `json:"chain"`
	// JournalProofs says whether every event carries a Proof (format 2;
	// nil in format 1). JournalNote says why not, when false.
	JournalProofs *bool  `json:"journal_proofs,omitempty"`
	JournalNote   string `json:"journal_note,omitempty"`
	// JournalHead is the journal's last record when the bundle was
	// exported: with the journal, an auditor can check the chain from the
	// call's events to it.
	JournalHead *ChainPoint `json:"journal_head,omitempty"`
	// Anchor is the latest anchor (<data_dir>/anchors.jsonl) at or after
	// the call's last position, to compare with a notarized copy.
	Anchor *Anchor `json:"anchor,omitempty"`
	// SignerPublicKey is the ed25519 public key (base64, 32 bytes) whose
	// signature of Digest is manifest.sig; empty for an unsigned bundle.
	SignerPublicKey string `json:"signer_public_key,omitempty"`
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
	// Proof is the journal's record at Position (format 2 with proofs).
	Proof *Proof `json:"proof,omitempty"`
}

// Proof is a journal.Proof as JSON: SHA-256(prev || body) = chain, and
// body is the journal record's body without its chain field
// (docs/journal.md, "Hash chain").
type Proof struct {
	Prev  string `json:"prev"`  // hex, the chain of Position-1
	Chain string `json:"chain"` // hex, the chain stored at Position
	Body  string `json:"body"`  // standard base64
}

// ChainPoint is a position of the journal and its chain value (hex).
type ChainPoint struct {
	Position uint64 `json:"position"`
	Chain    string `json:"chain"`
}

// Anchor is a line of anchors.jsonl: an audit.anchored event and when the
// switch wrote it.
type Anchor struct {
	Position uint64    `json:"position"`
	Chain    string    `json:"chain"`
	Verified uint64    `json:"verified"`
	At       time.Time `json:"at,omitzero"`
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
// manifest. Line is 1-based; 0 when the mismatch is not about a line. Err,
// when set, is the underlying cause (a *journal.ProofError for a proof).
type VerifyError struct {
	File   string
	Line   int
	Reason string
	Err    error
}

func (e *VerifyError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("bundle: %s line %d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("bundle: %s: %s", e.File, e.Reason)
}

// Is makes errors.Is(err, ErrTampered) true.
func (e *VerifyError) Is(target error) bool { return target == ErrTampered }

// Unwrap exposes the cause, e.g. journal.ErrProof.
func (e *VerifyError) Unwrap() error { return e.Err }

// Signature failures, matched (errors.Is) through *SignatureError.
var (
	// ErrBadSignature: manifest.sig is not a valid signature of the digest
	// by signer_public_key, or one of the two is missing.
	ErrBadSignature = errors.New("bundle: bad signature")
	// ErrWrongSigner: the bundle is validly signed, by another key than
	// the one the verifier trusts.
	ErrWrongSigner = errors.New("bundle: signed by another key")
	// ErrUnsigned: the verifier requires a signature and there is none.
	ErrUnsigned = errors.New("bundle: not signed")
)

// SignatureError says why a bundle's signature was refused; it wraps one
// of ErrBadSignature, ErrWrongSigner, ErrUnsigned.
type SignatureError struct {
	Err    error
	Reason string
}

func (e *SignatureError) Error() string {
	return fmt.Sprintf("%v: %s", e.Err, e.Reason)
}

func (e *SignatureError) Unwrap() error { return e.Err }
