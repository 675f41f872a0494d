package journal

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// The aggregate index is a sidecar file per segment, <segment>.aidx, that
// maps a hash of the envelope's Aggregate to the offsets of its records,
// so reading one aggregate (one call) costs a few small reads per segment
// instead of a scan of the log. Layout (integers little-endian):
//
//	header  = magic[8] base:u64 covered:u64 last:u64 count:u64
//	          blocks:u32 crc:u32
//	fanout  = blocks × (first_hash:u64 block_crc:u32 zero:u32)
//	entries = count × (hash:u64 offset:u64), sorted by (hash, offset),
//	          in blocks of aidxBlockEntries (the last one may be short)
//
// covered is the segment size (header included, a frame boundary) the
// entries describe; records past it are not indexed. crc is CRC-32C of the
// header before it and of the whole fanout, and each block_crc covers one
// block, so a lookup checks only what it reads and a flipped byte anywhere
// is caught by a full check at Open.
const (
	aidxMagic        = "SSAIDX\x00\x01"
	aidxSuffix       = ".aidx"
	aidxTmpSuffix    = ".aidx.tmp"
	aidxHeaderBytes  = 48
	aidxFanoutBytes  = 16
	aidxEntryBytes   = 16
	aidxBlockEntries = 256
)

var errSidecar = errors.New("journal: bad aggregate index")

// aggEntry locates one record of a segment by its aggregate's hash.
type aggEntry struct {
	hash uint64
	off  int64
}

// aggHash is 64-bit FNV-1a (the hash/fnv algorithm, written out so hashing
// a string neither allocates nor goes through an interface): it is stable
// across processes and builds, which an on-disk index needs and
// hash/maphash, seeded per process, is not.
func aggHash[T string | []byte](s T) uint64 {
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	h := uint64(offset64)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime64
	}
	return h
}

// aidxHeader is the decoded header of a sidecar.
type aidxHeader struct {
	base, covered, last, count uint64
	blocks                     uint32
}

func blocksFor(count uint64) uint64 {
	return (count + aidxBlockEntries - 1) / aidxBlockEntries
}

// fileBytes is the exact size a sidecar with h's counts must have.
func (h aidxHeader) fileBytes() int64 {
	return aidxHeaderBytes + int64(h.blocks)*aidxFanoutBytes + int64(h.count)*aidxEntryBytes
}

// encodeSidecar lays out the whole file from a sorted copy of entries
// (log order); the chunks are left alone, as readers of an open journal
// may be scanning them.
func encodeSidecar(base uint64, covered int64, last uint64, entries aggChunks) []byte {
	sorted := entries.sorted()
	h := aidxHeader{base: base, covered: uint64(covered), last: last, count: uint64(len(sorted))}
	h.blocks = uint32(blocksFor(h.count))
	buf := make([]byte, h.fileBytes())
	entriesAt := aidxHeaderBytes + int(h.blocks)*aidxFanoutBytes
	for i, e := range sorted {
		p := entriesAt + i*aidxEntryBytes
		binary.LittleEndian.PutUint64(buf[p:], e.hash)
		binary.LittleEndian.PutUint64(buf[p+8:], uint64(e.off))
	}
	for b := range int(h.blocks) {
		start := entriesAt + b*aidxBlockEntries*aidxEntryBytes
		end := min(start+aidxBlockEntries*aidxEntryBytes, len(buf))
		f := aidxHeaderBytes + b*aidxFanoutBytes
		binary.LittleEndian.PutUint64(buf[f:], sorted[b*aidxBlockEntries].hash)
		binary.LittleEndian.PutUint32(buf[f+8:], crc32.Checksum(buf[start:end], castagnoli))
	}
	copy(buf, aidxMagic)
	binary.LittleEndian.PutUint64(buf[8:], h.base)
	binary.LittleEndian.PutUint64(buf[16:], h.covered)
	binary.LittleEndian.PutUint64(buf[24:], h.last)
	binary.LittleEndian.PutUint64(buf[32:], h.count)
	binary.LittleEndian.PutUint32(buf[40:], h.blocks)
	binary.LittleEndian.PutUint32(buf[44:], headerCRC(buf[:44], buf[aidxHeaderBytes:entriesAt]))
	return buf
}

func headerCRC(head, fanout []byte) uint32 {
	return crc32.Update(crc32.Checksum(head, castagnoli), castagnoli, fanout)
}

// decodeAidxHeader checks the magic and the counts' consistency; the CRC
// is checked once the fanout has been read too.
func decodeAidxHeader(b []byte) (aidxHeader, error) {
	if len(b) < aidxHeaderBytes || string(b[:8]) != aidxMagic {
		return aidxHeader{}, errSidecar
	}
	h := aidxHeader{
		base:    binary.LittleEndian.Uint64(b[8:]),
		covered: binary.LittleEndian.Uint64(b[16:]),
		last:    binary.LittleEndian.Uint64(b[24:]),
		count:   binary.LittleEndian.Uint64(b[32:]),
		blocks:  binary.LittleEndian.Uint32(b[40:]),
	}
	// A record takes more than an entry on disk, so a count that could not
	// fit in covered bytes is garbage, whatever the CRC says.
	if h.count > h.covered/aidxEntryBytes || uint64(h.blocks) != blocksFor(h.count) || h.last+1 < h.base {
		return aidxHeader{}, errSidecar
	}
	return h, nil
}
