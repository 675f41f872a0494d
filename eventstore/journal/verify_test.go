package journal_test

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"softswitch/domain"
	"softswitch/eventstore/journal"
	"softswitch/eventstore/storetest"
)

// chainJournal writes n records in batches of 7 into small segments (so the
// log spans several of them) and closes it.
func chainJournal(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	j, err := journal.Open(t.Context(), dir, journal.Options{SegmentBytes: 8 << 10, NoSync: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, j, 0, n)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func appendN(t *testing.T, j *journal.Journal, first, n int) {
	t.Helper()
	for i := 0; i < n; i += 7 {
		var envs []domain.Envelope
		for k := i; k < min(i+7, n); k++ {
			envs = append(envs, storetest.Envelope(first+k, "call:v", uint64(first+k+1)))
		}
		if err := j.Append(t.Context(), envs); err != nil {
			t.Fatal(err)
		}
	}
}

// record is one frame as found on disk.
type record struct {
	path     string
	off, end int64
	pos      uint64
}

// records walks every segment in dir frame by frame.
func records(t *testing.T, dir string) []record {
	t.Helper()
	var out []record
	for _, path := range segments(t, dir) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for off := int64(8); off < int64(len(b)); {
			end := off + 8 + int64(binary.LittleEndian.Uint32(b[off:]))
			out = append(out, record{path: path, off: off, end: end, pos: binary.LittleEndian.Uint64(b[off+8:])})
			off = end
		}
	}
	return out
}

func find(t *testing.T, recs []record, pos uint64) record {
	t.Helper()
	for _, r := range recs {
		if r.pos == pos {
			return r
		}
	}
	t.Fatalf("position %d not on disk", pos)
	return record{}
}

// editFile applies fn to the whole content of path and writes it back.
func editFile(t *testing.T, path string, fn func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, fn(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fixCRC reseals the frame at off so only the chain can notice a change.
func fixCRC(b []byte, off int64) {
	n := int64(binary.LittleEndian.Uint32(b[off:]))
	body := b[off+8 : off+8+n]
	binary.LittleEndian.PutUint32(b[off+4:], crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
}

func wantBroken(t *testing.T, dir string, pos uint64) *journal.ChainError {
	t.Helper()
	_, err := journal.Verify(t.Context(), dir, 0, 0)
	if !errors.Is(err, journal.ErrChainBroken) {
		t.Fatalf("Verify = %v, want ErrChainBroken", err)
	}
	var ce *journal.ChainError
	if !errors.As(err, &ce) {
		t.Fatalf("Verify error %T is not a *ChainError", err)
	}
	if ce.Position != pos {
		t.Fatalf("Verify named position %d, want %d: %v", ce.Position, pos, err)
	}
	t.Logf("%v (segment %s offset %d)", err, ce.Segment, ce.Offset)
	return ce
}

func TestVerifyIntact(t *testing.T) {
	const n = 200
	dir := chainJournal(t, n)
	if len(segments(t, dir)) < 3 {
		t.Fatalf("fixture should span several segments")
	}
	res, err := journal.Verify(t.Context(), dir, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Count != n || res.Head != n || len(res.HeadChain) != 64 || res.TornTailBytes != 0 {
		t.Fatalf("result %+v", res)
	}
	// A range agrees with the whole log about the chain at its end.
	part, err := journal.Verify(t.Context(), dir, 120, n)
	if err != nil {
		t.Fatal(err)
	}
	if part.Count != n-119 || part.Head != n || part.HeadChain != res.HeadChain {
		t.Fatalf("range result %+v, whole %+v", part, res)
	}
	mid, err := journal.Verify(t.Context(), dir, 10, 20)
	if err != nil || mid.Count != 11 || mid.Head != 20 {
		t.Fatalf("range 10..20 = %+v, %v", mid, err)
	}
	if _, err := journal.Verify(t.Context(), dir, 1, n+1); err == nil || errors.Is(err, journal.ErrChainBroken) {
		t.Fatalf("range past the head = %v, want a plain error", err)
	}
}

func TestVerifyEmpty(t *testing.T) {
	dir := t.TempDir()
	j, err := journal.Open(t.Context(), dir, journal.Options{NoSync: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	res, err := journal.Verify(t.Context(), dir, 0, 0)
	if err != nil || res.Count != 0 || res.Head != 0 {
		t.Fatalf("empty = %+v, %v", res, err)
	}
}

// TestVerifyChainSurvivesReopen: recovery must resume the chain from the
// last record, including after truncating a torn tail and across a roll.
func TestVerifyChainSurvivesReopen(t *testing.T) {
	dir := chainJournal(t, 50)
	segs := segments(t, dir)
	f, err := os.OpenFile(segs[len(segs)-1], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{200, 1, 0, 0, 1, 2, 3}) // a torn frame
	f.Close()
	if res, err := journal.Verify(t.Context(), dir, 0, 0); err != nil || res.TornTailBytes != 7 || res.Head != 50 {
		t.Fatalf("torn tail: %+v, %v", res, err)
	}
	for round := range 3 {
		j, err := journal.Open(t.Context(), dir, journal.Options{SegmentBytes: 8 << 10, NoSync: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, j, 50+round*30, 30)
		j.Close()
	}
	res, err := journal.Verify(t.Context(), dir, 0, 0)
	if err != nil || res.Count != 140 {
		t.Fatalf("after reopens: %+v, %v", res, err)
	}
}

func TestVerifyFlippedByte(t *testing.T) {
	t.Run("CRCFixed", func(t *testing.T) {
		dir := chainJournal(t, 100)
		r := find(t, records(t, dir), 42)
		editFile(t, r.path, func(b []byte) []byte {
			b[r.off+8+30] ^= 0x01 // inside the envelope, past the position
			fixCRC(b, r.off)
			return b
		})
		if ce := wantBroken(t, dir, 42); ce.Reason == "" {
			t.Fatal("no reason")
		}
	})
	t.Run("CRCLeft", func(t *testing.T) {
		dir := chainJournal(t, 100)
		r := find(t, records(t, dir), 42)
		editFile(t, r.path, func(b []byte) []byte { b[r.end-40] ^= 0x80; return b })
		wantBroken(t, dir, 42)
	})
	t.Run("StoredChain", func(t *testing.T) {
		dir := chainJournal(t, 100)
		r := find(t, records(t, dir), 42)
		editFile(t, r.path, func(b []byte) []byte { b[r.end-1] ^= 0x01; fixCRC(b, r.off); return b })
		wantBroken(t, dir, 42)
	})
	t.Run("LastRecord", func(t *testing.T) {
		dir := chainJournal(t, 100)
		r := find(t, records(t, dir), 100)
		editFile(t, r.path, func(b []byte) []byte { b[r.off+8+30] ^= 0x01; fixCRC(b, r.off); return b })
		wantBroken(t, dir, 100)
	})
}

func TestVerifyDeletedRecord(t *testing.T) {
	t.Run("Gap", func(t *testing.T) {
		dir := chainJournal(t, 100)
		r := find(t, records(t, dir), 42)
		editFile(t, r.path, func(b []byte) []byte { return append(b[:r.off:r.off], b[r.end:]...) })
		wantBroken(t, dir, 42)
	})
	t.Run("Renumbered", func(t *testing.T) {
		// Delete 42 and renumber every later record (CRCs fixed): the
		// positions run on, only the chain shows the hole.
		dir := chainJournal(t, 100)
		recs := records(t, dir)
		r := find(t, recs, 42)
		editFile(t, r.path, func(b []byte) []byte { return append(b[:r.off:r.off], b[r.end:]...) })
		for _, path := range segments(t, dir) {
			editFile(t, path, func(b []byte) []byte {
				for off := int64(8); off < int64(len(b)); off += 8 + int64(binary.LittleEndian.Uint32(b[off:])) {
					if p := binary.LittleEndian.Uint64(b[off+8:]); p > 42 {
						binary.LittleEndian.PutUint64(b[off+8:], p-1)
						fixCRC(b, off)
					}
				}
				return b
			})
		}
		// Segment names no longer match their first position; rename them.
		for _, path := range segments(t, dir) {
			b, _ := os.ReadFile(path)
			want := filepath.Join(dir, segName(binary.LittleEndian.Uint64(b[16:])))
			if want != path {
				if err := os.Rename(path, want); err != nil {
					t.Fatal(err)
				}
			}
		}
		wantBroken(t, dir, 42)
	})
	t.Run("WholeSegment", func(t *testing.T) {
		dir := chainJournal(t, 200)
		segs := segments(t, dir)
		recs := records(t, dir)
		var first uint64
		for _, r := range recs {
			if r.path == segs[1] {
				first = r.pos
				break
			}
		}
		os.Remove(segs[1])
		wantBroken(t, dir, first)
	})
	t.Run("TruncatedMiddleSegment", func(t *testing.T) {
		dir := chainJournal(t, 200)
		segs := segments(t, dir)
		var last record
		for _, r := range records(t, dir) {
			if r.path == segs[0] {
				last = r
			}
		}
		if err := os.Truncate(segs[0], last.end-10); err != nil {
			t.Fatal(err)
		}
		wantBroken(t, dir, last.pos)
	})
}

func segName(base uint64) string {
	b := []byte("00000000000000000000.seg")
	for i := 19; base > 0; i-- {
		b[i] = byte('0' + base%10)
		base /= 10
	}
	return string(b)
}

func TestVerifyReordered(t *testing.T) {
	dir := chainJournal(t, 100)
	recs := records(t, dir)
	a, b := find(t, recs, 42), find(t, recs, 43)
	if a.path != b.path {
		t.Fatal("42 and 43 in different segments")
	}
	t.Run("Swapped", func(t *testing.T) {
		editFile(t, a.path, func(buf []byte) []byte {
			out := append([]byte(nil), buf[:a.off]...)
			out = append(out, buf[b.off:b.end]...)
			out = append(out, buf[a.off:a.end]...)
			return append(out, buf[b.end:]...)
		})
		wantBroken(t, dir, 42)
	})
	t.Run("SwappedAndRenumbered", func(t *testing.T) {
		// Also swap the position fields back (CRCs fixed) so positions
		// look in order: the chain still breaks at 42.
		editFile(t, a.path, func(buf []byte) []byte {
			first := a.off
			second := a.off + (b.end - b.off)
			binary.LittleEndian.PutUint64(buf[first+8:], 42)
			binary.LittleEndian.PutUint64(buf[second+8:], 43)
			fixCRC(buf, first)
			fixCRC(buf, second)
			return buf
		})
		wantBroken(t, dir, 42)
	})
}

func TestOldFormatRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, segName(1)), []byte("SSJRNL\x00\x01"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := journal.Open(t.Context(), dir, journal.Options{NoSync: true}, nil); !errors.Is(err, journal.ErrFormat) {
		t.Fatalf("Open = %v, want ErrFormat", err)
	}
	if _, err := journal.Verify(t.Context(), dir, 0, 0); !errors.Is(err, journal.ErrFormat) {
		t.Fatalf("Verify = %v, want ErrFormat", err)
	}
}

// TestVerifyWhileWriting runs Verify over a journal that is being appended
// to (fsync on, segments rolling): it must never report a break.
func TestVerifyWhileWriting(t *testing.T) {
	dir := t.TempDir()
	j, err := journal.Open(t.Context(), dir, journal.Options{SegmentBytes: 32 << 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil && i < 3000; i += 10 {
			var envs []domain.Envelope
			for k := range 10 {
				envs = append(envs, storetest.Envelope(i+k, "call:w", uint64(i+k+1)))
			}
			if err := j.Append(ctx, envs); err != nil && ctx.Err() == nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 20 {
		if _, err := journal.Verify(t.Context(), dir, 0, 0); err != nil {
			t.Error(err)
			break
		}
	}
	cancel()
	wg.Wait()
	if res, err := journal.Verify(t.Context(), dir, 0, 0); err != nil || res.Head != j.Head() {
		t.Fatalf("final verify %+v, %v (head %d)", res, err, j.Head())
	}
}
