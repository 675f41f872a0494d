package journal

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"softswitch/eventstore"
)

var errPosition = errors.New("journal: position out of sequence")

// scanResult is what one pass over a segment found.
type scanResult struct {
	seg      *segment // covers the valid prefix only
	fileSize int64
	// cause is nil for a clean segment; otherwise the valid prefix ends at
	// seg.size and cause says why the next bytes were rejected.
	cause error
	// corruptMidway is set when a complete record further on is valid
	// again: the bad bytes are then damage, not a write cut short, and
	// truncating would throw acknowledged records away.
	corruptMidway bool
	// chain is the chain stored in the last valid record (zero when the
	// segment holds none).
	chain Chain
	// agg locates each valid record by aggregate hash, when asked for.
	agg aggChunks
}

// recoverSegments validates every segment in dir and truncates a torn tail
// off the last one. A problem anywhere else wraps eventstore.ErrCorrupt. It
// also returns the chain head: the chain stored in the last valid record,
// from which the writer links the next one (zero for an empty journal). It
// checks CRCs, not the chain: that is Verify's job, and it would make every
// Open hash the whole log.
func recoverSegments(ctx context.Context, dir string, noSync bool, logger *slog.Logger) ([]*segment, Chain, error) {
	var head Chain
	if err := cleanSidecars(dir); err != nil {
		return nil, head, err
	}
	bases, err := listSegments(dir)
	if err != nil {
		return nil, head, err
	}
	segs := make([]*segment, 0, len(bases))
	next := uint64(1)
	for i, base := range bases {
		name := segmentName(base)
		if base != next {
			return nil, head, fmt.Errorf("%w: segment %s starts at %d, want %d", eventstore.ErrCorrupt, name, base, next)
		}
		path := filepath.Join(dir, name)
		isLast := i == len(bases)-1
		// A sealed segment whose sidecar checks needs no aggregate
		// entries; the active one keeps them in memory.
		indexed := !isLast && sealedSidecarOK(ctx, path, base)
		res, err := scanSegment(ctx, path, base, !indexed)
		if err != nil {
			return nil, head, err
		}
		if res.cause != nil {
			if !isLast || res.corruptMidway || errors.Is(res.cause, eventstore.ErrCorrupt) {
				return nil, head, fmt.Errorf("%w: segment %s offset %d: %v", eventstore.ErrCorrupt, name, res.seg.size, res.cause)
			}
			if err := truncateTail(res, noSync); err != nil {
				return nil, head, err
			}
			logger.Warn("journal: truncated torn tail",
				"segment", name, "offset", res.seg.size,
				"dropped_bytes", res.fileSize-res.seg.size, "cause", res.cause.Error())
		}
		if err := settleSidecar(ctx, res, isLast, indexed, noSync, logger); err != nil {
			return nil, head, err
		}
		segs = append(segs, res.seg)
		next = res.seg.last + 1
		if res.seg.last >= res.seg.base {
			head = res.chain
		}
	}
	return segs, head, nil
}

func truncateTail(res scanResult, noSync bool) error {
	f, err := os.OpenFile(res.seg.path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("journal: open for truncate: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(res.seg.size); err != nil {
		return fmt.Errorf("journal: truncate %s: %w", res.seg.path, err)
	}
	if res.seg.size == 0 {
		// The crash hit while the segment was being created: finish that
		// so the file looks like any other empty segment.
		if _, err := f.WriteAt([]byte(segmentMagic), 0); err != nil {
			return fmt.Errorf("journal: rewrite header: %w", err)
		}
		res.seg.size = segmentHeaderBytes
	}
	return syncFile(f, noSync)
}

// scanSegment validates one segment; with collect it also gathers the
// aggregate entries of its valid records.
func scanSegment(ctx context.Context, path string, base uint64, collect bool) (scanResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return scanResult{}, fmt.Errorf("journal: open segment: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return scanResult{}, fmt.Errorf("journal: stat segment: %w", err)
	}
	seg := &segment{base: base, path: path, last: base - 1}
	res := scanResult{seg: seg, fileSize: st.Size()}

	var magic [segmentHeaderBytes]byte
	if _, err := f.ReadAt(magic[:], 0); err != nil {
		if errors.Is(err, io.EOF) {
			res.cause = errTorn
			return res, nil
		}
		return res, fmt.Errorf("journal: read segment header: %w", err)
	}
	if string(magic[:]) != segmentMagic {
		if string(magic[:len(segmentMagicPrefix)]) == segmentMagicPrefix {
			return res, fmt.Errorf("%w: segment %s is format %d, this build reads format %d (hash chained); move the old journal aside",
				ErrFormat, filepath.Base(path), binary.BigEndian.Uint16(magic[6:]), binary.BigEndian.Uint16([]byte(segmentMagic[6:])))
		}
		res.cause = fmt.Errorf("%w: bad segment header", eventstore.ErrCorrupt)
		return res, nil
	}

	off := segmentHeaderBytes
	lastIndexed := off
	br := bufio.NewReaderSize(io.NewSectionReader(f, off, st.Size()-off), 1<<20)
	var buf []byte
	for n := 0; ; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
		var body []byte
		body, buf, err = readFrame(br, buf)
		switch {
		case errors.Is(err, io.EOF):
			seg.size = off
			return res, nil
		case errors.Is(err, errTorn), errors.Is(err, errChecksum):
			res.cause = err
		case err != nil:
			return res, fmt.Errorf("journal: read segment: %w", err)
		case bodyPosition(body) != seg.last+1:
			res.cause = fmt.Errorf("%w: got %d, want %d", errPosition, bodyPosition(body), seg.last+1)
		default:
			if _, derr := decodeBody(body); derr != nil {
				res.cause = derr
			}
		}
		if res.cause != nil {
			seg.size = off
			res.corruptMidway = validRecordFollows(f, off, st.Size(), seg.last+2)
			return res, nil
		}
		if off-lastIndexed >= indexEveryBytes {
			seg.index = append(seg.index, indexEntry{pos: seg.last + 1, off: off})
			lastIndexed = off
		}
		if collect {
			agg, _ := bodyAggregate(body)
			res.agg = res.agg.add([]aggEntry{{hash: aggHash(agg), off: off}})
		}
		seg.last++
		res.chain = bodyChain(body)
		off += frameHeaderBytes + int64(len(body))
	}
}

// validRecordFollows reports whether, skipping the bad frame at off by its
// own length field, a valid frame holding position want comes next.
func validRecordFollows(f *os.File, off, size int64, want uint64) bool {
	var hdr [frameHeaderBytes]byte
	if _, err := f.ReadAt(hdr[:], off); err != nil {
		return false
	}
	n := int64(binary.LittleEndian.Uint32(hdr[:]))
	nextOff := off + frameHeaderBytes + n
	if n > MaxRecordBytes || nextOff+frameHeaderBytes > size {
		return false
	}
	body, _, err := readFrame(io.NewSectionReader(f, nextOff, size-nextOff), nil)
	return err == nil && bodyPosition(body) == want
}
