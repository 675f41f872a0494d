// Package cdrtest is the suite every cdr.Store implementation passes.
package cdrtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"softswitch/billing/cdr"
	"softswitch/domain"
)

// Opener opens the backing store a Factory made. Calling it again after
// Close must reopen the same data.
type Opener func() (cdr.Store, error)

// Factory makes a fresh, empty backing store (a temp directory, a new
// database) and returns how to open it. Cleanup belongs to t.
type Factory func(t *testing.T) Opener

// Run runs the suite against stores made by factory.
func Run(t *testing.T, factory Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"PutGet", testPutGet},
		{"Media", testMedia},
		{"GetMissing", testGetMissing},
		{"ListOrder", testListOrder},
		{"ListFilters", testListFilters},
		{"IdempotentPut", testIdempotentPut},
		{"UpsertMovesIndex", testUpsertMovesIndex},
		{"FreshCheckpoint", testFreshCheckpoint},
		{"CheckpointWithPut", testCheckpointWithPut},
		{"FailedPutIsAtomic", testFailedPutIsAtomic},
		{"CancelledPutIsAtomic", testCancelledPutIsAtomic},
		{"Reopen", testReopen},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, factory(t))
		})
	}
}

// base is an arbitrary fixed instant so failures print the same every run.
var base = time.Date(2025, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

// Record returns a realistic answered CDR for callID starting at offset
// from a fixed instant; tests vary the fields they filter on.
func Record(callID string, offset time.Duration, caller, callee, disposition string) domain.CDR {
	start := base.Add(offset)
	r := domain.CDR{
		ID:          domain.CDRID(callID, domain.SideA),
		CallID:      callID,
		SIPCallID:   callID + "@sip.example",
		Caller:      caller,
		Callee:      callee,
		Source:      "192.0.2.10:5060",
		Start:       domain.Timestamp(start),
		End:         domain.Timestamp(start.Add(3 * time.Second)),
		DurationMS:  3000,
		Disposition: disposition,
		SIPCode:     486,
		Reason:      "Busy Here",
		EndedBy:     domain.ByCallee,
		Legs: []domain.CDRLeg{{
			Leg: "a", Side: domain.SideA, SIPCallID: callID, Peer: "192.0.2.10:5060",
			Start: domain.Timestamp(start), End: domain.Timestamp(start.Add(3 * time.Second)),
			SIPCode: 486, Reason: "Busy Here", EndedBy: domain.ByCallee,
		}},
	}
	if disposition == domain.DispositionAnswered {
		r.Answer = domain.Timestamp(start.Add(time.Second))
		r.BillableS, r.SIPCode, r.Reason = 2, 200, "Normal Clearing"
	}
	return r
}

func open(t *testing.T, o Opener) cdr.Store {
	t.Helper()
	s, err := o()
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func put(t *testing.T, s cdr.Store, cp uint64, rs ...domain.CDR) {
	t.Helper()
	if err := s.Put(context.Background(), rs, cp); err != nil {
		t.Fatalf("Put: %v", err)
	}
}

func list(t *testing.T, s cdr.Store, f cdr.Filter) []domain.CDR {
	t.Helper()
	rs, err := s.List(context.Background(), f)
	if err != nil {
		t.Fatalf("List(%+v): %v", f, err)
	}
	return rs
}

func checkpoint(t *testing.T, s cdr.Store) uint64 {
	t.Helper()
	cp, err := s.Checkpoint(context.Background())
	if err != nil {
		t.Fatalf("Checkpoint: %v", err)
	}
	return cp
}

func callIDs(rs []domain.CDR) []string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.CallID
	}
	return ids
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func testPutGet(t *testing.T, o Opener) {
	s := open(t, o)
	want := Record("c1@host", 0, "alice", "bob", domain.DispositionAnswered)
	put(t, s, 7, want)
	got, err := s.Get(context.Background(), want.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	// The JSON is the contract billing reads, so compare that.
	if g, w := jsonOf(t, got), jsonOf(t, want); g != w {
		t.Fatalf("Get:\n got %s\nwant %s", g, w)
	}
}

// WithMedia returns r with the media quality of both legs and a
// recording, as a call relayed through the switch's media plane has
// (domain.MediaStats, domain.Recording).
func WithMedia(r domain.CDR) domain.CDR {
	r.Media = []domain.MediaLeg{
		{Leg: "a", Packets: 250, Bytes: 43000, Lost: 3, OutOfOrder: 1, Duplicates: 2, JitterMs: 0.4375, RTTMs: 12.5,
			MOS: 4.41, Sent: 249, Foreign: 7, Malformed: 1, Dropped: 8, Source: "192.0.2.10:4000"},
		// A late duplicate can make lost negative (RFC 3550 A.3).
		{Leg: "b1", Packets: 251, Bytes: 43172, Lost: -1, JitterMs: 1.0 / 3, MOS: 3.999999, Sent: 250, Source: "[2001:db8::7]:5004"},
	}
	r.Recording = "/var/lib/softswitch/recordings/" + r.CallID + ".wav"
	r.RecordingSHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	return r
}

// testMedia: a CDR's media quality and recording come back as written,
// whichever legs it has.
func testMedia(t *testing.T, o Opener) {
	s := open(t, o)
	both := WithMedia(Record("media-both", 0, "alice", "bob", domain.DispositionAnswered))
	onlyA := WithMedia(Record("media-a", time.Second, "alice", "bob", domain.DispositionCancelled))
	onlyA.Media, onlyA.Recording, onlyA.RecordingSHA256 = onlyA.Media[:1], "", ""
	silent := WithMedia(Record("media-silent", 2*time.Second, "alice", "bob", domain.DispositionAnswered))
	silent.Media = []domain.MediaLeg{{Leg: "a"}, {Leg: "b2"}} // anchored, nothing received
	none := Record("media-none", 3*time.Second, "alice", "bob", domain.DispositionAnswered)
	want := []domain.CDR{both, onlyA, silent, none}
	put(t, s, 1, want...)
	for _, w := range want {
		got, err := s.Get(context.Background(), w.ID)
		if err != nil {
			t.Fatalf("Get %s: %v", w.CallID, err)
		}
		if g, w := jsonOf(t, got), jsonOf(t, w); g != w {
			t.Fatalf("Get:\n got %s\nwant %s", g, w)
		}
	}
	if g, w := jsonOf(t, list(t, s, cdr.Filter{})), jsonOf(t, want); g != w {
		t.Fatalf("List:\n got %s\nwant %s", g, w)
	}
}

func testGetMissing(t *testing.T, o Opener) {
	s := open(t, o)
	if _, err := s.Get(context.Background(), "nope"); !errors.Is(err, cdr.ErrNotFound) {
		t.Fatalf("Get missing: err = %v, want ErrNotFound", err)
	}
}

func testListOrder(t *testing.T, o Opener) {
	s := open(t, o)
	// Put out of order, with ties on start time broken by call id, and
	// one call before 1970 to catch signed-time encodings.
	put(t, s, 1,
		Record("c", 2*time.Second, "u", "v", domain.DispositionBusy),
		Record("b", time.Second, "u", "v", domain.DispositionBusy),
		Record("a", 2*time.Second, "u", "v", domain.DispositionBusy),
	)
	old := Record("old", 0, "u", "v", domain.DispositionBusy)
	old.Start = domain.Timestamp(time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC))
	put(t, s, 2, Record("a0", time.Second+time.Millisecond, "u", "v", domain.DispositionBusy), old)
	want := []string{"old", "b", "a0", "a", "c"}
	if got := callIDs(list(t, s, cdr.Filter{})); !equalStrings(got, want) {
		t.Fatalf("List order = %v, want %v", got, want)
	}
}

// viaTrunk is r as if it left by trunk.
func viaTrunk(r domain.CDR, trunk string) domain.CDR {
	r.Trunk = trunk
	return r
}

func testListFilters(t *testing.T, o Opener) {
	s := open(t, o)
	put(t, s, 1,
		Record("c0", 0, "alice", "bob", domain.DispositionAnswered),
		Record("c1", time.Minute, "alice", "carol", domain.DispositionBusy),
		Record("c2", 2*time.Minute, "dave", "bob", domain.DispositionNoAnswer),
		viaTrunk(Record("c3", 3*time.Minute, "alice", "bob", domain.DispositionAnswered), "gw1"),
		viaTrunk(Record("c4", 4*time.Minute, "erin", "carol", domain.DispositionCancelled), "gw2"),
	)
	tests := []struct {
		name string
		f    cdr.Filter
		want []string
	}{
		{"all", cdr.Filter{}, []string{"c0", "c1", "c2", "c3", "c4"}},
		{"since inclusive", cdr.Filter{Since: base.Add(time.Minute)}, []string{"c1", "c2", "c3", "c4"}},
		{"until exclusive", cdr.Filter{Until: base.Add(2 * time.Minute)}, []string{"c0", "c1"}},
		{"window", cdr.Filter{Since: base.Add(time.Second), Until: base.Add(3*time.Minute + time.Nanosecond)}, []string{"c1", "c2", "c3"}},
		{"empty window", cdr.Filter{Since: base.Add(10 * time.Minute)}, nil},
		{"limit", cdr.Filter{Limit: 2}, []string{"c0", "c1"}},
		{"caller", cdr.Filter{Caller: "alice"}, []string{"c0", "c1", "c3"}},
		{"callee", cdr.Filter{Callee: "bob"}, []string{"c0", "c2", "c3"}},
		{"disposition", cdr.Filter{Disposition: domain.DispositionAnswered}, []string{"c0", "c3"}},
		{"combined with limit", cdr.Filter{Caller: "alice", Callee: "bob", Since: base.Add(time.Second), Limit: 1}, []string{"c3"}},
		{"limit counts matches only", cdr.Filter{Callee: "bob", Limit: 2}, []string{"c0", "c2"}},
		{"number as caller or callee", cdr.Filter{Number: "carol"}, []string{"c1", "c4"}},
		{"number with limit", cdr.Filter{Number: "alice", Limit: 2}, []string{"c0", "c1"}},
		{"trunk", cdr.Filter{Trunk: "gw1"}, []string{"c3"}},
		{"trunk and number", cdr.Filter{Trunk: "gw2", Number: "erin"}, []string{"c4"}},
		{"trunk matches nothing", cdr.Filter{Trunk: "gw9"}, nil},
		{"no match", cdr.Filter{Caller: "mallory"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := callIDs(list(t, s, tc.f)); !equalStrings(got, tc.want) {
				t.Fatalf("List(%+v) = %v, want %v", tc.f, got, tc.want)
			}
		})
	}
}

func testIdempotentPut(t *testing.T, o Opener) {
	s := open(t, o)
	r := Record("dup", 0, "alice", "bob", domain.DispositionAnswered)
	put(t, s, 3, r, r) // twice in one batch
	put(t, s, 4, r)    // and again in a later one
	put(t, s, 5, r, r) // and again
	if got := list(t, s, cdr.Filter{}); len(got) != 1 {
		t.Fatalf("after re-puts: %d records, want 1", len(got))
	}
}

func testUpsertMovesIndex(t *testing.T, o Opener) {
	s := open(t, o)
	r := Record("moved", 0, "alice", "bob", domain.DispositionAnswered)
	put(t, s, 1, r)
	r.Start = domain.Timestamp(base.Add(time.Hour))
	r.Reason = "updated"
	put(t, s, 2, r)
	got := list(t, s, cdr.Filter{})
	if len(got) != 1 || got[0].Reason != "updated" {
		t.Fatalf("after upsert: %+v, want the updated record only", got)
	}
	if got := list(t, s, cdr.Filter{Until: base.Add(time.Minute)}); len(got) != 0 {
		t.Fatalf("old start still indexed: %v", callIDs(got))
	}
}

func testFreshCheckpoint(t *testing.T, o Opener) {
	s := open(t, o)
	if cp := checkpoint(t, s); cp > 1 {
		t.Fatalf("fresh checkpoint = %d, want 0 or 1", cp)
	}
}

func testCheckpointWithPut(t *testing.T, o Opener) {
	s := open(t, o)
	steps := []struct {
		cdrs []domain.CDR
		cp   uint64
	}{
		{[]domain.CDR{Record("x", 0, "a", "b", domain.DispositionBusy)}, 10},
		{nil, 25}, // a batch without records still moves the checkpoint
		{[]domain.CDR{Record("y", time.Second, "a", "b", domain.DispositionBusy)}, 40},
		{nil, 12}, // the store records what it is told, even going back
	}
	for i, st := range steps {
		put(t, s, st.cp, st.cdrs...)
		if got := checkpoint(t, s); got != st.cp {
			t.Fatalf("step %d: checkpoint = %d, want %d", i, got, st.cp)
		}
	}
}

func testFailedPutIsAtomic(t *testing.T, o Opener) {
	s := open(t, o)
	put(t, s, 5, Record("kept", 0, "a", "b", domain.DispositionBusy))
	bad := Record("bad", time.Second, "a", "b", domain.DispositionBusy)
	bad.ID = ""
	err := s.Put(context.Background(), []domain.CDR{Record("lost", time.Second, "a", "b", domain.DispositionBusy), bad}, 9)
	if !errors.Is(err, cdr.ErrInvalidCDR) {
		t.Fatalf("Put with an invalid record: err = %v, want ErrInvalidCDR", err)
	}
	assertUnchanged(t, s, 5, []string{"kept"})
}

func testCancelledPutIsAtomic(t *testing.T, o Opener) {
	s := open(t, o)
	put(t, s, 5, Record("kept", 0, "a", "b", domain.DispositionBusy))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Put(ctx, []domain.CDR{Record("lost", time.Second, "a", "b", domain.DispositionBusy)}, 9); err == nil {
		t.Fatal("Put with a cancelled context succeeded")
	}
	assertUnchanged(t, s, 5, []string{"kept"})
}

func assertUnchanged(t *testing.T, s cdr.Store, cp uint64, calls []string) {
	t.Helper()
	if got := checkpoint(t, s); got != cp {
		t.Fatalf("checkpoint moved to %d by a failed Put, want %d", got, cp)
	}
	if got := callIDs(list(t, s, cdr.Filter{})); !equalStrings(got, calls) {
		t.Fatalf("records after a failed Put = %v, want %v", got, calls)
	}
}

func testReopen(t *testing.T, o Opener) {
	s, err := o()
	if err != nil {
		t.Fatal(err)
	}
	var want []domain.CDR
	for i := range 50 {
		want = append(want, Record(fmt.Sprintf("r%02d", i), time.Duration(i)*time.Second, "a", "b", domain.DispositionAnswered))
	}
	put(t, s, 77, want...)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = open(t, o)
	if got := checkpoint(t, s); got != 77 {
		t.Fatalf("checkpoint after reopen = %d, want 77", got)
	}
	if g, w := jsonOf(t, list(t, s, cdr.Filter{})), jsonOf(t, want); g != w {
		t.Fatalf("records after reopen differ:\n got %s\nwant %s", g, w)
	}
}

func testClosed(t *testing.T, o Opener) {
	s, err := o()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Put(ctx, nil, 1); !errors.Is(err, cdr.ErrClosed) {
		t.Errorf("Put after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Checkpoint(ctx); !errors.Is(err, cdr.ErrClosed) {
		t.Errorf("Checkpoint after Close: %v, want ErrClosed", err)
	}
	if _, err := s.List(ctx, cdr.Filter{}); !errors.Is(err, cdr.ErrClosed) {
		t.Errorf("List after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Get(ctx, "x"); !errors.Is(err, cdr.ErrClosed) {
		t.Errorf("Get after Close: %v, want ErrClosed", err)
	}
}
