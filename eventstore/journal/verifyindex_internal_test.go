package journal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"softswitch/domain"
	"softswitch/eventstore/storetest"
)

// TestVerifyIndex forges sidecars the way someone with write access to
// the journal directory could, valid checksums and all, and checks that
// VerifyIndex names the forged one while readers would have trusted it.
func TestVerifyIndex(t *testing.T) {
	const hidden = "call:hidden"
	tests := []struct {
		name     string
		edit     func(t *testing.T, path string, base uint64, scan scanResult)
		unused   int
		mismatch bool
	}{
		{name: "Intact", edit: func(*testing.T, string, uint64, scanResult) {}},
		{
			name: "EntryDropped",
			edit: func(t *testing.T, path string, base uint64, scan scanResult) {
				var kept aggChunks
				for _, ch := range scan.agg {
					for _, e := range ch {
						if e.hash != aggHash(hidden) {
							kept = kept.add([]aggEntry{e})
						}
					}
				}
				rewrite(t, path, encodeSidecar(base, scan.seg.size, scan.seg.last, kept))
			},
			mismatch: true,
		},
		{
			name: "OffsetMoved",
			edit: func(t *testing.T, path string, base uint64, scan scanResult) {
				scan.agg[0][0].off += 8
				rewrite(t, path, encodeSidecar(base, scan.seg.size, scan.seg.last, scan.agg))
			},
			mismatch: true,
		},
		{
			name: "Deleted",
			edit: func(t *testing.T, path string, _ uint64, _ scanResult) {
				if err := os.Remove(sidecarPath(path)); err != nil {
					t.Fatal(err)
				}
			},
			unused: 1,
		},
		{
			name: "ChecksumBroken",
			edit: func(t *testing.T, path string, _ uint64, _ scanResult) {
				b, err := os.ReadFile(sidecarPath(path))
				if err != nil {
					t.Fatal(err)
				}
				b[len(b)-1] ^= 0xff
				rewrite(t, path, b)
			},
			unused: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			j, err := Open(ctx, dir, Options{SegmentBytes: 4 << 10, NoSync: true}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var envs []domain.Envelope
			for i := range 90 {
				agg := []string{"call:a", hidden, "call:b"}[i%3]
				envs = append(envs, storetest.Envelope(i, agg, uint64(i/3+1)))
			}
			if err := j.Append(ctx, envs); err != nil {
				t.Fatal(err)
			}
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			bases, err := listSegments(dir)
			if err != nil || len(bases) < 3 {
				t.Fatalf("segments %v, %v: want several", bases, err)
			}
			// The middle segment is the one edited.
			base := bases[1]
			path := filepath.Join(dir, segmentName(base))
			scan, err := scanSegment(ctx, path, base, true)
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(t, path, base, scan)
			n := 0
			if err := ReadAggregateDir(ctx, dir, hidden, func(domain.Envelope) error { n++; return nil }); err != nil {
				t.Fatal(err)
			}
			// The threat is real: a forged sidecar hides events from a
			// stopped node's replay; the others are scanned around.
			if hides := n < 30; hides != tc.mismatch && tc.name != "OffsetMoved" {
				t.Fatalf("replay read %d of 30 events of %s", n, hidden)
			}

			res, err := VerifyIndex(ctx, dir)
			if tc.mismatch {
				if !errors.Is(err, ErrIndexMismatch) || !strings.Contains(fmt.Sprint(err), segmentName(base)) {
					t.Fatalf("VerifyIndex = %+v, %v; want ErrIndexMismatch naming %s", res, err, segmentName(base))
				}
				return
			}
			if err != nil || res.Unused != tc.unused || res.Sidecars != len(bases)-tc.unused {
				t.Fatalf("VerifyIndex = %+v, %v; want %d unused of %d", res, err, tc.unused, len(bases))
			}
		})
	}
}

func rewrite(t *testing.T, segPath string, b []byte) {
	t.Helper()
	if err := os.WriteFile(sidecarPath(segPath), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
