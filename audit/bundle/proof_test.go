package bundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"softswitch/domain"
	"softswitch/eventstore/journal"
)

// journalCall appends the test call, between other records, to a fresh
// journal and returns its directory and the call's envelopes as the
// journal holds them (positions set).
func journalCall(t *testing.T) (string, []domain.Envelope) {
	t.Helper()
	dir := t.TempDir()
	j, err := journal.Open(t.Context(), dir, journal.Options{NoSync: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	other := domain.Envelope{ID: "n1-other", Type: "registration.added", Version: 1, Aggregate: "aor:1001", Seq: 1, Node: "n1",
		Time: testEnvs()[0].Time, Payload: json.RawMessage(`{}`)}
	for _, env := range testEnvs() {
		if err := j.Append(t.Context(), []domain.Envelope{other, env}); err != nil {
			t.Fatal(err)
		}
		other.Seq++
		other.ID += "x"
	}
	var envs []domain.Envelope
	err = j.Read(t.Context(), 1, func(env domain.Envelope) error {
		if env.Aggregate == domain.CallKey("abc@host") {
			envs = append(envs, env)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir, envs
}

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// provenBundle writes a bundle with journal proofs and an anchor at the
// call's last position, signed by key when it is not nil.
func provenBundle(t *testing.T, key ed25519.PrivateKey) string {
	t.Helper()
	jdir, envs := journalCall(t)
	last := envs[len(envs)-1].Position
	proofs, err := journal.ReadProofs(t.Context(), jdir, []uint64{last})
	if err != nil {
		t.Fatal(err)
	}
	anchors := filepath.Join(t.TempDir(), "anchors.jsonl")
	line := `{"position":` + jsonNum(last) + `,"chain":"` + hex.EncodeToString(proofs[0].Chain[:]) + `","verified":8,"at":"2026-11-24T10:01:00Z"}` + "\n"
	if err := os.WriteFile(anchors, []byte(`{"position":1,"chain":"00","verified":1}`+"\n"+line+`{"posit`), 0o644); err != nil {
		t.Fatal(err)
	}
	ev, err := CollectEvidence(t.Context(), jdir, anchors, envs)
	if err != nil || ev.Proofs == nil || ev.Anchor == nil || ev.Anchor.Position != last || ev.Head == nil || ev.Head.Position != last {
		t.Fatalf("CollectEvidence = %+v, %v", ev, err)
	}
	dir := filepath.Join(t.TempDir(), "b")
	if _, err := Write(t.Context(), dir, "abc@host", envs, nil, WriteOptions{Evidence: ev, Signer: key}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func jsonNum(n uint64) string { b, _ := json.Marshal(n); return string(b) }

// reseal is a forger with the signing key: after editing the files or the
// manifest, it recomputes every hash and the digest and signs again, so
// only the journal proofs can catch the change.
func reseal(t *testing.T, dir string, key ed25519.PrivateKey, edit func(m *Manifest)) {
	t.Helper()
	p := filepath.Join(dir, ManifestFile)
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	edit(&m)
	data, err := os.ReadFile(filepath.Join(dir, EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	chain := make([]byte, 32)
	for i, line := range splitLines(data) {
		sum := sha256Hex(line)
		m.Events[i].SHA256 = sum
		chain = link(chain, line)
	}
	m.Chain.Head = hex.EncodeToString(chain)
	m.Files[0] = describe(EventsFile, data)
	if m.Digest, err = digest(m); err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, SignatureFile))
	if key != nil {
		if err := writeSignature(dir, key, m.Digest); err != nil {
			t.Fatal(err)
		}
	}
}

func sha256Hex(b []byte) string {
	d := describe("", b)
	return d.SHA256
}

func flipBody(p *Proof) {
	b, _ := base64.StdEncoding.DecodeString(p.Body)
	b[len(b)-3] ^= 1
	p.Body = base64.StdEncoding.EncodeToString(b)
}

// TestVerifyProofsAndSignature: every way of altering a signed bundle
// with proofs, including by the holder of the signing key, is refused
// with the right error; unsigned and format 1 bundles still verify.
func TestVerifyProofsAndSignature(t *testing.T) {
	key, other := newKey(t), newKey(t)
	pub := key.Public().(ed25519.PublicKey)
	tests := []struct {
		name    string
		signer  ed25519.PrivateKey // nil: unsigned
		tamper  func(t *testing.T, dir string)
		trusted ed25519.PublicKey
		want    error  // nil: verifies
		line    int    // for a *VerifyError
		reason  string // for a *VerifyError
		proofs  int    // when it verifies
	}{
		{name: "intact, trusted key", signer: key, trusted: pub, proofs: 4},
		{name: "intact, no key given", signer: key, proofs: 4},
		{name: "tampered proof body", signer: key, want: journal.ErrProof, line: 2, reason: "chain value", tamper: func(t *testing.T, dir string) {
			reseal(t, dir, key, func(m *Manifest) { flipBody(m.Events[1].Proof) })
		}},
		{name: "swapped proofs", signer: key, want: journal.ErrProof, line: 1, reason: "holds position", tamper: func(t *testing.T, dir string) {
			reseal(t, dir, key, func(m *Manifest) { m.Events[0].Proof, m.Events[1].Proof = m.Events[1].Proof, m.Events[0].Proof })
		}},
		{name: "wrong chain", signer: key, want: journal.ErrProof, line: 3, reason: "chain value", tamper: func(t *testing.T, dir string) {
			reseal(t, dir, key, func(m *Manifest) { m.Events[2].Proof.Chain = strings.Repeat("ab", 32) })
		}},
		{name: "event line rewritten with hashes redone", signer: key, want: ErrTampered, line: 2, reason: "differs from the journal record", tamper: func(t *testing.T, dir string) {
			p := filepath.Join(dir, EventsFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte(`{"n":1}`), []byte(`{"n":7}`), 1), 0o644)
			reseal(t, dir, key, func(*Manifest) {})
		}},
		{name: "proof dropped", signer: key, want: ErrTampered, line: 4, reason: "no journal proof", tamper: func(t *testing.T, dir string) {
			reseal(t, dir, key, func(m *Manifest) { m.Events[3].Proof = nil })
		}},
		{name: "anchor chain changed", signer: key, want: ErrTampered, reason: "anchor chain", tamper: func(t *testing.T, dir string) {
			reseal(t, dir, key, func(m *Manifest) { m.Anchor.Chain = strings.Repeat("cd", 32) })
		}},
		{name: "wrong signature", signer: key, trusted: pub, want: ErrBadSignature, tamper: func(t *testing.T, dir string) {
			p := filepath.Join(dir, SignatureFile)
			b, _ := os.ReadFile(p)
			sig, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
			sig[5] ^= 1
			os.WriteFile(p, []byte(base64.StdEncoding.EncodeToString(sig)), 0o644)
		}},
		{name: "signature removed", signer: key, want: ErrBadSignature, tamper: func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, SignatureFile))
		}},
		{name: "re-signed by another key", signer: key, trusted: pub, want: ErrWrongSigner, tamper: func(t *testing.T, dir string) {
			reseal(t, dir, other, func(m *Manifest) { m.SignerPublicKey = EncodePublicKey(other.Public().(ed25519.PublicKey)) })
		}},
		{name: "verified against another key", signer: key, trusted: other.Public().(ed25519.PublicKey), want: ErrWrongSigner},
		{name: "unsigned", proofs: 4},
		{name: "unsigned, key required", trusted: pub, want: ErrUnsigned},
		{name: "signature stripped to pass as unsigned", signer: key, trusted: pub, want: ErrUnsigned, tamper: func(t *testing.T, dir string) {
			reseal(t, dir, nil, func(m *Manifest) { m.SignerPublicKey = "" })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := provenBundle(t, tt.signer)
			if tt.tamper != nil {
				tt.tamper(t, dir)
			}
			r, err := Verify(t.Context(), dir, VerifyOptions{PublicKey: tt.trusted})
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if r.Proofs != tt.proofs || (tt.signer != nil) != (r.Signer != nil) || r.Manifest.Anchor == nil {
					t.Errorf("report: %d proofs, signer %x, anchor %+v", r.Proofs, r.Signer, r.Manifest.Anchor)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			var ve *VerifyError
			if errors.As(err, &ve) && (ve.Line != tt.line || !strings.Contains(ve.Reason, tt.reason)) {
				t.Errorf("Verify = %q, want line %d containing %q", err, tt.line, tt.reason)
			}
			var se *SignatureError
			if errors.Is(tt.want, ErrTampered) || errors.Is(tt.want, journal.ErrProof) {
				if ve == nil {
					t.Errorf("Verify = %T, want a *VerifyError", err)
				}
			} else if !errors.As(err, &se) {
				t.Errorf("Verify = %T, want a *SignatureError", err)
			}
		})
	}
}

// TestVerifyV1Bundle: a bundle written by the format 1 writer (testdata/v1,
// kept as it was written) still verifies, as unsigned and without proofs,
// and a format 2 field slipped into it is refused.
func TestVerifyV1Bundle(t *testing.T) {
	r, err := Verify(t.Context(), "testdata/v1", VerifyOptions{})
	if err != nil {
		t.Fatalf("Verify v1: %v", err)
	}
	if r.Manifest.Format != FormatV1 || r.Signer != nil || r.Proofs != 0 || len(r.Manifest.Events) != 3 {
		t.Errorf("report %+v", r)
	}
	if _, err := Verify(t.Context(), "testdata/v1", VerifyOptions{PublicKey: newKey(t).Public().(ed25519.PublicKey)}); !errors.Is(err, ErrUnsigned) {
		t.Errorf("Verify v1 with a key = %v, want ErrUnsigned", err)
	}
	dir := t.TempDir()
	for _, f := range []string{EventsFile, CDRFile, ManifestFile} {
		b, _ := os.ReadFile(filepath.Join("testdata/v1", f))
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	reseal(t, dir, nil, func(m *Manifest) { m.JournalNote = "x" })
	if _, err := Verify(t.Context(), dir, VerifyOptions{}); !errors.Is(err, ErrTampered) {
		t.Errorf("Verify of v1 with a v2 field = %v, want ErrTampered", err)
	}
}

// TestWithoutJournal: without the journal the bundle says so and verifies;
// evidence that contradicts the events stops Write.
func TestWithoutJournal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "b")
	ev, err := CollectEvidence(t.Context(), filepath.Join(t.TempDir(), "nojournal"), "", testEnvs())
	if err != nil || ev.Proofs != nil || ev.Note == "" {
		t.Fatalf("CollectEvidence without a journal = %+v, %v", ev, err)
	}
	m, err := Write(t.Context(), dir, "abc@host", testEnvs(), nil, WriteOptions{Evidence: ev})
	if err != nil || m.JournalProofs == nil || *m.JournalProofs || !strings.Contains(m.JournalNote, "nojournal") {
		t.Fatalf("Write = %+v, %v", m, err)
	}
	if r, err := Verify(t.Context(), dir, VerifyOptions{}); err != nil || r.Proofs != 0 {
		t.Errorf("Verify = %+v, %v", r, err)
	}

	jdir, envs := journalCall(t)
	ev, err = CollectEvidence(t.Context(), jdir, "", envs)
	if err != nil {
		t.Fatal(err)
	}
	envs[1].Payload = json.RawMessage(`{"n":9}`)
	if _, err := Write(t.Context(), filepath.Join(t.TempDir(), "c"), "abc@host", envs, nil, WriteOptions{Evidence: ev}); !errors.Is(err, ErrTampered) {
		t.Errorf("Write of events that differ from the journal = %v, want ErrTampered", err)
	}
}
