package journal_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/eventstore/journal"
	"softswitch/eventstore/storetest"
)

// TestReadFromMemoryMatchesDisk: a reader that keeps up gets the newest
// envelopes from the in-memory ring; what it gets must be exactly what
// the segments hold, decoded the same, before and after a reopen.
func TestReadFromMemoryMatchesDisk(t *testing.T) {
	dir := t.TempDir()
	opts := journal.Options{NoSync: true, SegmentBytes: 256 << 10}
	j, err := journal.Open(t.Context(), dir, opts, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	const total = 10_000 // more than the ring holds, over several segments
	at := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for i := 0; i < total; {
		batch := make([]domain.Envelope, 0, 7)
		for ; len(batch) < 7 && i < total; i++ {
			env, err := domain.Seal(domain.NodeAlive{Node: fmt.Sprint("n", i)}, fmt.Sprint("id-", i), "n1", uint64(i+1), at.Add(time.Duration(i)))
			if err != nil {
				t.Fatal(err)
			}
			batch = append(batch, env)
		}
		if err := j.Append(t.Context(), batch); err != nil {
			t.Fatal(err)
		}
	}
	read := func(j *journal.Journal, from uint64) []domain.Envelope {
		var out []domain.Envelope
		if err := j.Read(context.Background(), from, func(e domain.Envelope) error { out = append(out, e); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	all := read(j, 1) // position 1 is older than the ring: from the segments
	if len(all) != total {
		t.Fatalf("read %d envelopes from 1, want %d", len(all), total)
	}
	check := func(name string, got []domain.Envelope, from uint64) {
		t.Helper()
		want := all[from-1:]
		if len(got) != len(want) {
			t.Fatalf("%s: %d envelopes from %d, want %d", name, len(got), from, len(want))
		}
		for i := range got {
			if !storetest.Same(got[i], want[i]) {
				t.Fatalf("%s: position %d differs: %+v, want %+v", name, want[i].Position, got[i], want[i])
			}
			g, err1 := domain.Decode(got[i])
			w, err2 := domain.Decode(want[i])
			if err1 != nil || err2 != nil || !reflect.DeepEqual(g, w) {
				t.Fatalf("%s: position %d decodes to %#v (%v), want %#v (%v)", name, want[i].Position, g, err1, w, err2)
			}
		}
	}
	st := j.Stats()
	check("memory", read(j, total-5000), total-5000)
	check("memory, one", read(j, total), total)
	if s2 := j.Stats(); s2.MemoryReads-st.MemoryReads != 2 || s2.SegmentReads != st.SegmentReads || st.SegmentReads != 1 {
		t.Fatalf("reads: memory %d, segments %d; want the first from the segments and the next two from memory", s2.MemoryReads, s2.SegmentReads)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, err = journal.Open(t.Context(), dir, opts, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	check("after reopen", read(j, total-5000), total-5000)
}
