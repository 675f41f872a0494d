package journal

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// sealedSidecarOK reports whether a sealed segment's sidecar checks and
// covers the whole file. One written for the active segment at Close
// covers a prefix only, and is rebuilt once that segment is sealed.
func sealedSidecarOK(ctx context.Context, path string, base uint64) bool {
	st, err := os.Stat(path)
	if err != nil {
		return false
	}
	h, err := checkSidecar(ctx, path, base, st.Size())
	return err == nil && int64(h.covered) == st.Size()
}

// settleSidecar leaves a recovered segment either indexed by a durable
// sidecar or holding its aggregate entries in memory. A sealed segment
// without a good sidecar (a crash between the roll and the sidecar's
// rename, a damaged or deleted file) gets it rebuilt from the scan that
// recovery just made; if that write fails the entries stay in memory and
// the next Open tries again: the index is a cache of the segment, never
// the only copy of anything.
func settleSidecar(ctx context.Context, res scanResult, isLast, indexed, noSync bool, logger *slog.Logger) error {
	seg := res.seg
	name := filepath.Base(seg.path)
	switch {
	case indexed:
		seg.indexed = true
	case isLast:
		seg.agg = res.agg
		// The sidecar Close wrote for this segment helps directory readers
		// only while it still describes a prefix of what recovery kept.
		if _, err := checkSidecar(ctx, seg.path, seg.base, seg.size); err != nil {
			if rerr := os.Remove(sidecarPath(seg.path)); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				return fmt.Errorf("journal: remove stale aggregate index: %w", rerr)
			}
		}
	default:
		if err := writeSidecar(ctx, seg.path, seg.base, seg.size, seg.last, res.agg, noSync); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			logger.Warn("journal: cannot write aggregate index; kept in memory", "segment", name, "err", err)
			seg.agg = res.agg
			return nil
		}
		logger.Info("journal: rebuilt aggregate index", "segment", name, "records", res.agg.len())
		seg.indexed = true
	}
	return nil
}

// cleanSidecars removes temporary sidecars a crash left before their
// rename, and sidecars whose segment is gone (deleted by an operator: the
// journal itself never deletes segments), so neither is mistaken for the
// index of a later segment of the same name.
func cleanSidecars(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("journal: list %s: %w", dir, err)
	}
	for _, e := range ents {
		name := e.Name()
		stale := strings.HasSuffix(name, aidxTmpSuffix)
		if seg, ok := strings.CutSuffix(name, aidxSuffix); ok {
			if _, err := os.Stat(filepath.Join(dir, seg)); errors.Is(err, fs.ErrNotExist) {
				stale = true
			}
		}
		if stale {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("journal: remove stale aggregate index: %w", err)
			}
		}
	}
	return nil
}
