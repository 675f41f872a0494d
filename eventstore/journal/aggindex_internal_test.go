package journal

import (
	"cmp"
	"context"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"softswitch/domain"
	"softswitch/eventstore/storetest"
)

// TestSortedMatchesStableSort checks the radix sort against a stable
// comparison sort, across chunk boundaries and with repeated hashes.
func TestSortedMatchesStableSort(t *testing.T) {
	tests := []struct {
		name string
		n    int
		mod  uint64 // hashes drawn from mod values, so many repeat
	}{
		{"Empty", 0, 1},
		{"One", 1, 1},
		{"AllEqual", 5000, 1},
		{"FewValues", 9000, 7},
		{"Spread", 20000, 1 << 62},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tc.n)))
			var c aggChunks
			var want []aggEntry
			for i := range tc.n {
				e := aggEntry{hash: rng.Uint64() % tc.mod * 0x9E3779B97F4A7C15, off: int64(i)}
				c = c.add([]aggEntry{e})
				want = append(want, e)
			}
			slices.SortStableFunc(want, func(a, b aggEntry) int { return cmp.Compare(a.hash, b.hash) })
			if got := c.sorted(); !slices.Equal(got, want) {
				t.Errorf("radix order differs from stable sort")
			}
		})
	}
}

func TestAggHashIsFNV1a(t *testing.T) {
	for _, s := range []string{"", "call:1", "call:a84b4c76e66710@10.0.0.1", "registration:6000"} {
		h := fnv.New64a()
		h.Write([]byte(s))
		if got, want := aggHash(s), h.Sum64(); got != want {
			t.Errorf("aggHash(%q) = %x, want FNV-1a %x", s, got, want)
		}
	}
}

// TestLookupSidecarBlocks checks the fanout search where runs of one hash
// straddle block boundaries, fill whole blocks or sit at either end.
func TestLookupSidecarBlocks(t *testing.T) {
	tests := []struct {
		name string
		runs []int // runs[h] entries of hash h*10, h = 0..
	}{
		{"Empty", nil},
		{"OneEntry", []int{1}},
		{"ShortLastBlock", []int{3, aidxBlockEntries, 2}},
		{"RunStraddlesBlocks", []int{aidxBlockEntries - 5, 10, aidxBlockEntries}},
		{"RunFillsBlocks", []int{1, 3*aidxBlockEntries + 7, 1}},
		{"Many", slices.Repeat([]int{1, 2, 3, 5, 8, 13, 21, 34, 55, 89}, 30)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			seg := filepath.Join(dir, segmentName(1))
			var entries []aggEntry
			want := map[uint64][]int64{}
			off := segmentHeaderBytes
			// Written in log order with hashes interleaved, as a writer would.
			for round := 0; ; round++ {
				added := false
				for h, n := range tc.runs {
					if round < n {
						hash := uint64(h+1) * 10
						entries = append(entries, aggEntry{hash: hash, off: off})
						want[hash] = append(want[hash], off)
						off += 100
						added = true
					}
				}
				if !added {
					break
				}
			}
			if err := writeSidecar(t.Context(), seg, 1, off, uint64(len(entries)), aggChunks{entries}, true); err != nil {
				t.Fatal(err)
			}
			if _, err := checkSidecar(t.Context(), seg, 1, off); err != nil {
				t.Fatalf("full check: %v", err)
			}
			for h := 0; h <= len(tc.runs)+1; h++ {
				for _, hash := range []uint64{uint64(h) * 10, uint64(h)*10 + 5} {
					_, got, err := lookupSidecar(t.Context(), seg, 1, hash)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(got, want[hash]) {
						t.Errorf("hash %d: %d offsets, want %d", hash, len(got), len(want[hash]))
					}
				}
			}
		})
	}
}

// TestSidecarCollisionFiltered gives every record of a closed journal the
// same hash in its (otherwise valid) sidecars, the worst case of FNV
// collisions: reads must still return only the aggregate asked for.
func TestSidecarCollisionFiltered(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opts := Options{SegmentBytes: 4 << 10, NoSync: true}
	j, err := Open(ctx, dir, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	var envs []domain.Envelope
	for i := range 60 {
		envs = append(envs, storetest.Envelope(i, []string{"call:x", "call:y", "call:z"}[i%3], uint64(i/3+1)))
	}
	if err := j.Append(ctx, envs); err != nil {
		t.Fatal(err)
	}
	j.Close()
	bases, err := listSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, base := range bases {
		path := filepath.Join(dir, segmentName(base))
		res, err := scanSegment(ctx, path, base, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range res.agg {
			for i := range ch {
				ch[i].hash = aggHash("call:y")
			}
		}
		if err := writeSidecar(ctx, path, base, res.seg.size, res.seg.last, res.agg, true); err != nil {
			t.Fatal(err)
		}
	}
	want := []uint64{}
	for _, e := range envs {
		if e.Aggregate == "call:y" {
			want = append(want, e.Position)
		}
	}
	j, err = Open(ctx, dir, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	readers := map[string]func(context.Context, string, func(domain.Envelope) error) error{
		"Dir": func(ctx context.Context, agg string, fn func(domain.Envelope) error) error {
			return ReadAggregateDir(ctx, dir, agg, fn)
		},
		"Open": j.ReadAggregate,
	}
	for name, read := range readers {
		got := []uint64{}
		if err := read(ctx, "call:y", func(e domain.Envelope) error {
			if e.Aggregate != "call:y" {
				t.Errorf("%s: delivered %s", name, e.Aggregate)
			}
			got = append(got, e.Position)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
	if _, err := os.Stat(sidecarPath(filepath.Join(dir, segmentName(bases[0])))); err != nil {
		t.Errorf("Open dropped a valid sidecar: %v", err)
	}
}
