package chstore

import (
	"encoding/json"
	"testing"
	"time"

	"softswitch/domain"
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
