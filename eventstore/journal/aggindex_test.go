package journal_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"softswitch/domain"
	"softswitch/eventstore"
	"softswitch/eventstore/journal"
	"softswitch/eventstore/storetest"
)

// smallSegments makes every test journal roll every few records.
var smallSegments = journal.Options{SegmentBytes: 4 << 10, NoSync: true}

// callEnvelopes interleaves perCall events of each of calls calls, the
// way concurrent calls share a log.
func callEnvelopes(calls, perCall, from int) []domain.Envelope {
	var envs []domain.Envelope
	for k := range perCall {
		for c := range calls {
			n := from + k*calls + c
			envs = append(envs, storetest.Envelope(n, fmt.Sprintf("call:%d", c), uint64(k+1)))
		}
	}
	return envs
}

// appendAll appends envs in batches of 7 and returns them with positions.
func appendAll(t *testing.T, j *journal.Journal, envs []domain.Envelope) []domain.Envelope {
	t.Helper()
	for i := 0; i < len(envs); i += 7 {
		if err := j.Append(t.Context(), envs[i:min(i+7, len(envs))]); err != nil {
			t.Fatal(err)
		}
	}
	return envs
}

// aggJournal writes a closed journal of interleaved calls in 4 KiB
// segments and returns its directory and envelopes.
func aggJournal(t *testing.T, calls, perCall int, opts journal.Options) (string, []domain.Envelope) {
	t.Helper()
	dir := t.TempDir()
	j, err := journal.Open(t.Context(), dir, opts, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	envs := appendAll(t, j, callEnvelopes(calls, perCall, 0))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, envs
}

func ofAggregate(all []domain.Envelope, agg string) []domain.Envelope {
	var out []domain.Envelope
	for _, e := range all {
		if e.Aggregate == agg {
			out = append(out, e)
		}
	}
	return out
}

type aggReadFunc func(ctx context.Context, agg string, fn func(domain.Envelope) error) error

func dirReader(dir string) aggReadFunc {
	return func(ctx context.Context, agg string, fn func(domain.Envelope) error) error {
		return journal.ReadAggregateDir(ctx, dir, agg, fn)
	}
}

func collect(t *testing.T, read aggReadFunc, agg string) []domain.Envelope {
	t.Helper()
	var got []domain.Envelope
	if err := read(t.Context(), agg, func(e domain.Envelope) error {
		got = append(got, e)
		return nil
	}); err != nil {
		t.Fatalf("read %s: %v", agg, err)
	}
	return got
}

func positions(envs []domain.Envelope) []uint64 {
	ps := make([]uint64, len(envs))
	for i, e := range envs {
		ps[i] = e.Position
	}
	return ps
}

func checkSame(t *testing.T, agg string, got, want []domain.Envelope) {
	t.Helper()
	if (len(got) != 0 || len(want) != 0) && !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got positions %v, want %v", agg, positions(got), positions(want))
	}
}

func sidecars(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.aidx"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestReadAggregate(t *testing.T) {
	dir, all := aggJournal(t, 13, 20, smallSegments)
	if n := len(segments(t, dir)); n < 10 {
		t.Fatalf("want many segments, got %d", n)
	}
	if got, want := len(sidecars(t, dir)), len(segments(t, dir)); got != want {
		t.Fatalf("%d sidecars for %d segments after Close", got, want)
	}
	tests := []struct {
		name string
		open func(t *testing.T) aggReadFunc
	}{
		{"StoppedDir", func(*testing.T) aggReadFunc { return dirReader(dir) }},
		{"OpenJournal", func(t *testing.T) aggReadFunc {
			j, err := journal.Open(t.Context(), dir, smallSegments, testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { j.Close() })
			return j.ReadAggregate
		}},
		{"DirBesideOpenWriter", func(t *testing.T) aggReadFunc {
			j, err := journal.Open(t.Context(), dir, smallSegments, testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { j.Close() })
			return dirReader(dir)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			read := tc.open(t)
			for _, agg := range []string{"call:0", "call:6", "call:12", "call:none"} {
				checkSame(t, agg, collect(t, read, agg), ofAggregate(all, agg))
			}
		})
	}
}

