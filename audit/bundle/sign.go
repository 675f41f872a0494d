package bundle

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// signedPrefix separates what a bundle key signs from anything else the
// same key might sign: the message is signedPrefix followed by the
// manifest's hex digest.
const signedPrefix = "softswitch-bundle manifest digest "

// SignedMessage is the exact byte string manifest.sig signs, so a third
// party can check it with other tools (docs/audit.md).
func SignedMessage(digest string) []byte {
	return []byte(signedPrefix + digest)
}

// writeSignature writes manifest.sig: the base64 ed25519 signature of
// SignedMessage(digest) and a newline.
func writeSignature(dir string, key ed25519.PrivateKey, digest string) error {
	sig := ed25519.Sign(key, SignedMessage(digest))
	return os.WriteFile(filepath.Join(dir, SignatureFile), []byte(base64.StdEncoding.EncodeToString(sig)+"\n"), 0o644)
}

// checkSignature checks manifest.sig against the manifest (whose digest
// is already checked) and, when trusted is set, that the signer is that
// key. It returns the signer, or nil for an unsigned bundle.
func checkSignature(dir string, m Manifest, trusted ed25519.PublicKey) (ed25519.PublicKey, error) {
	raw, err := os.ReadFile(filepath.Join(dir, SignatureFile))
	missing := errors.Is(err, os.ErrNotExist)
	if err != nil && !missing {
		return nil, err
	}
	switch {
	case missing && m.SignerPublicKey == "":
		if trusted != nil {
			return nil, &SignatureError{Err: ErrUnsigned, Reason: "the bundle has no " + SignatureFile + " and names no signer, but a public key was given"}
		}
		return nil, nil
	case missing:
		return nil, &SignatureError{Err: ErrBadSignature, Reason: "the manifest names a signer but " + SignatureFile + " is missing"}
	case m.SignerPublicKey == "":
		return nil, &SignatureError{Err: ErrBadSignature, Reason: SignatureFile + " is present but the manifest names no signer_public_key"}
	}
	signer, err := ParsePublicKey([]byte(m.SignerPublicKey))
	if err != nil {
		return nil, &SignatureError{Err: ErrBadSignature, Reason: "signer_public_key: " + err.Error()}
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, &SignatureError{Err: ErrBadSignature, Reason: SignatureFile + " is not the base64 of a 64-byte ed25519 signature"}
	}
	if !ed25519.Verify(signer, SignedMessage(m.Digest), sig) {
		return nil, &SignatureError{Err: ErrBadSignature, Reason: fmt.Sprintf("%s does not verify for digest %s under signer_public_key %s", SignatureFile, m.Digest, m.SignerPublicKey)}
	}
	if trusted != nil && !signer.Equal(trusted) {
		return nil, &SignatureError{Err: ErrWrongSigner, Reason: fmt.Sprintf("signed by %s, not by the given key %s", m.SignerPublicKey, EncodePublicKey(trusted))}
	}
	return signer, nil
}
