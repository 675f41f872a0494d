package journal

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// segmentMagic opens every segment file so a stray file in the directory,
// or a future incompatible format, is refused instead of misread. Version 2
// added the hash chain to every record; version 1 files are refused with
// ErrFormat.
const (
	segmentMagic       = "SSJRNL\x00\x02"
	segmentMagicPrefix = "SSJRNL\x00"
	segmentHeaderBytes = int64(len(segmentMagic))
	segmentSuffix      = ".seg"
	// indexEveryBytes is the sparse index stride: Read from any position
	// scans at most this many bytes before reaching it.
	indexEveryBytes = 64 << 10
)

// segment describes one file. Everything but base and path is guarded by
// Journal.mu and only ever covers durable bytes.
type segment struct {
	base  uint64 // position of the first record it holds or will hold
	path  string
	size  int64  // durable bytes, header included
	last  uint64 // last durable position in it; base-1 when empty
	index []indexEntry
	// agg locates every durable record by aggregate hash, in log order,
	// until the segment's sidecar is durable (indexed); then it is
	// dropped. Entries are only ever appended, so a reader may keep
	// scanning a slice it took under the lock.
	agg     aggChunks
	indexed bool
}

// indexEntry locates a record; the first record of a segment is implicit
// at segmentHeaderBytes and never stored.
type indexEntry struct {
	pos uint64
	off int64
}

func segmentName(base uint64) string {
	return fmt.Sprintf("%020d%s", base, segmentSuffix)
}

// listSegments returns segment bases found in dir, ascending.
func listSegments(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("journal: list %s: %w", dir, err)
	}
	var bases []uint64
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), segmentSuffix)
		if !ok || e.IsDir() {
			continue
		}
		base, err := strconv.ParseUint(name, 10, 64)
		if err != nil || base == 0 {
			return nil, fmt.Errorf("journal: unexpected segment file %q", e.Name())
		}
		bases = append(bases, base)
	}
	sort.Slice(bases, func(i, k int) bool { return bases[i] < bases[k] })
	return bases, nil
}

// seek returns the offset of the last indexed record at or before pos.
func (s *segment) seek(pos uint64) int64 {
	i := sort.Search(len(s.index), func(i int) bool { return s.index[i].pos > pos })
	if i == 0 {
		return segmentHeaderBytes
	}
	return s.index[i-1].off
}

// createSegment makes a new empty segment durable, directory entry
// included, before any record is written to it: otherwise a power loss
// could keep records whose file name never reached the disk.
func createSegment(dir string, base uint64, noSync bool) (*os.File, *segment, error) {
	path := filepath.Join(dir, segmentName(base))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("journal: create segment: %w", err)
	}
	if err := writeHeader(f, noSync); err != nil {
		f.Close()
		return nil, nil, err
	}
	if err := syncDir(dir, noSync); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, &segment{base: base, path: path, size: segmentHeaderBytes, last: base - 1}, nil
}

func writeHeader(f *os.File, noSync bool) error {
	if _, err := f.Write([]byte(segmentMagic)); err != nil {
		return fmt.Errorf("journal: write segment header: %w", err)
	}
	return syncFile(f, noSync)
}

func syncFile(f *os.File, noSync bool) error {
	if noSync {
		return nil
	}
	// fdatasync skips the inode timestamps but still flushes the size, which
	// is all an appended file needs to find its data again.
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		return fmt.Errorf("journal: fdatasync %s: %w", f.Name(), err)
	}
	return nil
}

func syncDir(dir string, noSync bool) error {
	if noSync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("journal: open dir for sync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("journal: sync dir: %w", err)
	}
	return nil
}
