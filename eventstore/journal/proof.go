package journal

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"softswitch/domain"
)

// Proof is what a third party needs to check that one envelope is the
// record the journal chained at Position, without the journal:
// SHA-256(Prev || Body) must equal Chain, and Body must decode to the
// envelope. Body is the record's body without its trailing chain field,
// i.e. exactly the bytes the chain hashes (docs/journal.md, "Hash chain").
// Whoever holds the journal, or an anchor taken at or after Position, can
// then confirm Chain; the proof alone shows only that the envelope and the
// two chain values belong together.
type Proof struct {
	Position uint64
	Prev     Chain // chain of Position-1; zeros for position 1
	Chain    Chain // chain stored in the record at Position
	Body     []byte
}

// Head is the last complete record of a journal when it was read.
type Head struct {
	Position uint64
	Chain    Chain
}

// ErrProof is matched (errors.Is) by every *ProofError.
var ErrProof = errors.New("journal: proof does not check")

// ErrNoRecord means a position asked for is not in the journal.
var ErrNoRecord = errors.New("journal: no record at position")

// ProofError says why a Proof does not check.
type ProofError struct {
	Position uint64
	Reason   string
}

func (e *ProofError) Error() string {
	return fmt.Sprintf("journal: proof of position %d: %s", e.Position, e.Reason)
}

// Is makes errors.Is(err, ErrProof) true.
func (e *ProofError) Is(target error) bool { return target == ErrProof }

// CheckProof recomputes p's chain link and decodes its body. It returns
// the envelope the journal held at p.Position, or a *ProofError when the
// link does not hash to p.Chain, the body does not decode or it names
// another position.
func CheckProof(p Proof) (domain.Envelope, error) {
	if len(p.Body) < minBodyBytes-chainBytes {
		return domain.Envelope{}, &ProofError{Position: p.Position, Reason: fmt.Sprintf("body of %d bytes is shorter than a record", len(p.Body))}
	}
	if got := Chain(sha256.Sum256(append(p.Prev[:len(p.Prev):len(p.Prev)], p.Body...))); got != p.Chain {
		return domain.Envelope{}, &ProofError{Position: p.Position, Reason: "sha256(prev || body) is not the record's chain value"}
	}
	// decodeBody reads a stored body, which ends with the chain field.
	env, err := decodeBody(append(p.Body[:len(p.Body):len(p.Body)], p.Chain[:]...))
	if err != nil {
		return domain.Envelope{}, &ProofError{Position: p.Position, Reason: "body does not decode: " + err.Error()}
	}
	if env.Position != p.Position {
		return domain.Envelope{}, &ProofError{Position: p.Position, Reason: fmt.Sprintf("body holds position %d", env.Position)}
	}
	return env, nil
}

// ReadProofs reads the proof of each position from the journal in dir, in
// the order asked. Like Verify it takes no lock and only reads, so it runs
// beside a live writer; positions must already be durable (acknowledged).
// Only the segments holding a position or the record just before it are
// read. Every proof is checked with CheckProof before it is returned, so a
// damaged record is an error here (*ProofError, or a *ChainError for a
// frame that fails its CRC) rather than a bundle that later fails; a
// position the journal does not hold wraps ErrNoRecord.
func ReadProofs(ctx context.Context, dir string, positions []uint64) ([]Proof, error) {
	bases, err := listSegments(dir)
	if err != nil {
		return nil, err
	}
	// chains and bodies wanted: the record itself and the one before it,
	// whose stored chain is the record's prev.
	want := map[uint64]bool{}
	for _, p := range positions {
		if p == 0 {
			return nil, fmt.Errorf("%w: position 0", ErrNoRecord)
		}
		want[p] = true
		if p > 1 {
			want[p-1] = true
		}
	}
	sc := proofScan{ctx: ctx, want: want, chains: map[uint64]Chain{}, bodies: map[uint64][]byte{}}
	for i, base := range bases {
		end := uint64(0) // 0: the last segment, open-ended
		if i+1 < len(bases) {
			end = bases[i+1]
		}
		if !sc.needs(base, end) {
			continue
		}
		if err := sc.segment(filepath.Join(dir, segmentName(base)), base, end == 0); err != nil {
			return nil, err
		}
	}
	out := make([]Proof, 0, len(positions))
	for _, p := range positions {
		body, ok := sc.bodies[p]
		if !ok {
			return nil, fmt.Errorf("%w %d in %s", ErrNoRecord, p, dir)
		}
		pr := Proof{Position: p, Chain: sc.chains[p], Body: body}
		if p > 1 {
			prev, ok := sc.chains[p-1]
			if !ok {
				return nil, fmt.Errorf("%w %d (before %d) in %s", ErrNoRecord, p-1, p, dir)
			}
			pr.Prev = prev
		}
		if _, err := CheckProof(pr); err != nil {
			return nil, err
		}
		out = append(out, pr)
	}
	return out, nil
}