// TestReadAggregateActiveSegment covers records that only the active
// segment holds: in memory while open, through the sidecar Close writes
// once stopped, and through that sidecar's prefix plus a scan once the
// journal is reopened and appended to.
func TestReadAggregateActiveSegment(t *testing.T) {
	dir := t.TempDir()
	opts := journal.Options{NoSync: true}
	j, err := journal.Open(t.Context(), dir, opts, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	all := appendAll(t, j, callEnvelopes(5, 4, 0))
	checkSame(t, "open", collect(t, j.ReadAggregate, "call:3"), ofAggregate(all, "call:3"))
	checkSame(t, "dir beside writer", collect(t, dirReader(dir), "call:3"), ofAggregate(all, "call:3"))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(sidecars(t, dir)); n != 1 {
		t.Fatalf("Close left %d sidecars, want 1 for the active segment", n)
	}
	checkSame(t, "stopped", collect(t, dirReader(dir), "call:3"), ofAggregate(all, "call:3"))

	j, err = journal.Open(t.Context(), dir, opts, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	all = append(all, appendAll(t, j, callEnvelopes(5, 3, 100))...)
	want := ofAggregate(all, "call:3")
	checkSame(t, "reopened", collect(t, j.ReadAggregate, "call:3"), want)
	checkSame(t, "prefix sidecar and tail", collect(t, dirReader(dir), "call:3"), want)
}

func flipByte(off func(size int64) int64) func(t *testing.T, path, next string) {
	return func(t *testing.T, path, _ string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[off(int64(len(b)))] ^= 0x40
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSidecarRepairedAtOpen damages the sidecars of sealed segments:
// readers of the directory fall back to scanning, and the next Open
// rewrites each one exactly as the writer first made it.
func TestSidecarRepairedAtOpen(t *testing.T) {
	tests := []struct {
		name string
		// damage is applied to every other sealed segment's sidecar; next
		// is the following segment's.
		damage func(t *testing.T, path, next string)
	}{
		{"Missing", func(t *testing.T, path, _ string) { os.Remove(path) }},
		{"FlippedEntry", flipByte(func(n int64) int64 { return n - 3 })},
		{"FlippedHeader", flipByte(func(int64) int64 { return 20 })},
		{"FlippedFanout", flipByte(func(int64) int64 { return 50 })},
		{"Truncated", func(t *testing.T, path, _ string) {
			if err := os.Truncate(path, 40); err != nil {
				t.Fatal(err)
			}
		}},
		{"Empty", func(t *testing.T, path, _ string) {
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		// A crash after the roll but before the sidecar's rename leaves no
		// sidecar, perhaps a partial temporary one.
		{"CrashBeforeRename", func(t *testing.T, path, _ string) {
			os.Remove(path)
			if err := os.WriteFile(strings.TrimSuffix(path, ".aidx")+".aidx.tmp", []byte("SSAIDX"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"OtherSegmentsSidecar", func(t *testing.T, path, next string) {
			other, err := os.ReadFile(next)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, other, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, all := aggJournal(t, 7, 12, smallSegments)
			orig := map[string][]byte{}
			cars := sidecars(t, dir)
			for _, p := range cars {
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				orig[p] = b
			}
			for i, p := range cars[:len(cars)-1] {
				if i%2 == 0 {
					tc.damage(t, p, cars[i+1])
				}
			}
			for _, agg := range []string{"call:0", "call:4"} {
				checkSame(t, "damaged, dir", collect(t, dirReader(dir), agg), ofAggregate(all, agg))
			}

			j, err := journal.Open(t.Context(), dir, smallSegments, testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			for _, agg := range []string{"call:0", "call:4"} {
				checkSame(t, "repaired, open", collect(t, j.ReadAggregate, agg), ofAggregate(all, agg))
			}
			for p, want := range orig {
				got, err := os.ReadFile(p)
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s not rebuilt as written (err %v)", filepath.Base(p), err)
				}
			}
			if tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(tmps) > 0 {
				t.Errorf("temporary sidecars left: %v", tmps)
			}
		})
	}
}

func TestSidecarOrphanRemoved(t *testing.T) {
	dir, _ := aggJournal(t, 3, 5, smallSegments)
	orphan := filepath.Join(dir, "99999999999999999999.seg.aidx")
	if err := os.WriteFile(orphan, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(t.Context(), dir, smallSegments, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	if _, err := os.Stat(orphan); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("orphan sidecar kept: %v", err)
	}
}

// TestReadAggregateDamage: a partial record at the end of the last
// segment is a write in flight and is skipped; a damaged record of the
// aggregate inside a sealed segment is reported.
func TestReadAggregateDamage(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, segs []string, all []domain.Envelope)
		wantErr error
	}{
		{"TornTail", func(t *testing.T, segs []string, _ []domain.Envelope) {
			f, err := os.OpenFile(segs[len(segs)-1], os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.Write([]byte{200, 1, 0, 0, 9, 9, 9}); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"RecordInSealedSegment", func(t *testing.T, segs []string, all []domain.Envelope) {
			// Every record is call:0's.
			b, err := os.ReadFile(segs[0])
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)-40] ^= 0xff
			if err := os.WriteFile(segs[0], b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, eventstore.ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, all := aggJournal(t, 1, 30, smallSegments)
			tc.damage(t, segments(t, dir), all)
			var got []domain.Envelope
			err := journal.ReadAggregateDir(t.Context(), dir, "call:0", func(e domain.Envelope) error {
				got = append(got, e)
				return nil
			})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil {
				checkSame(t, tc.name, got, all)
			}
		})
	}
}

// TestReadAggregateDirBesideAppends reads the directory while a writer
// rolls segments and writes sidecars: every read returns a prefix of the
// aggregate's events that holds at least those acknowledged before it.
func TestReadAggregateDirBesideAppends(t *testing.T) {
	dir := t.TempDir()
	j, err := journal.Open(t.Context(), dir, smallSegments, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	var (
		mu    sync.Mutex
		all   []domain.Envelope
		acked atomic.Int64 // events of call:1 acknowledged
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		for i := range 150 {
			envs := callEnvelopes(3, 1, i*3)
			for k := range envs {
				envs[k].Seq = uint64(i + 1)
			}
			if err := j.Append(context.Background(), envs); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			all = append(all, envs...)
			mu.Unlock()
			acked.Add(1)
		}
	}()
	// A read may see records whose Append has not returned yet, so each
	// one is checked against the whole log once the writer is done.
	var reads [][]domain.Envelope
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		before := int(acked.Load())
		got := collect(t, dirReader(dir), "call:1")
		if len(got) < before {
			t.Fatalf("read %d events, %d acknowledged before", len(got), before)
		}
		reads = append(reads, got)
	}
	want := ofAggregate(all, "call:1")
	for _, got := range reads {
		if len(got) > len(want) {
			t.Fatalf("read %d events of %d", len(got), len(want))
		}
		checkSame(t, "prefix", got, want[:len(got)])
	}
	if len(reads) < 2 {
		t.Fatal("writer finished before any read overlapped it")
	}
}

func TestReadAggregateCallbackErrorAndClosed(t *testing.T) {
	dir, _ := aggJournal(t, 2, 10, smallSegments)
	j, err := journal.Open(t.Context(), dir, smallSegments, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	for _, read := range []aggReadFunc{j.ReadAggregate, dirReader(dir)} {
		n := 0
		err := read(t.Context(), "call:1", func(domain.Envelope) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("callback error: err %v after %d calls", err, n)
		}
	}
	j.Close()
	if err := j.ReadAggregate(t.Context(), "call:1", func(domain.Envelope) error { return nil }); !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}
