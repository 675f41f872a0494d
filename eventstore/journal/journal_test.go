package journal_test

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"softswitch/domain"
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
		{"MaxDelay", journal.Options{MaxDelay: 200 * time.Microsecond, NoSync: true}},
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

func TestRecordTooLarge(t *testing.T) {
	j, err := journal.Open(t.Context(), t.TempDir(), journal.Options{NoSync: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	env := storetest.Envelope(1, "call:a", 1)
	env.Payload = make([]byte, journal.MaxRecordBytes)
	if err := j.Append(t.Context(), []domain.Envelope{env}); !errors.Is(err, journal.ErrRecordTooLarge) {
		t.Fatalf("Append of %d-byte payload = %v, want ErrRecordTooLarge", len(env.Payload), err)
	}
	if j.Head() != 0 {
		t.Fatalf("Head = %d after rejected append", j.Head())
	}
}
