// Package ids makes the switch's own identifiers: a call's id is the
// node's id and a ULID (lexicographically sortable by creation time, 80
// random bits), never a value an endpoint sent. Unique across nodes (the
// node id), restarts (the time) and within a millisecond (monotonic
// random part, as the ULID spec's monotonicity section describes).
package ids

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// crockford is the ULID alphabet (Crockford's base32: no I, L, O, U).
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// Generator makes ids for one node. It is safe for concurrent use.
type Generator struct {
	prefix string
	now    func() time.Time

	mu   sync.Mutex
	ms   uint64
	hi   uint16 // the random part: 16 high bits
	lo   uint64 // and 64 low bits
	fill func([]byte)
}

// New returns a generator of ids "<node>-<ULID>".
func New(node string, now func() time.Time) *Generator {
	return &Generator{prefix: node + "-", now: now, fill: func(b []byte) { _, _ = rand.Read(b) }}
}

// Next returns a new id. Within one millisecond the random part of each
// id is the previous one plus one, so ids stay unique and ordered however
// many are made; a new millisecond draws fresh randomness.
func (g *Generator) Next() string {
	ms := uint64(g.now().UnixMilli())
	g.mu.Lock()
	if ms <= g.ms {
		// Same millisecond, or the clock stepped back: keep the last
		// time and count up, so an id never repeats or sorts backwards.
		g.lo++
		if g.lo == 0 {
			g.hi++
			if g.hi == 0 {
				// 2^80 ids in one millisecond: borrow the next one
				// rather than wrap (the spec would fail instead).
				g.ms++
			}
		}
	} else {
		var b [10]byte
		g.fill(b[:])
		g.ms, g.hi, g.lo = ms, binary.BigEndian.Uint16(b[:2]), binary.BigEndian.Uint64(b[2:])
	}
	ms, hi, lo := g.ms, g.hi, g.lo
	g.mu.Unlock()
	return g.prefix + encode(ms, hi, lo)
}

// encode writes the 128-bit ULID (48-bit time, 80-bit random) as 26
// base32 characters, most significant first.
func encode(ms uint64, hi uint16, lo uint64) string {
	var b [16]byte
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	binary.BigEndian.PutUint16(b[6:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	var out [26]byte
	// 130 bits of output for 128 of input: the first character holds the
	// top 3 bits (2 leading zero bits).
	var acc uint64
	bits, o := 2, 0
	for _, v := range b {
		acc = acc<<8 | uint64(v)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out[o] = crockford[(acc>>uint(bits))&31]
			o++
		}
	}
	return string(out[:])
}
