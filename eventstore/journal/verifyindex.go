package journal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ErrIndexMismatch is wrapped by VerifyIndex when a sidecar that passes
// its own checksums does not describe its segment's records.
var ErrIndexMismatch = errors.New("journal: aggregate index does not match its segment")

// IndexCheck is what VerifyIndex found.
type IndexCheck struct {
	Sidecars int `json:"sidecars"` // sidecars rebuilt and compared, all equal
	// Unused counts segments whose sidecar is missing or fails its own
	// checksums: readers scan those segments, so they hide nothing.
	Unused  int           `json:"unused"`
	Elapsed time.Duration `json:"elapsed"`
}

// VerifyIndex checks that every aggregate index sidecar (docs/journal.md,
// "Aggregate index") says exactly what its segment holds. The hash chain
// covers records, not sidecars, and a sidecar's CRCs stop accidents, not
// edits: someone who can write the journal directory could drop an
// entry, and a stopped node's replay or export would then not see that
// event. So each sidecar that a reader would trust is rebuilt from the
// segment's records, over the prefix it claims to cover, and compared
// byte for byte; the first difference is returned wrapping
// ErrIndexMismatch. Run it after Verify: it trusts the records.
func VerifyIndex(ctx context.Context, dir string) (IndexCheck, error) {
	start := time.Now()
	var res IndexCheck
	bases, err := listSegments(dir)
	if err != nil {
		return res, err
	}
	for _, base := range bases {
		path := filepath.Join(dir, segmentName(base))
		equal, used, err := sidecarMatches(ctx, path, base)
		if err != nil {
			return res, err
		}
		switch {
		case !used:
			res.Unused++
		case !equal:
			return res, fmt.Errorf("%w: %s", ErrIndexMismatch, filepath.Base(sidecarPath(path)))
		default:
			res.Sidecars++
		}
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// sidecarMatches rebuilds the sidecar of the segment at path and compares
// it with the file; used is false when readers would not trust the file
// anyway (missing, or failing its checksums).
func sidecarMatches(ctx context.Context, path string, base uint64) (equal, used bool, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return false, false, fmt.Errorf("journal: verify index: %w", err)
	}
	h, err := checkSidecar(ctx, path, base, st.Size())
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errSidecar) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("journal: verify index: %w", err)
	}
	scan, err := scanSegment(ctx, path, base, true)
	if err != nil {
		return false, true, err
	}
	var covered aggChunks
	last := base - 1
	for _, ch := range scan.agg {
		for _, e := range ch {
			if e.off < int64(h.covered) {
				covered = covered.add([]aggEntry{e})
				last++
			}
		}
	}
	if int64(h.covered) > scan.seg.size {
		// It claims records the segment does not hold (a torn tail cut
		// since): what it adds cannot be checked, so it does not match.
		return false, true, nil
	}
	want := encodeSidecar(base, int64(h.covered), last, covered)
	got, err := os.ReadFile(sidecarPath(path))
	if err != nil {
		return false, true, fmt.Errorf("journal: verify index: %w", err)
	}
	return bytes.Equal(got, want), true, nil
}
