package journal

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"time"

	"softswitch/domain"
)

// ErrChainBroken is matched (errors.Is) by every *ChainError.
var ErrChainBroken = errors.New("journal: hash chain broken")

// ChainError names the first position at which Verify found the log
// inconsistent: a record whose CRC or chain does not check, a position
// missing or out of order, or a segment cut short.
type ChainError struct {
	Position uint64 // first position that is missing, altered or out of place
	Segment  string // segment file name, when known
	Offset   int64  // byte offset in Segment, when known
	Reason   string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("chain broken at position %d: %s", e.Position, e.Reason)
}

// Is makes errors.Is(err, ErrChainBroken) true.
func (e *ChainError) Is(target error) bool { return target == ErrChainBroken }

// VerifyResult is what an intact Verify covered.
type VerifyResult struct {
	From      uint64 `json:"from"`       // first position checked
	Count     uint64 `json:"count"`      // records whose CRC and chain were checked
	Head      uint64 `json:"head"`       // last position checked, 0 if none
	HeadChain string `json:"head_chain"` // hex chain stored in Head (of position From-1, or zeros, if none)
	Segments  int    `json:"segments"`   // segment files read
	// TornTailBytes counts bytes after the last complete record of the
	// last segment: a write in progress, or a crash tail that the next
	// Open truncates. They hold no acknowledged record.
	TornTailBytes int64         `json:"torn_tail_bytes"`
	Elapsed       time.Duration `json:"elapsed_ns"`
}

// verifyTailRetry is how long Verify waits before re-reading a bad frame at
// the end of the last segment, which may be a write still being copied in.
const verifyTailRetry = 50 * time.Millisecond

// Verify recomputes the hash chain of the journal in dir over positions
// from..to (0 and 0 mean the whole log; to beyond the head is an error)
// and checks every record's CRC, position and chain. It takes no lock and
// only reads, so it runs beside a live writer; it checks the records
// present when each segment is opened.
//
// Records before from are read only to find position from-1, whose stored
// chain (its CRC checked) seeds the range; verifying from 1 trusts nothing
// but the zero seed. The first inconsistency is returned as a *ChainError
// (errors.Is ErrChainBroken) naming its position. A segment in an older
// format fails with ErrFormat.
func Verify(ctx context.Context, dir string, from, to uint64) (VerifyResult, error) {
	return VerifyEach(ctx, dir, from, to, nil, nil)
}

// VerifyEach is Verify that also hands fn, in log order, every record of
// the range whose type is one of types, decoded, once its chain checked:
// what the chain vouches for is read in the same pass (audit verify
// checks recordings' files against their call.recording events). An
// error from fn, or a chained record that does not decode, ends it.
func VerifyEach(ctx context.Context, dir string, from, to uint64, types []string, fn func(domain.Envelope) error) (VerifyResult, error) {
	start := time.Now()
	if from == 0 {
		from = 1
	}
	res := VerifyResult{From: from}
	if to != 0 && to < from {
		return res, fmt.Errorf("journal: verify: to %d is before from %d", to, from)
	}
	bases, err := listSegments(dir)
	if err != nil {
		return res, err
	}
	v := verifier{ctx: ctx, from: from, to: to, next: 1, sha: sha256.New(), res: &res, types: types, each: fn}
	for i, base := range bases {
		if base != v.next {
			if base < v.next {
				return res, &ChainError{Position: base, Segment: segmentName(base),
					Reason: fmt.Sprintf("segment %s starts at %d, inside the previous segment (which ends at %d)", segmentName(base), base, v.next-1)}
			}
			return res, &ChainError{Position: v.next, Segment: segmentName(base),
				Reason: fmt.Sprintf("positions %d..%d missing: segment %s starts at %d", v.next, base-1, segmentName(base), base)}
		}
		if to != 0 && base > to {
			break
		}
		// A segment wholly before from-1 is not read at all.
		if i+1 < len(bases) && bases[i+1] <= from-1 {
			v.next = bases[i+1]
			continue
		}
		res.Segments++
		done, err := v.segment(filepath.Join(dir, segmentName(base)), i == len(bases)-1)
		if err != nil {
			return res, err
		}
		if done {
			break
		}
	}
	res.HeadChain = hex.EncodeToString(v.prev[:])
	res.Elapsed = time.Since(start)
	last := v.next - 1
	if to != 0 && last < to {
		return res, fmt.Errorf("journal: verify: range ends at %d but the log ends at %d", to, last)
	}
	if from > last+1 {
		return res, fmt.Errorf("journal: verify: range starts at %d but the log ends at %d", from, last)
	}
	return res, nil
}

type verifier struct {
	ctx      context.Context
	from, to uint64
	next     uint64 // position the next record must have
	prev     Chain  // chain of next-1 (zero before position 1)
	sha      hash.Hash
	buf      []byte
	n        int
	res      *VerifyResult
	types    []string                    // of the records each sees
	each     func(domain.Envelope) error // nil: Verify
}

