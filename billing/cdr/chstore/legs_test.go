package chstore

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/internal/testenv"
)

func TestAppendLegsMatchesJSON(t *testing.T) {
	at := domain.Timestamp(time.Date(2025, 3, 14, 9, 26, 53, 589_999_999, time.FixedZone("X", -7200)))
	old := domain.Timestamp(time.Date(1969, 7, 20, 20, 17, 0, 1, time.UTC))
	tests := []struct {
		name string
		legs []domain.CDRLeg
	}{
		{"nil", nil},
		{"empty", []domain.CDRLeg{}},
		{"zero leg", []domain.CDRLeg{{}}},
		{"two legs", []domain.CDRLeg{
			{Leg: "a", Side: "a", SIPCallID: "x@y", Peer: "192.0.2.1:5060", Start: at, Answer: at, End: at, SIPCode: 200, Reason: "OK", EndedBy: "caller"},
			{Leg: "b", Side: "b", Target: "sip:bob@example.com", Start: old, SIPCode: -1},
		}},
		{"trunk attempts", []domain.CDRLeg{
			{Leg: "b1", Side: "b", Target: "sip:13800138000@192.0.2.1", Trunk: "cm-gw1", Carrier: "china-mobile", Start: at, End: at, SIPCode: 503},
			{Leg: "b2", Side: "b", Trunk: "cm-gw2", Start: at, SIPCode: 200},
			{Leg: "b3", Side: "b", Carrier: "only-carrier"},
		}},
		{"years at the edges", []domain.CDRLeg{
			{Start: domain.Timestamp(time.Date(7, 1, 2, 3, 4, 5, 6_000_000, time.UTC)), End: domain.Timestamp(time.Date(12345, 12, 31, 23, 59, 59, 999_000_000, time.UTC))},
		}},
		{"escapes", []domain.CDRLeg{{Leg: `"q"\`, Side: "<&>", SIPCallID: "tab\there", Peer: "ünïcode", Reason: "bad\xffutf8", EndedBy: "\u2028"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(tc.legs)
			if err != nil {
				t.Fatal(err)
			}
			got, err := appendLegs([]byte("prefix"), tc.legs)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != "prefix"+string(want) {
				t.Fatalf("\n got %s\nwant prefix%s", got, want)
			}
		})
	}
}

// TestCarrierTrunkRoundTrip: a CDR's carrier and trunk go to the columns
// of those names (billing queries group by them) and come back, with the
// trunk of every attempt leg in the legs JSON.
func TestCarrierTrunkRoundTrip(t *testing.T) {
	ctx := context.Background()
	cfg := Config{DSN: testenv.ClickHouse(t), Database: testenv.Unique("cdrtest_")}
	s, err := Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.conn.Exec(context.Background(), "DROP DATABASE IF EXISTS `"+cfg.Database+"`")
		s.Close()
	})
	at := domain.Timestamp(time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC))
	want := domain.CDR{ID: domain.CDRID("trunked", "a"), CallID: "trunked", Caller: "6000", Callee: "13800138000",
		Start: at, End: at, Disposition: domain.DispositionBusy, SIPCode: 486, Carrier: "china-mobile", Trunk: "cm-gw2",
		Legs: []domain.CDRLeg{
			{Leg: "b1", Side: "b", Trunk: "cm-gw1", Carrier: "china-mobile", Start: at, SIPCode: 503},
			{Leg: "b2", Side: "b", Trunk: "cm-gw2", Carrier: "china-mobile", Start: at, SIPCode: 486},
		}}
	if err := s.Put(ctx, []domain.CDR{want}, 1); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Fatalf("\n got %s\nwant %s", g, w)
	}
	var carrier, trunk string
	if err := s.conn.QueryRow(ctx, "SELECT carrier, trunk FROM "+s.table+" WHERE id = ?", want.ID).Scan(&carrier, &trunk); err != nil {
		t.Fatal(err)
	}
	if carrier != "china-mobile" || trunk != "cm-gw2" {
		t.Fatalf("columns carrier/trunk = %q/%q", carrier, trunk)
	}
}
