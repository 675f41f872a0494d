package journal_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"softswitch/domain"
	"softswitch/eventstore/journal"
	"softswitch/eventstore/storetest"
)

// proofJournal writes n records into small segments (so positions cross
// segment boundaries) and returns the open journal and every envelope as
// Read returns it, by position.
func proofJournal(t *testing.T, n int) (string, *journal.Journal, map[uint64]domain.Envelope) {
	t.Helper()
	dir := t.TempDir()
	j, err := journal.Open(t.Context(), dir, journal.Options{SegmentBytes: 4 << 10, NoSync: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	for i := 0; i < n; i += 5 {
		var envs []domain.Envelope
		for k := i; k < min(i+5, n); k++ {
			envs = append(envs, storetest.Envelope(k, "call:p", uint64(k+1)))
		}
		if err := j.Append(t.Context(), envs); err != nil {
			t.Fatal(err)
		}
	}
	got := map[uint64]domain.Envelope{}
	if err := j.Read(t.Context(), 1, func(env domain.Envelope) error { got[env.Position] = env; return nil }); err != nil {
		t.Fatal(err)
	}
	return dir, j, got
}

func sameEnvelope(a, b domain.Envelope) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// TestReadProofs reads proofs from a live journal (no lock taken) for
// positions at the log's start, at segment starts and in the middle, in
// the order asked, and checks each decodes to the envelope Read returns.
func TestReadProofs(t *testing.T) {
	dir, _, envs := proofJournal(t, 200)
	res, err := journal.Verify(t.Context(), dir, 0, 0)
	if err != nil || res.Segments < 3 {
		t.Fatalf("journal: %d segments, %v; want several", res.Segments, err)
	}
	tests := []struct {
		name      string
		positions []uint64
	}{
		{"first record", []uint64{1}},
		{"one call", []uint64{17, 18, 40, 41}},
		{"unsorted", []uint64{150, 3, 77}},
		{"every record", func() []uint64 {
			var all []uint64
			for p := uint64(1); p <= 200; p++ {
				all = append(all, p)
			}
			return all
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proofs, err := journal.ReadProofs(t.Context(), dir, tt.positions)
			if err != nil {
				t.Fatal(err)
			}
			if len(proofs) != len(tt.positions) {
				t.Fatalf("%d proofs for %d positions", len(proofs), len(tt.positions))
			}
			for i, p := range proofs {
				if p.Position != tt.positions[i] {
					t.Errorf("proof %d is of position %d, want %d", i, p.Position, tt.positions[i])
				}
				env, err := journal.CheckProof(p)
				if err != nil {
					t.Fatalf("CheckProof(%d): %v", p.Position, err)
				}
				if !sameEnvelope(env, envs[p.Position]) {
					t.Errorf("position %d: proof decodes to %+v, journal reads %+v", p.Position, env, envs[p.Position])
				}
			}
		})
	}
}

// TestProofChainsToVerify: the chain in the proofs is the journal's chain
// (the value Verify reports as the head), so an anchor can confirm it.
func TestProofChainsToVerify(t *testing.T) {
	dir, _, _ := proofJournal(t, 60)
	res, err := journal.Verify(t.Context(), dir, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	proofs, err := journal.ReadProofs(t.Context(), dir, []uint64{60})
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(proofs[0].Chain[:]); got != res.HeadChain {
		t.Errorf("proof chain %s, Verify head chain %s", got, res.HeadChain)
	}
	head, err := journal.ReadHead(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if head.Position != 60 || hex.EncodeToString(head.Chain[:]) != res.HeadChain {
		t.Errorf("ReadHead = %d %x, Verify head %d %s", head.Position, head.Chain, res.Head, res.HeadChain)
	}
	empty, err := journal.ReadHead(t.Context(), t.TempDir())
	if err != nil || empty.Position != 0 {
		t.Errorf("ReadHead of an empty dir = %+v, %v", empty, err)
	}
}

func TestReadProofsMissing(t *testing.T) {
	dir, _, _ := proofJournal(t, 10)
	for _, positions := range [][]uint64{{11}, {0}, {3, 99}} {
		if _, err := journal.ReadProofs(t.Context(), dir, positions); !errors.Is(err, journal.ErrNoRecord) {
			t.Errorf("ReadProofs(%v) = %v, want ErrNoRecord", positions, err)
		}
	}
}

// TestCheckProof: any change to a proof's parts, or a proof moved to
// another position, is a *ProofError.
func TestCheckProof(t *testing.T) {
	dir, _, _ := proofJournal(t, 30)
	proofs, err := journal.ReadProofs(t.Context(), dir, []uint64{11, 12, 20})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		edit   func(p journal.Proof) journal.Proof
		reason string
	}{
		{"intact", func(p journal.Proof) journal.Proof { return p }, ""},
		{"flipped body byte", func(p journal.Proof) journal.Proof {
			p.Body = slices.Clone(p.Body)
			p.Body[len(p.Body)/2] ^= 1
			return p
		}, "chain value"},
		{"wrong prev", func(p journal.Proof) journal.Proof { p.Prev = proofs[2].Prev; return p }, "chain value"},
		{"wrong chain", func(p journal.Proof) journal.Proof { p.Chain[0] ^= 1; return p }, "chain value"},
		{"body of another record", func(p journal.Proof) journal.Proof { p.Body = proofs[2].Body; return p }, "chain value"},
		{"proof of the next record under this position", func(p journal.Proof) journal.Proof {
			n := proofs[1]
			n.Position = p.Position
			return n
		}, "holds position 12"},
		{"truncated body", func(p journal.Proof) journal.Proof { p.Body = p.Body[:3]; return p }, "shorter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := journal.CheckProof(tt.edit(proofs[0]))
			if tt.reason == "" {
				if err != nil || env.Position != 11 {
					t.Fatalf("CheckProof = %+v, %v", env, err)
				}
				return
			}
			var pe *journal.ProofError
			if !errors.As(err, &pe) || !errors.Is(err, journal.ErrProof) {
				t.Fatalf("CheckProof = %v, want a *ProofError", err)
			}
			if pe.Position != 11 || !bytes.Contains([]byte(pe.Reason), []byte(tt.reason)) {
				t.Errorf("ProofError %+v, want position 11 and %q", pe, tt.reason)
			}
		})
	}
}