// segment verifies one file; done reports that to was reached.
func (v *verifier) segment(path string, isLast bool) (done bool, err error) {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("journal: verify: %w", err)
	}
	defer f.Close()
	var magic [segmentHeaderBytes]byte
	if _, err := f.ReadAt(magic[:], 0); err != nil || string(magic[:]) != segmentMagic {
		if err == nil && string(magic[:len(segmentMagicPrefix)]) == segmentMagicPrefix {
			return false, fmt.Errorf("%w: segment %s is not format 2 (hash chained)", ErrFormat, name)
		}
		if isLast && errors.Is(err, io.EOF) {
			return false, nil // being created, or a crash while rolling
		}
		return false, &ChainError{Position: v.next, Segment: name, Reason: fmt.Sprintf("segment %s has a bad header", name)}
	}
	off := segmentHeaderBytes
	retried := false
	for {
		st, err := f.Stat()
		if err != nil {
			return false, fmt.Errorf("journal: verify: %w", err)
		}
		size := st.Size()
		done, bad, err := v.frames(bufio.NewReaderSize(io.NewSectionReader(f, off, size-off), 1<<20), &off)
		if done || err == nil && bad == nil {
			return done, err
		}
		if err != nil {
			var ce *ChainError
			if errors.As(err, &ce) {
				ce.Segment = name
			}
			return false, err
		}
		if isLast && !retried && off+frameHeaderBytes+int64(v.lenAt(f, off)) >= size {
			// The bad frame is the last bytes of the live segment: it may
			// be a write still landing. Look again once.
			retried = true
			select {
			case <-time.After(verifyTailRetry):
			case <-v.ctx.Done():
				return false, v.ctx.Err()
			}
			continue
		}
		if isLast && errors.Is(bad, errTorn) {
			v.res.TornTailBytes = size - off
			return false, nil
		}
		if errors.Is(bad, errTorn) {
			return false, &ChainError{Position: v.next, Segment: name, Offset: off,
				Reason: fmt.Sprintf("segment %s cut short at offset %d (partial record)", name, off)}
		}
		return false, &ChainError{Position: v.next, Segment: name, Offset: off,
			Reason: fmt.Sprintf("record at %s offset %d fails its CRC (altered bytes)", name, off)}
	}
}

func (v *verifier) lenAt(f *os.File, off int64) uint32 {
	var hdr [4]byte
	if _, err := f.ReadAt(hdr[:], off); err != nil {
		return 0
	}
	return uint32(hdr[0]) | uint32(hdr[1])<<8 | uint32(hdr[2])<<16 | uint32(hdr[3])<<24
}

// frames checks records from r, which starts at *off, advancing *off past
// each good one. bad is the framing error (errTorn, errChecksum) that
// stopped it at *off; err is a chain break or an I/O error.
func (v *verifier) frames(r io.Reader, off *int64) (done bool, bad, err error) {
	for {
		var body []byte
		body, v.buf, err = readFrame(r, v.buf)
		switch {
		case errors.Is(err, io.EOF):
			return false, nil, nil
		case errors.Is(err, errTorn), errors.Is(err, errChecksum):
			return false, err, nil
		case err != nil:
			return false, nil, fmt.Errorf("journal: verify: %w", err)
		}
		if v.n++; v.n%4096 == 0 {
			if err := v.ctx.Err(); err != nil {
				return false, nil, err
			}
		}
		pos := bodyPosition(body)
		if pos != v.next {
			return false, nil, &ChainError{Position: v.next, Offset: *off,
				Reason: fmt.Sprintf("found position %d where %d belongs (record deleted, inserted or reordered)", pos, v.next)}
		}
		stored := bodyChain(body)
		if pos >= v.from {
			if chainOf(v.sha, &v.prev, body) != stored {
				return false, nil, &ChainError{Position: pos, Offset: *off,
					Reason: "chain mismatch: the record, or the one before it, was altered"}
			}
			v.res.Count++
			v.res.Head = pos
			if err := v.visit(body, pos); err != nil {
				return false, nil, err
			}
		}
		v.prev = stored
		v.next++
		*off += frameHeaderBytes + int64(len(body))
		if v.to != 0 && pos >= v.to {
			return true, nil, nil
		}
	}
}

// visit hands a checked record to each when its type is wanted, comparing
// the type's bytes before decoding anything.
func (v *verifier) visit(body []byte, pos uint64) error {
	if v.each == nil {
		return nil
	}
	typ, ok := bodyString(body, fieldType)
	if !ok {
		return fmt.Errorf("journal: verify: position %d: %w", pos, errDecode)
	}
	// A loop, not slices.Contains: string(typ) in a comparison does not
	// allocate, and this runs for every record.
	wanted := false
	for _, t := range v.types {
		wanted = wanted || string(typ) == t
	}
	if !wanted {
		return nil
	}
	env, err := decodeBody(body)
	if err != nil {
		return fmt.Errorf("journal: verify: position %d: %w", pos, err)
	}
	return v.each(env)
}
