//go:build e2e

package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
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
// with `audit export`, signed with a key from `audit keygen` and carrying
// the journal's proofs read beside the live switch; `audit verify-bundle
// --pubkey` accepts the bundle and rejects it with another public key,
// after one byte of a proof body is flipped (even with the manifest
// re-signed by the key holder), and, naming the line, once one byte of
// events.jsonl is flipped.
func TestE2EExport(t *testing.T) {
	itest.RequireSIPp(t)
	bin := itest.Binary(t)
	keys := t.TempDir()
	key := filepath.Join(keys, "bundle.key")
	if out, err := exec.Command(bin, "audit", "keygen", "--out", key).CombinedOutput(); err != nil {
		t.Fatalf("audit keygen: %v\n%s", err, out)
	}
	other := filepath.Join(keys, "other.key")
	if out, err := exec.Command(bin, "audit", "keygen", "--out", other).CombinedOutput(); err != nil {
		t.Fatalf("audit keygen: %v\n%s", err, out)
	}
	if st, err := os.Stat(key); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key %v, mode %v; want 0600", err, st.Mode())
	}
	// A short anchor interval so that an anchor covers the call before it
	// is exported.
	sw := itest.Start(t, itest.Options{ExtraYAML: "audit:\n  anchor_interval: 200ms\n  signing_key_file: " + key + "\n"})
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
	time.Sleep(time.Second) // a few anchor intervals

	dir := filepath.Join(t.TempDir(), "bundle")
	out, err := exec.Command(sw.Bin, "audit", "export", "--config", sw.ConfigPath, "--call-id", c.CallID, "--out", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("audit export: %v\n%s", err, out)
	}
	for _, want := range []string{"cdr true", "journal proofs true", "signed by "} {
		if !strings.Contains(string(out), want) {
			t.Errorf("export output lacks %q: %s", want, out)
		}
	}
	for _, f := range []string{bundle.EventsFile, bundle.CDRFile, bundle.ManifestFile, bundle.SignatureFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("bundle lacks %s: %v", f, err)
		}
	}
	m := readManifest(t, dir)
	if m.Format != bundle.Format || m.JournalProofs == nil || !*m.JournalProofs || m.Anchor == nil || m.JournalHead == nil {
		t.Fatalf("manifest: format %s, proofs %v, anchor %+v, head %+v", m.Format, m.JournalProofs, m.Anchor, m.JournalHead)
	}
	out, err = exec.Command(sw.Bin, "audit", "verify-bundle", dir, "--pubkey", key+".pub").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "bundle ok: call "+c.CallID) || !strings.Contains(string(out), "the given key") ||
		!strings.Contains(string(out), "journal proofs: "+itoa(len(m.Events))+" of "+itoa(len(m.Events))) || !strings.Contains(string(out), "anchor: position") {
		t.Fatalf("verify-bundle --pubkey of a fresh bundle: %v\n%s", err, out)
	}
	t.Logf("export and verify-bundle --pubkey:\n%s", out)
	out, err = exec.Command(sw.Bin, "audit", "verify-bundle", dir, "--pubkey-b64", m.SignerPublicKey).CombinedOutput()
	if err != nil {
		t.Fatalf("verify-bundle --pubkey-b64: %v\n%s", err, out)
	}
	expectVerifyFails(t, sw.Bin, []string{dir, "--pubkey", other + ".pub"}, "signed by another key")

	// Flip one byte of a proof body. Whoever holds the key can re-sign the
	// manifest, but the body then no longer hashes to the chain value.
	proofDir := filepath.Join(t.TempDir(), "proof")
	copyBundle(t, dir, proofDir)
	pm := readManifest(t, proofDir)
	body, err := base64.StdEncoding.DecodeString(pm.Events[1].Proof.Body)
	if err != nil {
		t.Fatal(err)
	}
	body[len(body)/2] ^= 1
	pm.Events[1].Proof.Body = base64.StdEncoding.EncodeToString(body)
	writeManifest(t, proofDir, pm)
	expectVerifyFails(t, sw.Bin, []string{proofDir, "--pubkey", key + ".pub"}, "manifest.json: digest")
	resignManifest(t, sw.Bin, proofDir, key)
	expectVerifyFails(t, sw.Bin, []string{proofDir, "--pubkey", key + ".pub"}, "events.jsonl line 2: event seq 2: journal proof")

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
	expectVerifyFails(t, sw.Bin, []string{dir}, "events.jsonl line 2")
}

// expectVerifyFails runs verify-bundle with args and wants exit 1 and an
// error containing want.
func expectVerifyFails(t *testing.T, bin string, args []string, want string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"audit", "verify-bundle"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err == nil || cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("verify-bundle %v: %v, want exit 1\n%s", args, err, out)
	}
	if !strings.Contains(string(out), want) {
		t.Errorf("verify-bundle %v does not say %q: %s", args, want, out)
	}
	t.Logf("verify-bundle %v: %s", args, out)
}

func readManifest(t *testing.T, dir string) bundle.Manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, bundle.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m bundle.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func writeManifest(t *testing.T, dir string, m bundle.Manifest) {
	t.Helper()
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, bundle.ManifestFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// resignManifest recomputes the manifest's digest as documented (compact
// encoding/json without digest) and signs it with the private key in
// keyFile, as a key holder forging a bundle would: with openssl when there
// is one, which also shows the documented message is all a signer needs.
func resignManifest(t *testing.T, bin, dir, keyFile string) {
	t.Helper()
	m := readManifest(t, dir)
	m.Digest = ""
	compact, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	m.Digest = sha256Hex(compact)
	writeManifest(t, dir, m)
	msg := filepath.Join(t.TempDir(), "msg")
	if err := os.WriteFile(msg, bundle.SignedMessage(m.Digest), 0o644); err != nil {
		t.Fatal(err)
	}
	var sig []byte
	if _, err := exec.LookPath("openssl"); err == nil {
		if sig, err = exec.Command("openssl", "pkeyutl", "-sign", "-rawin", "-inkey", keyFile, "-in", msg).Output(); err != nil {
			t.Fatalf("openssl sign: %v", err)
		}
	} else {
		pem, err := os.ReadFile(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		k, err := bundle.ParsePrivateKey(pem)
		if err != nil {
			t.Fatal(err)
		}
		sig = ed25519.Sign(k, bundle.SignedMessage(m.Digest))
	}
	if err := os.WriteFile(filepath.Join(dir, bundle.SignatureFile), []byte(base64.StdEncoding.EncodeToString(sig)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyBundle(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
