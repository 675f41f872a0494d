package boltstore

import (
	"encoding/binary"
	"time"
)

// Bucket and key names. The layout is part of the file format: changing it
// needs a migration or a rebuild from the journal. Constants, converted at
// each use, so no package-level byte slice can be mutated by accident.
const (
	bucketCDRs    = "cdrs"     // id -> CDR JSON
	bucketByStart = "by_start" // timeKey(start) + call id + 0x00 + id -> id
	bucketMeta    = "meta"     // keyCheckpoint -> uint64 big endian
	keyCheckpoint = "checkpoint"
)

// timeKeyLen is the size of the fixed-width time prefix of an index key.
const timeKeyLen = 12

// timeKey encodes t so that byte order is time order: seconds offset by 2^63
// (so instants before 1970 sort first) then nanoseconds, both big endian.
func timeKey(t time.Time) []byte {
	k := make([]byte, timeKeyLen, timeKeyLen+64)
	binary.BigEndian.PutUint64(k[0:8], uint64(t.Unix())^(1<<63))
	binary.BigEndian.PutUint32(k[8:12], uint32(t.Nanosecond()))
	return k
}

// indexKey orders records by start time, then call id; the id at the end
// keeps keys unique should two records ever share both.
func indexKey(start time.Time, callID, id string) []byte {
	k := timeKey(start)
	k = append(k, callID...)
	k = append(k, 0)
	return append(k, id...)
}

func encodeUint64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}
