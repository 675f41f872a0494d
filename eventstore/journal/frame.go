package journal

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"time"

	"softswitch/domain"
)

// On-disk record layout (all integers little-endian):
//
//	frame  = length:u32 crc:u32 body[length]
//	body   = position:u64 seq:uvarint version:varint
//	         unix_sec:varint nanos:uvarint
//	         id:str type:str aggregate:str node:str payload:str
//	         chain:[32]
//	str    = len:uvarint bytes[len]
//
// crc is CRC-32C (Castagnoli) of body. Position is a fixed 8 bytes at the
// start of body so the writer can stamp it after the caller has encoded the
// rest in parallel. chain = SHA-256(previous record's chain || body without
// its chain), the previous record being position-1 (32 zero bytes before
// position 1), so the chain follows the log's total order across segments.
const (
	frameHeaderBytes = 8
	chainBytes       = sha256.Size
	// minBodyBytes is a position and a chain with nothing between: less
	// than any real record, so a smaller length is garbage.
	minBodyBytes = 8 + chainBytes
	// MaxRecordBytes bounds one encoded body. It also lets recovery tell a
	// garbage length field from a real one without reading gigabytes.
	MaxRecordBytes = 16 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	errTorn     = errors.New("journal: torn frame")
	errChecksum = errors.New("journal: checksum mismatch")
	errDecode   = errors.New("journal: undecodable body")
)

// appendFrame encodes env with a zero position and no checksum; stampFrame
// completes it once the writer knows the position.
func appendFrame(dst []byte, env *domain.Envelope) ([]byte, error) {
	start := len(dst)
	dst = append(dst, make([]byte, frameHeaderBytes+8)...)
	dst = binary.AppendUvarint(dst, env.Seq)
	dst = binary.AppendVarint(dst, int64(env.Version))
	dst = binary.AppendVarint(dst, env.Time.Unix())
	dst = binary.AppendUvarint(dst, uint64(env.Time.Nanosecond()))
	dst = appendString(dst, env.ID)
	dst = appendString(dst, env.Type)
	dst = appendString(dst, env.Aggregate)
	dst = appendString(dst, env.Node)
	dst = appendString(dst, string(env.Payload))
	dst = append(dst, make([]byte, chainBytes)...) // stamped by the writer
	n := len(dst) - start - frameHeaderBytes
	if n > MaxRecordBytes {
		return dst[:start], fmt.Errorf("%w: %d bytes (max %d), id %q", ErrRecordTooLarge, n, MaxRecordBytes, env.ID)
	}
	binary.LittleEndian.PutUint32(dst[start:], uint32(n))
	return dst, nil
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// Chain is one link of the hash chain: the SHA-256 stored in a record.
type Chain [chainBytes]byte

// stampFrame writes pos into an encoded frame, links it to prev and seals
// it with its CRC. It returns the record's chain, the next record's prev.
func stampFrame(frame []byte, pos uint64, prev *Chain, h hash.Hash) Chain {
	body := frame[frameHeaderBytes:]
	binary.LittleEndian.PutUint64(body, pos)
	c := chainOf(h, prev, body)
	copy(body[len(body)-chainBytes:], c[:])
	binary.LittleEndian.PutUint32(frame[4:], crc32.Checksum(body, castagnoli))
	return c
}

// chainOf computes SHA-256(prev || body without its chain field) with h, a
// reused sha256 digest.
func chainOf(h hash.Hash, prev *Chain, body []byte) Chain {
	h.Reset()
	h.Write(prev[:])
	h.Write(body[:len(body)-chainBytes])
	var c Chain
	h.Sum(c[:0])
	return c
}

// bodyChain returns the chain stored in a verified body.
func bodyChain(body []byte) (c Chain) {
	copy(c[:], body[len(body)-chainBytes:])
	return c
}

// frameLen returns the total length of the frame starting at b.
func frameLen(b []byte) int {
	return frameHeaderBytes + int(binary.LittleEndian.Uint32(b))
}

// readFrame reads one frame from r into buf (grown as needed) and returns
// the verified body. io.EOF means r ended exactly on a frame boundary.
func readFrame(r io.Reader, buf []byte) (body, newBuf []byte, err error) {
	var hdr [frameHeaderBytes]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, buf, errTorn
		}
		return nil, buf, err
	}
	n := binary.LittleEndian.Uint32(hdr[:])
	if n < minBodyBytes || n > MaxRecordBytes {
		return nil, buf, fmt.Errorf("%w: length %d", errChecksum, n)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	body = buf[:n]
	if _, err := io.ReadFull(r, body); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, buf, errTorn
		}
		return nil, buf, err
	}
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(hdr[4:]) {
		return nil, buf, errChecksum
	}
	return body, buf, nil
}

// bodyPosition reads the position without decoding the rest, so Read can
// skip records before from cheaply.
func bodyPosition(body []byte) uint64 {
	return binary.LittleEndian.Uint64(body)
}

func decodeBody(body []byte) (domain.Envelope, error) {
	d := decoder{b: body[8 : len(body)-chainBytes]}
	env := domain.Envelope{Position: bodyPosition(body)}
	env.Seq = d.uvarint()
	v := d.varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.err = true
	}
	env.Version = int(v)
	sec := d.varint()
	nsec := d.uvarint()
	if nsec >= uint64(time.Second) {
		d.err = true
	}
	env.Time = time.Unix(sec, int64(nsec)).UTC()
	env.ID = string(d.bytes())
	env.Type = string(d.bytes())
	env.Aggregate = string(d.bytes())
	env.Node = string(d.bytes())
	if p := d.bytes(); len(p) > 0 {
		env.Payload = append([]byte(nil), p...)
	}
	if d.err || len(d.b) != 0 {
		return domain.Envelope{}, errDecode
	}
	return env, nil
}

// decoder latches the first error so decodeBody reads straight through.
type decoder struct {
	b   []byte
	err bool
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = true
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = true
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err = true
		d.b = nil
		return nil
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}
