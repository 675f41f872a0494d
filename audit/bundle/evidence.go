package bundle

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"softswitch/domain"
	"softswitch/eventstore/journal"
)

// Evidence ties a call's envelopes to the journal: their records' proofs
// by position, the journal head and the latest anchor covering the call.
// Proofs is nil when the journal could not provide them; Note says why.
type Evidence struct {
	Proofs map[uint64]journal.Proof
	Note   string
	Head   *ChainPoint
	Anchor *Anchor
}

// NoEvidence is the Evidence of a bundle made without the journal.
func NoEvidence(why string) *Evidence { return &Evidence{Note: why} }

// CollectEvidence reads what ties envs to the journal in journalDir,
// read-only beside a live switch, and the last line of anchorsFile. The
// journal being absent, or not holding the positions (another node's
// journal), gives Evidence without proofs and a Note; a damaged record is
// an error, since the bundle would otherwise vouch for it.
func CollectEvidence(ctx context.Context, journalDir, anchorsFile string, envs []domain.Envelope) (*Evidence, error) {
	positions := make([]uint64, 0, len(envs))
	last := uint64(0)
	for _, env := range envs {
		if env.Position == 0 {
			return NoEvidence(fmt.Sprintf("event %s has no journal position", env.ID)), nil
		}
		positions = append(positions, env.Position)
		last = max(last, env.Position)
	}
	if _, err := os.Stat(journalDir); err != nil {
		return NoEvidence(fmt.Sprintf("journal %s not readable: %v", journalDir, err)), nil
	}
	proofs, err := journal.ReadProofs(ctx, journalDir, positions)
	if errors.Is(err, journal.ErrNoRecord) {
		return NoEvidence(err.Error()), nil
	}
	if err != nil {
		return nil, fmt.Errorf("bundle: journal proofs: %w", err)
	}
	ev := &Evidence{Proofs: make(map[uint64]journal.Proof, len(proofs))}
	for _, p := range proofs {
		ev.Proofs[p.Position] = p
	}
	head, err := journal.ReadHead(ctx, journalDir)
	if err != nil {
		return nil, fmt.Errorf("bundle: journal head: %w", err)
	}
	ev.Head = &ChainPoint{Position: head.Position, Chain: hex.EncodeToString(head.Chain[:])}
	a, err := latestAnchor(anchorsFile)
	if err != nil {
		return nil, err
	}
	if a != nil && a.Position >= last {
		ev.Anchor = a
	}
	return ev, nil
}

// latestAnchor returns the last complete line of anchors.jsonl, nil when
// the file does not exist or holds none. Anchors only move forward, so the
// last one covers the call if any does; a line the switch is still
// appending does not parse and is skipped.
func latestAnchor(path string) (*Anchor, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bundle: anchors: %w", err)
	}
	defer f.Close()
	var latest *Anchor
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		var a Anchor
		if len(line) == 0 || json.Unmarshal(line, &a) != nil || a.Chain == "" {
			continue
		}
		latest = &a
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("bundle: anchors %s: %w", path, err)
	}
	return latest, nil
}
