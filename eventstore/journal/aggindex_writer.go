package journal

import (
	"context"
	"path/filepath"
)

// indexSealed writes the sidecar of a segment the writer just rolled away
// from. It runs on its own goroutine so the sort, the write and the fsync
// (a few MB per 64 MiB segment) never hold up the next group commit; until
// it is durable, readers use the entries in memory. A failure costs
// nothing but memory: the entries stay, and the next Open rebuilds the
// sidecar.
func (j *Journal) indexSealed(seg *segment) {
	j.mu.RLock()
	entries, size, last := seg.agg, seg.size, seg.last
	j.mu.RUnlock()
	j.sidecars.Add(1)
	go func() {
		defer j.sidecars.Done()
		// Close waits for this goroutine, so no context outlives the journal.
		if err := writeSidecar(context.Background(), seg.path, seg.base, size, last, entries, j.opts.NoSync); err != nil {
			j.logger.Warn("journal: aggregate index not written; kept in memory", "segment", filepath.Base(seg.path), "err", err)
			return
		}
		j.mu.Lock()
		seg.agg, seg.indexed = nil, true
		j.mu.Unlock()
	}()
}

// indexActive writes, at Close, a sidecar for what the active segment
// holds, so a reader of the stopped journal (ReadAggregateDir) scans
// nothing. It covers a prefix once the journal is reopened and appended
// to; readers scan the rest, and the writer replaces it when it rolls.
// After a write failure the segment's contents are unknown, so nothing is
// written.
func (j *Journal) indexActive() {
	w := &j.w
	if w.failed != nil || w.seg == nil {
		return
	}
	j.mu.RLock()
	seg := w.seg
	entries, size, last := seg.agg, seg.size, seg.last
	j.mu.RUnlock()
	if last < seg.base {
		return
	}
	if err := writeSidecar(context.Background(), seg.path, seg.base, size, last, entries, j.opts.NoSync); err != nil {
		j.logger.Warn("journal: aggregate index of the active segment not written", "segment", filepath.Base(seg.path), "err", err)
	}
}
