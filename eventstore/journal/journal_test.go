package journal_test

import (
	"log/slog"
	"testing"

	"softswitch/eventstore"
	"softswitch/eventstore/journal"
	"softswitch/eventstore/storetest"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func TestStoreSuite(t *testing.T) {
	tests := []struct {
		name string
		opts journal.Options
	}{
		{"Default", journal.Options{}},
		// Tiny segments make every suite case cross segment boundaries and
		// the sparse index.
		{"SmallSegments", journal.Options{SegmentBytes: 8 << 10}},
		{"MaxDelay", journal.Options{MaxDelay: 200_000, NoSync: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) storetest.Opener {
				dir := t.TempDir()
				return func(t *testing.T) eventstore.Store {
					j, err := journal.Open(t.Context(), dir, tc.opts, testLogger(t))
					if err != nil {
						t.Fatalf("Open: %v", err)
					}
					return j
				}
			})
		})
	}
}
