package domain_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"testing"
	"time"

	"softswitch/domain"
)

func TestCDROpenCall(t *testing.T) {
	c, _ := domain.NewCall(domain.CallStarted{CallID: "c1", Caller: "6000", Callee: "6001", Source: ""}, t0)
	if _, err := c.CDR(); !errors.Is(err, domain.ErrCallOpen) {
		t.Fatalf("CDR of an open call: %v, want ErrCallOpen", err)
	}
}

// TestBillableRounding pins the 1/1 increment: any started second is billed,
// and an answered call of exactly 0 ms bills nothing.
func TestBillableRounding(t *testing.T) {
	tests := []struct {
		talk     time.Duration
		answered bool
		want     int64
	}{
		{0, true, 0},
		{time.Millisecond, true, 1},
		{999 * time.Millisecond, true, 1},
		{1000 * time.Millisecond, true, 1},
		{1001 * time.Millisecond, true, 2},
		{59*time.Second + 1*time.Millisecond, true, 60},
		{10 * time.Second, false, 0}, // never answered: nothing to bill
	}
	for _, tt := range tests {
		t.Run(tt.talk.String(), func(t *testing.T) {
			ring := 4 * time.Second
			c, _ := domain.NewCall(domain.CallStarted{CallID: "c1", Caller: "6000", Callee: "6001", Source: ""}, t0)
			_ = c.StartLeg("b1", domain.SideB, "", "", "", t0)
			f := domain.Classify(domain.ErrNoAnswer)
			if tt.answered {
				_ = c.AnswerLeg("b1", nil, t0.Add(ring))
				f = nil
			}
			c.End(f, domain.ByCaller, t0.Add(ring+tt.talk))
			r, err := c.CDR()
			if err != nil {
				t.Fatal(err)
			}
			if r.BillableS != tt.want {
				t.Errorf("billable %d s, want %d", r.BillableS, tt.want)
			}
			// Duration covers ringing too: it is start to end, not answer to end.
			if want := (ring + tt.talk).Milliseconds(); r.DurationMS != want {
				t.Errorf("duration %d ms, want %d", r.DurationMS, want)
			}
		})
	}
}

func TestCDRContent(t *testing.T) {
	c := answeredCall(t, t0)
	r, err := c.CDR()
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != domain.CDRID("c1", domain.SideA) || r.CallID != "c1" || r.Caller != "6000" || r.Callee != "6001" || r.Source != "127.0.0.1:5070" {
		t.Errorf("identity fields: %+v", r)
	}
	if !r.Answer.Time().Equal(t0.Add(2*time.Second)) || r.DurationMS != 62500 || r.BillableS != 61 {
		t.Errorf("times: answer %v duration %d billable %d", r.Answer.Time(), r.DurationMS, r.BillableS)
	}
	if len(r.Legs) != 3 || r.Legs[0].Leg != "a" || r.Legs[1].Leg != "b1" || r.Legs[2].Leg != "b2" {
		t.Fatalf("legs: %+v", r.Legs)
	}
	if !r.Legs[2].Answer.Time().IsZero() || r.Legs[2].SIPCode != 487 {
		t.Errorf("cancelled fork: %+v", r.Legs[2])
	}
}

// TestCDRID: the id is what makes CDR writes idempotent across replay and
// redelivery, so it must depend only on (call, leg).
func TestCDRID(t *testing.T) {
	id := domain.CDRID("c1", domain.SideA)
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) {
		t.Fatalf("CDRID %q is not 32 hex digits", id)
	}
	if domain.CDRID("c1", domain.SideA) != id {
		t.Fatal("CDRID not deterministic")
	}
	others := []struct{ call, leg string }{
		{"c2", domain.SideA},
		{"c1", domain.SideB},
		// The separator keeps ("c1a", "") and ("c1", "a") apart.
		{"c1a", ""},
	}
	for _, o := range others {
		if domain.CDRID(o.call, o.leg) == id {
			t.Errorf("CDRID(%q, %q) collides with CDRID(c1, a)", o.call, o.leg)
		}
	}
}

func TestTimestampJSON(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	tests := []struct {
		name string
		in   time.Time
		want string
		// back is what decoding gives: UTC, milliseconds only.
		back time.Time
	}{
		{"zero is null", time.Time{}, `null`, time.Time{}},
		{"millis", time.Date(2026, 1, 2, 3, 4, 5, 123e6, time.UTC), `"2026-01-02T03:04:05.123Z"`, time.Date(2026, 1, 2, 3, 4, 5, 123e6, time.UTC)},
		{"whole second keeps .000", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), `"2026-01-02T03:04:05.000Z"`, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"nanos truncated", time.Date(2026, 1, 2, 3, 4, 5, 123999999, time.UTC), `"2026-01-02T03:04:05.123Z"`, time.Date(2026, 1, 2, 3, 4, 5, 123e6, time.UTC)},
		{"zone converted to UTC", time.Date(2026, 1, 2, 4, 4, 5, 0, paris), `"2026-01-02T03:04:05.000Z"`, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(domain.Timestamp(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Fatalf("marshal = %s, want %s", b, tt.want)
			}
			var got domain.Timestamp
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Time(), tt.back) {
				t.Fatalf("round trip = %v, want %v", got.Time(), tt.back)
			}
		})
	}
}

func TestTimestampUnmarshal(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		// Other producers may send offsets or more digits; accept them.
		{`"2026-01-02T04:04:05+01:00"`, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), false},
		{`"2026-01-02T03:04:05.123456789Z"`, time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC), false},
		{`"yesterday"`, time.Time{}, true},
		{`12345`, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got domain.Timestamp
			err := json.Unmarshal([]byte(tt.in), &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(got.Time(), tt.want) {
				t.Fatalf("got %v, want %v", got.Time(), tt.want)
			}
		})
	}
}

// TestCDRJSONRoundTrip: the CDR store and the HTTP API both go through JSON;
// an unanswered call must carry "answer": null, not year 1.
func TestCDRJSONRoundTrip(t *testing.T) {
	c, _ := domain.NewCall(domain.CallStarted{CallID: "c1", Caller: "6000", Callee: "6001", Source: ""}, t0)
	_ = c.StartLeg("a", domain.SideA, "c1", "", "", t0)
	c.End(domain.Classify(domain.ErrCalleeBusy), domain.BySwitch, t0.Add(1500*time.Millisecond))
	r, _ := c.CDR()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if m["answer"] != nil || m["start"] != "2026-11-24T08:00:00.000Z" || m["billable_s"] != 0.0 {
		t.Fatalf("CDR JSON: %s", b)
	}
	var back domain.CDR
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back, r)
	}
}
