package journal_test

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"softswitch/domain"
	"softswitch/eventstore"
	"softswitch/eventstore/journal"
	"softswitch/eventstore/storetest"
)

// fixture is a closed journal whose record boundaries are known.
type fixture struct {
	dir  string
	segs []string // segment paths, ascending
	// ends[pos] is where record pos ends in the last segment; the entry
	// for the position before the segment's first is its header size.
	ends        map[uint64]int64
	firstInLast uint64
	n           uint64
}

// buildFixture appends n records one at a time into small segments and
// notes where each one ends.
func buildFixture(t *testing.T, n uint64) fixture {
	t.Helper()
	dir := t.TempDir()
	opts := journal.Options{SegmentBytes: 8 << 10, NoSync: true}
	j, err := journal.Open(t.Context(), dir, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	segOf := map[uint64]int{}
	ends := map[uint64]int64{}
	for i := range n {
		if err := j.Append(t.Context(), []domain.Envelope{storetest.Envelope(int(i), "call:x", i+1)}); err != nil {
			t.Fatal(err)
		}
		segs := segments(t, dir)
		st, err := os.Stat(segs[len(segs)-1])
		if err != nil {
			t.Fatal(err)
		}
		ends[i+1] = st.Size()
		segOf[i+1] = len(segs)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	f := fixture{dir: dir, segs: segments(t, dir), ends: ends, n: n, firstInLast: n}
	for f.firstInLast > 1 && segOf[f.firstInLast-1] == len(f.segs) {
		f.firstInLast--
	}
	f.ends[f.firstInLast-1] = 8
	return f
}

func segments(t *testing.T, dir string) []string {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(segs)
	return segs
}

// boundary returns where record pos ends in the last segment.
func (f fixture) boundary(t *testing.T, pos uint64) int64 {
	t.Helper()
	if pos+1 < f.firstInLast {
		t.Fatalf("position %d is not in the last segment", pos)
	}
	return f.ends[pos]
}

func TestRecoverTornTail(t *testing.T) {
	const n = 70
	tests := []struct {
		name string
		// damage mutates the last segment's bytes; it returns how many
		// records must survive.
		damage  func(t *testing.T, f fixture, b []byte) ([]byte, uint64)
		wantLog bool
	}{
		{"CleanEnd", func(t *testing.T, f fixture, b []byte) ([]byte, uint64) {
			return b, n
		}, false},
		{"PartialHeader", func(t *testing.T, f fixture, b []byte) ([]byte, uint64) {
			return b[:f.boundary(t, n-1)+3], n - 1
		}, true},
		{"PartialBody", func(t *testing.T, f fixture, b []byte) ([]byte, uint64) {
			return b[:f.boundary(t, n-1)+8+20], n - 1
		}, true},
		{"LastByteMissing", func(t *testing.T, f fixture, b []byte) ([]byte, uint64) {
			return b[:len(b)-1], n - 1
		}, true},
		{"BadCRCAtEnd", func(t *testing.T, f fixture, b []byte) ([]byte, uint64) {
			b[len(b)-2] ^= 0xff
			return b, n - 1
		}, true},
		{"ZeroFilledTail", func(t *testing.T, f fixture, b []byte) ([]byte, uint64) {
			return append(b, make([]byte, 4096)...), n
		}, true},
		{"GarbageTail", func(t *testing.T, f fixture, b []byte) ([]byte, uint64) {
			return append(b, []byte("\x10\x00\x00\x00garbage garbage garbage")...), n
		}, true},
		{"CutTwoRecordsBack", func(t *testing.T, f fixture, b []byte) ([]byte, uint64) {
			return b[:f.boundary(t, n-2)+11], n - 2
		}, true},
		{"HeaderOnly", func(t *testing.T, f fixture, b []byte) ([]byte, uint64) {
			return b[:8], f.firstInLast - 1
		}, false},
		{"TornHeader", func(t *testing.T, f fixture, b []byte) ([]byte, uint64) {
			return b[:3], f.firstInLast - 1
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := buildFixture(t, n)
			if len(f.segs) < 3 || f.firstInLast > n-3 {
				t.Fatalf("fixture has %d segments, last from %d: want several, the last with >3 records", len(f.segs), f.firstInLast)
			}
			last := f.segs[len(f.segs)-1]
			b, err := os.ReadFile(last)
			if err != nil {
				t.Fatal(err)
			}
			b, keep := tc.damage(t, f, b)
			if err := os.WriteFile(last, b, 0o644); err != nil {
				t.Fatal(err)
			}

			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
			j, err := journal.Open(t.Context(), f.dir, journal.Options{SegmentBytes: 8 << 10}, logger)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer j.Close()
			if got := j.Head(); got != keep {
				t.Fatalf("Head after recovery = %d, want %d", got, keep)
			}
			checkPrefix(t, j, keep)
			t.Logf("recovery log: %s", logs.String())
			if got := strings.Contains(logs.String(), "torn tail"); got != tc.wantLog {
				t.Fatalf("torn-tail warning logged = %v, want %v; log:\n%s", got, tc.wantLog, logs.String())
			}
			if tc.wantLog && !strings.Contains(logs.String(), filepath.Base(last)) {
				t.Fatalf("warning does not name segment %s: %s", filepath.Base(last), logs.String())
			}
			// Recovery must leave a journal that appends where it stopped.
			env := []domain.Envelope{storetest.Envelope(999, "call:y", 1)}
			if err := j.Append(t.Context(), env); err != nil {
				t.Fatal(err)
			}
			if env[0].Position != keep+1 {
				t.Fatalf("append after recovery got position %d, want %d", env[0].Position, keep+1)
			}
		})
	}
}

func TestRecoverCorruptionIsAnError(t *testing.T) {
	tests := []struct {
		name string
		// seg picks the segment to damage, counted from the end.
		seg    int
		offset func(size int64) int64
	}{
		{"FirstSegmentMiddle", -1, func(size int64) int64 { return size / 2 }},
		{"EarlierSegmentLastByte", 2, func(size int64) int64 { return size - 1 }},
		{"SegmentHeader", 2, func(int64) int64 { return 0 }},
		// A bad record followed by a good one is damage, not a torn write,
		// even in the last segment.
		{"LastSegmentMidRecord", 1, func(size int64) int64 { return 8 + 8 + 30 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := buildFixture(t, 70)
			path := f.segs[0]
			if tc.seg > 0 {
				path = f.segs[len(f.segs)-tc.seg]
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b[tc.offset(int64(len(b)))] ^= 0x5a
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			j, err := journal.Open(t.Context(), f.dir, journal.Options{}, nil)
			if err == nil {
				j.Close()
				t.Fatal("Open succeeded on a corrupt journal")
			}
			if !errors.Is(err, eventstore.ErrCorrupt) {
				t.Fatalf("Open = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestSecondWriterLocked(t *testing.T) {
	dir := t.TempDir()
	j, err := journal.Open(t.Context(), dir, journal.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if j2, err := journal.Open(t.Context(), dir, journal.Options{}, nil); !errors.Is(err, journal.ErrLocked) {
		if j2 != nil {
			j2.Close()
		}
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, err = journal.Open(t.Context(), dir, journal.Options{}, nil)
	if err != nil {
		t.Fatalf("Open after Close = %v", err)
	}
	j.Close()
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts journal.Options
		ok   bool
	}{
		{"Zero", journal.Options{}, true},
		{"TinySegment", journal.Options{SegmentBytes: 100}, false},
		{"NegativeDelay", journal.Options{MaxDelay: -1}, false},
		{"NegativeBatch", journal.Options{MaxBatchBytes: -1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j, err := journal.Open(t.Context(), t.TempDir(), tc.opts, nil)
			if tc.ok != (err == nil) {
				t.Fatalf("Open = %v, want ok=%v", err, tc.ok)
			}
			if err == nil {
				j.Close()
			} else if !errors.Is(err, journal.ErrInvalidOptions) {
				t.Fatalf("error %v does not wrap ErrInvalidOptions", err)
			}
		})
	}
}

// checkPrefix asserts the journal holds exactly positions 1..n, intact.
func checkPrefix(t *testing.T, s eventstore.Store, n uint64) {
	t.Helper()
	var last uint64
	err := s.Read(t.Context(), 1, func(e domain.Envelope) error {
		if e.Position != last+1 {
			t.Fatalf("position %d after %d", e.Position, last)
		}
		last = e.Position
		return storetest.Check(e)
	})
	if err != nil {
		t.Fatal(err)
	}
	if last != n {
		t.Fatalf("read up to %d, want %d", last, n)
	}
}
