package chstore_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"softswitch/billing/cdr"
	"softswitch/billing/cdr/cdrtest"
	"softswitch/billing/cdr/chstore"
	"softswitch/domain"
)

// TestRoundTrip: what `cdr list --json` prints survives the store, for the
// shapes the suite does not cover.
func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, err := chstore.Open(ctx, newDatabase(t), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sub := cdrtest.Record("sub-ms", 0, "alice", "bob", domain.DispositionAnswered)
	sub.Start = domain.Timestamp(sub.Start.Time().Add(999_999 * time.Nanosecond))
	noEnd := cdrtest.Record("no-end", time.Second, "alice", "bob", domain.DispositionBusy)
	noEnd.End, noEnd.Legs = domain.Timestamp{}, nil
	emptyLegs := cdrtest.Record("empty-legs", 2*time.Second, "o'neil", `"quoted"\`, domain.DispositionBusy)
	emptyLegs.Legs = []domain.CDRLeg{}
	local := cdrtest.Record("local", 3*time.Second, "alice", "bob", domain.DispositionAnswered)
	local.Start = domain.Timestamp(local.Start.Time().In(time.FixedZone("X", 3600)))
	two := cdrtest.Record("two-legs", 4*time.Second, "alice", "bob", domain.DispositionAnswered)
	two.Legs = append(two.Legs, domain.CDRLeg{Leg: "b", Side: "b", Target: "sip:bob@x", SIPCode: 200})
	tests := []domain.CDR{sub, noEnd, emptyLegs, local, two}
	if err := s.Put(ctx, tests, 1); err != nil {
		t.Fatal(err)
	}
	for _, want := range tests {
		t.Run(want.CallID, func(t *testing.T) {
			got, err := s.Get(ctx, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
				t.Fatalf("\n got %s\nwant %s", g, w)
			}
		})
	}
	if rs, err := s.List(ctx, cdr.Filter{Caller: "o'neil", Callee: `"quoted"\`}); err != nil || len(rs) != 1 {
		t.Fatalf("List with quotes in values: %d, %v", len(rs), err)
	}
}

// TestReopenMigrates: Open on an existing database applies nothing twice.
func TestReopenMigrates(t *testing.T) {
	ctx := context.Background()
	cfg := newDatabase(t)
	for range 3 {
		s, err := chstore.Open(ctx, cfg, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	var n uint64
	if err := rawConn(t, cfg).QueryRow(ctx, "SELECT count() FROM `"+cfg.Database+"`.schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 6 {
		t.Fatalf("schema_migrations has %d rows, want 6 (one per migration)", n)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
