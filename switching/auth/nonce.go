package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
	"sync"
)

// Stateless nonces (RFC 7616 §3.3 and §5.5 suggest a timestamp plus a
// keyed hash): issued-at, 8 random bytes so two nonces of one instant
// differ, and a truncated HMAC-SHA256 over both and the address the
// challenge went to, hex encoded. The address binding (RFC 7616 §5.5
// "the client's IP address") makes an Authorization captured on the wire
// useless from anywhere else, within the nonce's life too. Nothing is
// stored at challenge time, so a flood of unauthenticated REGISTERs costs
// no memory; only nonces that authenticate a request enter the nonce-count
// table (replay.go).
const (
	nonceIDLen  = 16 // issued-at (8, big-endian Unix ns) + random (8)
	nonceMACLen = 16 // HMAC-SHA256 truncated to 128 bits
	nonceRawLen = nonceIDLen + nonceMACLen
	nonceHexLen = 2 * nonceRawLen
)

// nonceID identifies a nonce in the replay table; the MAC adds nothing once
// verified.
type nonceID [nonceIDLen]byte

func (id nonceID) issued() int64 { return int64(binary.BigEndian.Uint64(id[:8])) }

// noncer mints and checks nonces under one key.
type noncer struct {
	macs sync.Pool // of *macState; hmac.New allocates
}

// macState is a keyed HMAC with scratch space that lives beside it, so
// that passing slices through the hash.Hash interface does not move the
// caller's arrays to the heap.
type macState struct {
	h   hash.Hash
	in  nonceID
	out [sha256.Size]byte
}

func newNoncer(key []byte) *noncer {
	return &noncer{macs: sync.Pool{New: func() any { return &macState{h: hmac.New(sha256.New, key)} }}}
}

func (n *noncer) mac(dst *[sha256.Size]byte, id *nonceID, bind string) {
	m := n.macs.Get().(*macState)
	m.in = *id
	m.h.Reset()
	m.h.Write(m.in[:])
	io.WriteString(m.h, bind)
	m.h.Sum(m.out[:0])
	*dst = m.out
	n.macs.Put(m)
}

// mint returns a fresh nonce issued at unixNano to the address bind.
func (n *noncer) mint(unixNano int64, bind string) string {
	var raw [nonceRawLen]byte
	binary.BigEndian.PutUint64(raw[:8], uint64(unixNano))
	rand.Read(raw[8:nonceIDLen]) // never fails since Go 1.24
	var id nonceID
	copy(id[:], raw[:nonceIDLen])
	var sum [sha256.Size]byte
	n.mac(&sum, &id, bind)
	copy(raw[nonceIDLen:], sum[:nonceMACLen])
	return hex.EncodeToString(raw[:])
}

// open checks a received nonce's MAC and returns its identity. A nonce
// that fails is one we never issued to bind under this key (forged, from
// before a restart, or issued to another address).
func (n *noncer) open(s, bind string) (nonceID, bool) {
	var raw [nonceRawLen]byte
	var id nonceID
	if !decodeHex(raw[:], s) {
		return id, false
	}
	copy(id[:], raw[:nonceIDLen])
	var sum [sha256.Size]byte
	n.mac(&sum, &id, bind)
	return id, subtle.ConstantTimeCompare(sum[:nonceMACLen], raw[nonceIDLen:]) == 1
}
