// Package statstest is the suite every stats.Store backend passes.
package statstest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"softswitch/dialer/stats"
)

// Run runs the suite; open returns a new, empty store.
func Run(t *testing.T, open func(t *testing.T) stats.Store) {
	t.Helper()
	base := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	row := func(id, campaign string, at time.Duration, outcome string) stats.Row {
		return stats.Row{ID: id, Campaign: campaign, Lead: "L-" + id, Attempt: 1, Number: "+8613800000000",
			CallerID: "+861050000001", Agent: "6001", Placed: outcome != stats.OutcomeSkipped, Outcome: outcome,
			Reason: "r", SIPCode: 486, CalleeCallID: "sip-" + id, EarlyMedia: "busy_tone", AMD: "HUMAN", Digit: "1",
			Confidence: 0.75, Dialed: base.Add(at), Ended: base.Add(at + 7*time.Second)}
	}
	tests := []struct {
		name string
		run  func(t *testing.T, s stats.Store)
	}{
		{"empty store starts at zero", func(t *testing.T, s stats.Store) {
			if cp, err := s.Checkpoint(context.Background()); err != nil || cp != 0 {
				t.Fatalf("checkpoint %d, %v", cp, err)
			}
			if rows, err := s.List(context.Background(), "c"); err != nil || len(rows) != 0 {
				t.Fatalf("list %v, %v", rows, err)
			}
		}},
		{"round trip in dial order, per campaign", func(t *testing.T, s stats.Store) {
			ctx := context.Background()
			want := []stats.Row{row("b", "c", time.Second, "busy"), row("a", "c", 2*time.Second, stats.OutcomeSkipped)}
			if err := s.Put(ctx, []stats.Row{want[1], row("x", "other", 0, "connected"), want[0]}, 42); err != nil {
				t.Fatal(err)
			}
			got, err := s.List(ctx, "c")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
			if cp, err := s.Checkpoint(ctx); err != nil || cp != 42 {
				t.Fatalf("checkpoint %d, %v", cp, err)
			}
		}},
		{"replay leaves one row per id, the last written", func(t *testing.T, s stats.Store) {
			ctx := context.Background()
			r := row("a", "c", 0, "no_answer")
			for i := range 3 {
				if err := s.Put(ctx, []stats.Row{r}, uint64(10+i)); err != nil {
					t.Fatal(err)
				}
			}
			r.Reason = "again"
			if err := s.Put(ctx, []stats.Row{r}, 13); err != nil {
				t.Fatal(err)
			}
			got, err := s.List(ctx, "c")
			if err != nil || len(got) != 1 || got[0].Reason != "again" {
				t.Fatalf("got %+v, %v", got, err)
			}
			if cp, _ := s.Checkpoint(ctx); cp != 13 {
				t.Fatalf("checkpoint %d, want 13", cp)
			}
		}},
		{"an invalid row refuses the batch and keeps the checkpoint", func(t *testing.T, s stats.Store) {
			ctx := context.Background()
			if err := s.Put(ctx, []stats.Row{row("a", "c", 0, "busy")}, 5); err != nil {
				t.Fatal(err)
			}
			bad := row("b", "", 0, "busy")
			if err := s.Put(ctx, []stats.Row{row("c", "c", 0, "busy"), bad}, 9); !errors.Is(err, stats.ErrInvalidRow) {
				t.Fatalf("put: %v, want ErrInvalidRow", err)
			}
			if cp, _ := s.Checkpoint(ctx); cp != 5 {
				t.Fatalf("checkpoint %d, want 5", cp)
			}
			if got, _ := s.List(ctx, "c"); len(got) != 1 {
				t.Fatalf("%d rows, want 1", len(got))
			}
		}},
		{"a checkpoint alone moves", func(t *testing.T, s stats.Store) {
			ctx := context.Background()
			if err := s.Put(ctx, nil, 77); err != nil {
				t.Fatal(err)
			}
			if cp, _ := s.Checkpoint(ctx); cp != 77 {
				t.Fatalf("checkpoint %d, want 77", cp)
			}
		}},
		{"closed", func(t *testing.T, s stats.Store) {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Put(context.Background(), nil, 1); !errors.Is(err, stats.ErrClosed) {
				t.Fatalf("put after close: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { _ = s.Close() })
			tt.run(t, s)
		})
	}
}
