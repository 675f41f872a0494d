package bundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
)

// ErrKey is wrapped by every error parsing a signing or public key.
var ErrKey = errors.New("bundle: bad key")

// PEM block types: PKCS#8 for the private key and PKIX for the public one,
// the forms openssl reads and writes (openssl genpkey -algorithm ed25519).
const (
	privatePEMType = "PRIVATE KEY"
	publicPEMType  = "PUBLIC KEY"
)

// MarshalPrivateKey encodes key as PEM PKCS#8.
func MarshalPrivateKey(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: privatePEMType, Bytes: der}), nil
}

// MarshalPublicKey encodes key as PEM PKIX.
func MarshalPublicKey(key ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: publicPEMType, Bytes: der}), nil
}

// ParsePrivateKey reads an ed25519 private key from PEM PKCS#8 or from
// the standard base64 of its 32-byte seed (the form an environment
// variable carries).
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	data = bytes.TrimSpace(data)
	if bytes.HasPrefix(data, []byte("-----BEGIN")) {
		block, _ := pem.Decode(data)
		if block == nil || block.Type != privatePEMType {
			return nil, fmt.Errorf("%w: not a PEM %q block", ErrKey, privatePEMType)
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKey, err)
		}
		key, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%w: a %T, want an ed25519 key", ErrKey, k)
		}
		return key, nil
	}
	seed, err := base64.StdEncoding.DecodeString(string(data))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: neither PEM PKCS#8 nor the base64 of a %d-byte ed25519 seed", ErrKey, ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// ParsePublicKey reads an ed25519 public key from PEM PKIX (a keygen .pub
// file) or from the standard base64 of its 32 bytes (signer_public_key).
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	data = bytes.TrimSpace(data)
	if bytes.HasPrefix(data, []byte("-----BEGIN")) {
		block, _ := pem.Decode(data)
		if block == nil || block.Type != publicPEMType {
			return nil, fmt.Errorf("%w: not a PEM %q block", ErrKey, publicPEMType)
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKey, err)
		}
		key, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: a %T, want an ed25519 key", ErrKey, k)
		}
		return key, nil
	}
	raw, err := base64.StdEncoding.DecodeString(string(data))
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: neither PEM PKIX nor the base64 of a %d-byte ed25519 public key", ErrKey, ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(raw), nil
}

// EncodePublicKey is the manifest's form of a public key: standard base64
// of its 32 bytes.
func EncodePublicKey(key ed25519.PublicKey) string {
	return base64.StdEncoding.EncodeToString(key)
}