// proofScan collects stored chains, and bodies for asked positions, from
// segment files.
type proofScan struct {
	ctx    context.Context
	want   map[uint64]bool
	chains map[uint64]Chain
	bodies map[uint64][]byte
	buf    []byte
}

// needs reports whether a segment holding positions base..end-1 (end 0:
// no upper bound) holds a wanted record.
func (s *proofScan) needs(base, end uint64) bool {
	for p := range s.want {
		if p >= base && (end == 0 || p < end) {
			return true
		}
	}
	return false
}

// segment reads path frame by frame until it ends or holds no more wanted
// records. A bad frame in the last segment (isLast) only stops it: on a
// live journal it may be a write still landing, and wanted positions are
// durable, so they precede it; ReadProofs then reports any position it did
// not find. Anywhere else a bad frame is damage.
func (s *proofScan) segment(path string, base uint64, isLast bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("journal: proofs: %w", err)
	}
	defer f.Close()
	var magic [segmentHeaderBytes]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil || string(magic[:]) != segmentMagic {
		if err == nil && string(magic[:len(segmentMagicPrefix)]) == segmentMagicPrefix {
			return fmt.Errorf("%w: segment %s is not format 2 (hash chained)", ErrFormat, filepath.Base(path))
		}
		return nil // being created: it holds no durable record yet
	}
	last := s.lastWanted()
	next := base // position the next frame should hold, for errors
	r := bufio.NewReaderSize(f, 1<<20)
	for n := 1; ; n++ {
		var body []byte
		body, s.buf, err = readFrame(r, s.buf)
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, errTorn), errors.Is(err, errChecksum):
			if isLast {
				return nil
			}
			return &ChainError{Position: next, Segment: filepath.Base(path), Reason: "record fails its CRC or is cut short: " + err.Error()}
		case err != nil:
			return fmt.Errorf("journal: proofs: %w", err)
		}
		if n%4096 == 0 {
			if err := s.ctx.Err(); err != nil {
				return err
			}
		}
		pos := bodyPosition(body)
		if s.want[pos] {
			s.chains[pos] = bodyChain(body)
			s.bodies[pos] = slices.Clone(body[:len(body)-chainBytes])
		}
		if pos >= last {
			return nil
		}
		next = pos + 1
	}
}

func (s *proofScan) lastWanted() uint64 {
	var last uint64
	for p := range s.want {
		last = max(last, p)
	}
	return last
}

// ReadHead returns the last complete record of the journal in dir, read
// without a lock beside a live writer (a frame still being written is not
// complete and is skipped). An empty journal has a zero Head.
func ReadHead(ctx context.Context, dir string) (Head, error) {
	bases, err := listSegments(dir)
	if err != nil {
		return Head{}, err
	}
	// The newest segment may have been created an instant ago and hold
	// nothing yet: then the head is in the one before it.
	for _, base := range slices.Backward(bases) {
		h, err := lastRecord(ctx, filepath.Join(dir, segmentName(base)))
		if err != nil || h.Position != 0 {
			return h, err
		}
	}
	return Head{}, nil
}

// lastRecord scans one segment to its last complete frame.
func lastRecord(ctx context.Context, path string) (Head, error) {
	f, err := os.Open(path)
	if err != nil {
		return Head{}, fmt.Errorf("journal: head: %w", err)
	}
	defer f.Close()
	var magic [segmentHeaderBytes]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil || string(magic[:]) != segmentMagic {
		if err == nil && string(magic[:len(segmentMagicPrefix)]) == segmentMagicPrefix {
			return Head{}, fmt.Errorf("%w: segment %s is not format 2 (hash chained)", ErrFormat, filepath.Base(path))
		}
		return Head{}, nil
	}
	var h Head
	var buf, body []byte
	r := bufio.NewReaderSize(f, 1<<20)
	for n := 1; ; n++ {
		body, buf, err = readFrame(r, buf)
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, errTorn), errors.Is(err, errChecksum):
			return h, nil
		case err != nil:
			return Head{}, fmt.Errorf("journal: head: %w", err)
		}
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return Head{}, err
			}
		}
		h = Head{Position: bodyPosition(body), Chain: bodyChain(body)}
	}
}
