package journal

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
)

func sidecarPath(segPath string) string { return segPath + aidxSuffix }

// writeSidecar makes the aggregate index of a segment durable: written to
// a temporary file, synced, then renamed over the final name and the
// directory synced, so a crash leaves either no sidecar or a whole one
// (a leftover temporary file is removed at the next Open).
func writeSidecar(ctx context.Context, segPath string, base uint64, covered int64, last uint64, entries aggChunks, noSync bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	buf := encodeSidecar(base, covered, last, entries)
	final := sidecarPath(segPath)
	tmp := segPath + aidxTmpSuffix
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("journal: create aggregate index: %w", err)
	}
	_, err = f.Write(buf)
	if err == nil {
		err = syncFile(f, noSync)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("journal: write aggregate index %s: %w", filepath.Base(final), err)
	}
	return syncDir(filepath.Dir(segPath), noSync)
}

// checkSidecar reads a whole sidecar and checks every CRC, the counts and
// that it describes segment base and no more than its first size bytes. A
// sidecar that fails any check is to be rebuilt, never trusted.
func checkSidecar(ctx context.Context, segPath string, base uint64, size int64) (aidxHeader, error) {
	if err := ctx.Err(); err != nil {
		return aidxHeader{}, err
	}
	b, err := os.ReadFile(sidecarPath(segPath))
	if err != nil {
		return aidxHeader{}, err
	}
	h, err := decodeAidxHeader(b)
	if err != nil {
		return h, err
	}
	entriesAt := aidxHeaderBytes + int(h.blocks)*aidxFanoutBytes
	switch {
	case int64(len(b)) != h.fileBytes(), h.base != base, h.covered > uint64(size), h.covered < uint64(segmentHeaderBytes):
		return h, errSidecar
	case headerCRC(b[:44], b[aidxHeaderBytes:entriesAt]) != binary.LittleEndian.Uint32(b[44:]):
		return h, errSidecar
	}
	for blk := range int(h.blocks) {
		start := entriesAt + blk*aidxBlockEntries*aidxEntryBytes
		end := min(start+aidxBlockEntries*aidxEntryBytes, len(b))
		f := aidxHeaderBytes + blk*aidxFanoutBytes
		if crc32.Checksum(b[start:end], castagnoli) != binary.LittleEndian.Uint32(b[f+8:]) ||
			binary.LittleEndian.Uint64(b[f:]) != binary.LittleEndian.Uint64(b[start:]) {
			return h, errSidecar
		}
	}
	return h, nil
}

// lookupSidecar returns the offsets, ascending, of the records whose
// aggregate hashes to hash, reading only the header, the fanout and the
// blocks that can hold hash, each checked against its CRC. A missing file
// is returned as fs.ErrNotExist; any other defect as errSidecar.
func lookupSidecar(ctx context.Context, segPath string, base uint64, hash uint64) (aidxHeader, []int64, error) {
	if err := ctx.Err(); err != nil {
		return aidxHeader{}, nil, err
	}
	f, err := os.Open(sidecarPath(segPath))
	if err != nil {
		return aidxHeader{}, nil, err
	}
	defer f.Close()
	var hb [aidxHeaderBytes]byte
	if _, err := f.ReadAt(hb[:], 0); err != nil {
		return aidxHeader{}, nil, fmt.Errorf("%w: %v", errSidecar, err)
	}
	h, err := decodeAidxHeader(hb[:])
	if err != nil || h.base != base {
		return h, nil, errSidecar
	}
	fanout := make([]byte, int(h.blocks)*aidxFanoutBytes)
	if _, err := f.ReadAt(fanout, aidxHeaderBytes); err != nil {
		return h, nil, fmt.Errorf("%w: %v", errSidecar, err)
	}
	if headerCRC(hb[:44], fanout) != binary.LittleEndian.Uint32(hb[44:]) {
		return h, nil, errSidecar
	}
	first := func(i int) uint64 { return binary.LittleEndian.Uint64(fanout[i*aidxFanoutBytes:]) }
	n := int(h.blocks)
	// Entries equal to hash may begin in the block before the first one
	// that starts with it, and run on through every block starting with it.
	lo := max(sort.Search(n, func(i int) bool { return first(i) >= hash })-1, 0)
	hi := sort.Search(n, func(i int) bool { return first(i) > hash })
	if lo >= hi {
		return h, nil, nil
	}
	entriesAt := int64(aidxHeaderBytes) + int64(n)*aidxFanoutBytes
	start := int64(lo) * aidxBlockEntries
	end := min(int64(hi)*aidxBlockEntries, int64(h.count))
	blocks := make([]byte, (end-start)*aidxEntryBytes)
	if _, err := f.ReadAt(blocks, entriesAt+start*aidxEntryBytes); err != nil {
		return h, nil, fmt.Errorf("%w: %v", errSidecar, err)
	}
	var offs []int64
	for blk := lo; blk < hi; blk++ {
		b := blocks[(blk-lo)*aidxBlockEntries*aidxEntryBytes:]
		b = b[:min(len(b), aidxBlockEntries*aidxEntryBytes)]
		if crc32.Checksum(b, castagnoli) != binary.LittleEndian.Uint32(fanout[blk*aidxFanoutBytes+8:]) {
			return h, nil, errSidecar
		}
		for e := 0; e < len(b); e += aidxEntryBytes {
			if binary.LittleEndian.Uint64(b[e:]) == hash {
				offs = append(offs, int64(binary.LittleEndian.Uint64(b[e+8:])))
			}
		}
	}
	return h, offs, nil
}
