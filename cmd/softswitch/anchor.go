package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"softswitch/domain"
	"softswitch/eventstore/journal"
	"softswitch/switching"
)

// anchorsFile is where anchors are appended for export to a notary.
const anchorsFile = "anchors.jsonl"

// anchorer verifies the journal's hash chain since its last anchor every
// interval and records the head as an anchor: an audit.anchored event and
// a line of <data_dir>/anchors.jsonl. A chain that fails to verify is
// logged at error level and not anchored.
type anchorer struct {
	dir, file string
	rec       *switching.Recorder
	log       *slog.Logger
	last      uint64 // head of the last anchor
	seq       uint64
}

func newAnchorer(dataDir string, rec *switching.Recorder, log *slog.Logger) *anchorer {
	return &anchorer{dir: filepath.Join(dataDir, "journal"), file: filepath.Join(dataDir, anchorsFile), rec: rec, log: log}
}

func (a *anchorer) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.anchor(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("audit: anchor failed", "error", err)
			}
		}
	}
}

// anchor checks the chain from the last anchor to the head and records it.
func (a *anchorer) anchor(ctx context.Context) error {
	res, err := journal.Verify(ctx, a.dir, a.last+1, 0)
	var ce *journal.ChainError
	switch {
	case errors.As(err, &ce):
		return fmt.Errorf("journal chain broken at position %d: %w", ce.Position, err)
	case err != nil:
		return err
	case res.Count == 0:
		return nil
	}
	ev := domain.AuditAnchored{Position: res.Head, Chain: res.HeadChain, Verified: res.Count}
	line, err := json.Marshal(struct {
		domain.AuditAnchored
		At time.Time `json:"at"`
	}{ev, time.Now().UTC()})
	if err != nil {
		return err
	}
	f, err := os.OpenFile(a.file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.Write(append(line, '\n'))
	serr := f.Sync()
	if err := errors.Join(werr, serr, f.Close()); err != nil {
		return err
	}
	a.seq++
	if err := a.rec.Record(ctx, domain.Recorded{Event: ev, Seq: a.seq, At: a.rec.Now()}); err != nil {
		return err
	}
	a.last = res.Head
	return nil
}
