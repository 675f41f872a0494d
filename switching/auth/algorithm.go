package auth

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Algorithm names as they appear in the algorithm parameter (RFC 7616
// §3.3, RFC 8760 §2.3). Comparison of received names is case-insensitive.
const (
	MD5        = "MD5"
	MD5Sess    = "MD5-sess"
	SHA256     = "SHA-256"
	SHA256Sess = "SHA-256-sess"
)

// algorithm is the parsed form of an algorithm name.
type algorithm uint8

const (
	algMD5 algorithm = iota
	algMD5Sess
	algSHA256
	algSHA256Sess
	numAlgorithms
)

func (a algorithm) String() string {
	switch a {
	case algMD5:
		return MD5
	case algMD5Sess:
		return MD5Sess
	case algSHA256:
		return SHA256
	case algSHA256Sess:
		return SHA256Sess
	}
	return "unknown"
}

func parseAlgorithm(s string) (algorithm, bool) {
	for a := range numAlgorithms {
		if strings.EqualFold(s, a.String()) {
			return a, true
		}
	}
	return 0, false
}

func (a algorithm) sha256() bool { return a == algSHA256 || a == algSHA256Sess }
func (a algorithm) sess() bool   { return a == algMD5Sess || a == algSHA256Sess }

// size is the digest length in bytes; hex values are twice that.
func (a algorithm) size() int {
	if a.sha256() {
		return sha256.Size
	}
	return md5.Size
}

// sum hashes data into dst and returns the digest length. Sum functions on
// arrays keep the hot path free of heap allocations.
func (a algorithm) sum(dst *[32]byte, data []byte) int {
	if a.sha256() {
		*dst = sha256.Sum256(data)
		return sha256.Size
	}
	s := md5.Sum(data)
	copy(dst[:], s[:])
	return md5.Size
}

// HA1 returns H(user ":" realm ":" password) in lower-case hex (RFC 7616
// §3.4.2), the only secret the switch stores. The -sess variants use the
// same stored value; the session key is derived per nonce at Verify. It
// returns "" for an unsupported algorithm.
func HA1(alg, user, realm, password string) string {
	a, ok := parseAlgorithm(alg)
	if !ok {
		return ""
	}
	buf := make([]byte, 0, len(user)+len(realm)+len(password)+2)
	buf = append(append(append(append(append(buf, user...), ':'), realm...), ':'), password...)
	var d [32]byte
	n := a.sum(&d, buf)
	return hex.EncodeToString(d[:n])
}

// Response returns the request-digest in lower-case hex (RFC 7616 §3.4.1,
// RFC 2617 §3.2.2.1): KD(HA1', nonce:nc:cnonce:qop:HA2) with qop, where HA1'
// is ha1 or, for -sess, H(ha1:nonce:cnonce), and HA2 = H(method:uri). With
// an empty qop it is the RFC 2069 form KD(HA1, nonce:HA2), which Verify
// never accepts but a UAC side may need. It returns "" for an unsupported
// algorithm.
func Response(alg, ha1, nonce, nc, cnonce, qop, method, uri string) string {
	a, ok := parseAlgorithm(alg)
	if !ok {
		return ""
	}
	var d [32]byte
	n := computeResponse(a, ha1, nonce, nc, cnonce, qop, method, uri, &d)
	return hex.EncodeToString(d[:n])
}

// computeResponse is Response into a caller's array, without allocating
// for ordinary lengths (the 512-byte scratch stays on the stack).
func computeResponse(a algorithm, ha1, nonce, nc, cnonce, qop, method, uri string, out *[32]byte) int {
	var scratch [512]byte
	var d [32]byte

	// HA2 = H(method ":" uri) for qop=auth (RFC 7616 §3.4.3).
	buf := append(append(append(scratch[:0], method...), ':'), uri...)
	n := a.sum(&d, buf)
	var ha2 [64]byte
	hex.Encode(ha2[:], d[:n])

	buf = scratch[:0]
	if a.sess() {
		// RFC 7616 §3.4.2: HA1 = H(H(user:realm:pass) ":" nonce ":" cnonce).
		buf = append(append(append(append(append(buf, ha1...), ':'), nonce...), ':'), cnonce...)
		n = a.sum(&d, buf)
		var sess [64]byte
		hex.Encode(sess[:], d[:n])
		buf = append(scratch[:0], sess[:2*n]...)
	} else {
		buf = append(buf, ha1...)
	}
	buf = append(append(buf, ':'), nonce...)
	if qop != "" {
		buf = append(append(append(append(append(append(buf, ':'), nc...), ':'), cnonce...), ':'), qop...)
	}
	buf = append(append(buf, ':'), ha2[:2*n]...)
	return a.sum(out, buf)
}

// decodeHex decodes s, of exactly 2*len(dst) hex digits of either case,
// into dst without allocating.
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
