package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"

	"softswitch/audit/bundle"
	"softswitch/internal/config"
)

// cmdAuditKeygen writes a fresh ed25519 key pair for signing bundles: the
// private key as PEM PKCS#8 in FILE (mode 0600, for audit.signing_key_file)
// and the public key as PEM PKIX in FILE.pub, to hand to auditors for
// `audit verify-bundle --pubkey`. An existing FILE is never overwritten:
// losing a signing key would leave past bundles unverifiable by key.
func cmdAuditKeygen(args []string, stdout io.Writer) error {
	fs := newVerbFlagSet("audit keygen")
	out := fs.String("out", "", "file to write the private key to; the public key goes to FILE.pub")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		return usageError("usage: softswitch audit keygen --out FILE")
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	privPEM, err := bundle.MarshalPrivateKey(priv)
	if err != nil {
		return err
	}
	pubPEM, err := bundle.MarshalPublicKey(pub)
	if err != nil {
		return err
	}
	if err := writeNew(*out, privPEM, 0o600); err != nil {
		return err
	}
	if err := writeNew(*out+".pub", pubPEM, 0o644); err != nil {
		return errors.Join(err, os.Remove(*out))
	}
	fmt.Fprintf(stdout, "private key %s (keep it secret: audit.signing_key_file)\npublic key %s\nsigner_public_key %s\n",
		*out, *out+".pub", bundle.EncodePublicKey(pub))
	return nil
}

// writeNew creates path with data, failing if it exists.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	return errors.Join(werr, f.Sync(), f.Close())
}

// signingKey loads the bundle signing key from audit.signing_key_file or
// $SOFTSWITCH_AUDIT_SIGNING_KEY (config refuses both at once); nil when
// neither is set, so the bundle is unsigned.
func signingKey(a config.Audit) (ed25519.PrivateKey, error) {
	if a.SigningKeyFile != "" {
		b, err := os.ReadFile(a.SigningKeyFile)
		if err != nil {
			return nil, fmt.Errorf("audit.signing_key_file: %w", err)
		}
		k, err := bundle.ParsePrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("audit.signing_key_file %s: %w", a.SigningKeyFile, err)
		}
		return k, nil
	}
	v := os.Getenv(config.SigningKeyEnv)
	if v == "" {
		return nil, nil
	}
	k, err := bundle.ParsePrivateKey([]byte(v))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", config.SigningKeyEnv, err)
	}
	return k, nil
}

// trustedKey reads the key given to verify-bundle, nil when none.
func trustedKey(file, b64 string) (ed25519.PublicKey, error) {
	switch {
	case file != "" && b64 != "":
		return nil, usageError("--pubkey and --pubkey-b64: give one")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--pubkey: %w", err)
		}
		k, err := bundle.ParsePublicKey(b)
		if err != nil {
			return nil, fmt.Errorf("--pubkey %s: %w", file, err)
		}
		return k, nil
	case b64 != "":
		k, err := bundle.ParsePublicKey([]byte(b64))
		if err != nil {
			return nil, fmt.Errorf("--pubkey-b64: %w", err)
		}
		return k, nil
	}
	return nil, nil
}
