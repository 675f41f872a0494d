package boltstore_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"softswitch/billing/cdr"
	"softswitch/billing/cdr/boltstore"
	"softswitch/billing/cdr/cdrtest"
	"softswitch/domain"
)

func TestSuite(t *testing.T) {
	for _, noSync := range []bool{false, true} {
		name := "sync"
		if noSync {
			name = "nosync"
		}
		t.Run(name, func(t *testing.T) {
			cdrtest.Run(t, func(t *testing.T) cdrtest.Opener {
				dir := t.TempDir()
				return func() (cdr.Store, error) {
					return boltstore.Open(dir, boltstore.Options{NoSync: noSync})
				}
			})
		})
	}
}

func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string) // may leave a writer open
		wantErr error
	}{
		{"missing", func(*testing.T, string) {}, os.ErrNotExist},
		{"locked by writer", func(t *testing.T, dir string) {
			w, err := boltstore.Open(dir, boltstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = w.Close() })
		}, boltstore.ErrLocked},
		{"free", func(t *testing.T, dir string) {
			w, err := boltstore.Open(dir, boltstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			r := cdrtest.Record("ro", 0, "alice", "bob", domain.DispositionAnswered)
			if err := w.Put(ctx, []domain.CDR{r}, 3); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			began := time.Now()
			s, err := boltstore.OpenReadOnly(dir, 50*time.Millisecond)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("OpenReadOnly: err = %v, want %v", err, tc.wantErr)
			}
			if waited := time.Since(began); waited > 2*time.Second {
				t.Fatalf("OpenReadOnly waited %v despite a 50ms lock timeout", waited)
			}
			if err != nil {
				return
			}
			defer s.Close()
			if cp, err := s.Checkpoint(ctx); err != nil || cp != 3 {
				t.Fatalf("Checkpoint = %d, %v; want 3", cp, err)
			}
			if rs, err := s.List(ctx, cdr.Filter{}); err != nil || len(rs) != 1 {
				t.Fatalf("List = %d records, %v; want 1", len(rs), err)
			}
			if err := s.Put(ctx, nil, 4); !errors.Is(err, cdr.ErrReadOnly) {
				t.Fatalf("Put on read-only: %v, want ErrReadOnly", err)
			}
		})
	}
}
