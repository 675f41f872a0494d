package main

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"softswitch/domain"
	"softswitch/eventstore/journal"
	"softswitch/eventstore/storetest"
)

// TestCallEventsFromJournal reads a call out of a journal of many small
// segments through the aggregate index: stopped, beside an open writer
// (which the directory lock no longer keeps out), and absent.
func TestCallEventsFromJournal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "journal")
	opts := journal.Options{SegmentBytes: 4 << 10, NoSync: true}
	j, err := journal.Open(t.Context(), dir, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	var envs []domain.Envelope
	for k := range 8 {
		for c := range 5 {
			envs = append(envs, storetest.Envelope(k*5+c, domain.CallKey(fmt.Sprintf("id-%d@host", c)), uint64(k+1)))
		}
	}
	if err := j.Append(t.Context(), envs); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	var want []uint64
	for _, e := range envs {
		if e.Aggregate == domain.CallKey("id-3@host") {
			want = append(want, e.Position)
		}
	}
	tests := []struct {
		name   string
		dir    string
		locked bool
		want   []uint64
	}{
		{"Stopped", dir, false, want},
		{"BesideWriter", dir, true, want},
		{"NoJournal", filepath.Join(t.TempDir(), "none"), false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.locked {
				j, err := journal.Open(t.Context(), tc.dir, opts, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer j.Close()
			}
			got, err := callEventsFromJournal(t.Context(), tc.dir, "id-3@host", slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d events, want %d", len(got), len(tc.want))
			}
			for i, e := range got {
				if e.Position != tc.want[i] || e.Aggregate != domain.CallKey("id-3@host") {
					t.Errorf("event %d: %s at %d, want position %d", i, e.Aggregate, e.Position, tc.want[i])
				}
			}
		})
	}
}
