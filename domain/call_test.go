package domain_test

import (
	"errors"
	"reflect"
	"testing"
	"testing/synctest"
	"time"

	"softswitch/domain"
)

var t0 = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)

func TestNewCallInvalid(t *testing.T) {
	tests := []struct{ name, id, caller, callee string }{
		{"no id", "", "6000", "6001"},
		{"no caller", "c1", "", "6001"},
		{"no callee", "c1", "6000", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := domain.NewCall(domain.CallStarted{CallID: tt.id, Caller: tt.caller, Callee: tt.callee, Source: "127.0.0.1"}, t0)
			if !errors.Is(err, domain.ErrInvalidCall) || c != nil {
				t.Fatalf("NewCall = %v, %v; want nil, ErrInvalidCall", c, err)
			}
		})
	}
}

// answeredCall drives the happy path of one forked call: the A-leg, two
// B-legs, one rings and answers, the other is cancelled, the caller hangs up.
func answeredCall(t *testing.T, at time.Time) *domain.Call {
	t.Helper()
	c, err := domain.NewCall(domain.CallStarted{CallID: "c1", Caller: "6000", Callee: "6001", Source: "127.0.0.1:5070"}, at)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.StartLeg("a", domain.SideA, "c1", "127.0.0.1:5070", "", at))
	must(c.StartLeg("b1", domain.SideB, "c1-b1", "127.0.0.1:5080", "sip:6001@127.0.0.1:5080", at.Add(10*time.Millisecond)))
	must(c.StartLeg("b2", domain.SideB, "c1-b2", "127.0.0.1:5090", "sip:6001@127.0.0.1:5090", at.Add(10*time.Millisecond)))
	must(c.Progress("b1", 180, at.Add(100*time.Millisecond)))
	must(c.Progress("b1", 183, at.Add(150*time.Millisecond))) // recorded, but Leg.Progress keeps the first
	c.Transaction(domain.SIPTransaction{Leg: "b1", Direction: domain.DirOut, Method: "INVITE", Code: 200}, at.Add(2*time.Second))
	must(c.AnswerLeg("b1", nil, at.Add(2*time.Second)))
	must(c.AnswerLeg("a", nil, at.Add(2*time.Second)))
	must(c.EndLeg("b2", 487, "Request Terminated", domain.BySwitch, at.Add(2*time.Second)))
	c.End(nil, domain.ByCaller, at.Add(62*time.Second+500*time.Millisecond))
	return c
}

func TestCallEvents(t *testing.T) {
	c := answeredCall(t, t0)
	pending := c.Pending()
	want := []struct {
		typ string
		at  time.Duration
	}{
		{domain.TypeCallStarted, 0},
		{domain.TypeLegStarted, 0},
		{domain.TypeLegStarted, 10 * time.Millisecond},
		{domain.TypeLegStarted, 10 * time.Millisecond},
		{domain.TypeLegProgress, 100 * time.Millisecond},
		{domain.TypeLegProgress, 150 * time.Millisecond},
		{domain.TypeSIPTransaction, 2 * time.Second},
		{domain.TypeLegAnswered, 2 * time.Second},
		{domain.TypeCallAnswered, 2 * time.Second}, // the first B-leg 2xx answers the call
		{domain.TypeLegAnswered, 2 * time.Second},  // the A-leg's answer does not answer it again
		{domain.TypeLegEnded, 2 * time.Second},
		// End closes the legs still open (a, b1) then the call.
		{domain.TypeLegEnded, 62500 * time.Millisecond},
		{domain.TypeLegEnded, 62500 * time.Millisecond},
		{domain.TypeCallEnded, 62500 * time.Millisecond},
	}
	if len(pending) != len(want) {
		for _, r := range pending {
			t.Logf("%d %s", r.Seq, r.Event.EventType())
		}
		t.Fatalf("%d events, want %d", len(pending), len(want))
	}
	for i, r := range pending {
		// Seq is the per-aggregate sequence the store orders by: 1, 2, ...
		// without gaps, or a consumer would take a gap for a lost event.
		if r.Seq != uint64(i+1) {
			t.Errorf("event %d: seq %d", i, r.Seq)
		}
		if r.Event.EventType() != want[i].typ || !r.At.Equal(t0.Add(want[i].at)) {
			t.Errorf("event %d: %s at %v, want %s at +%v", i, r.Event.EventType(), r.At, want[i].typ, want[i].at)
		}
		if r.Event.AggregateKey() != domain.CallKey("c1") {
			t.Errorf("event %d: aggregate %q", i, r.Event.AggregateKey())
		}
	}
	if c.Version() != uint64(len(want)) {
		t.Errorf("version %d, want %d", c.Version(), len(want))
	}
	if p := c.Pending(); len(p) != 0 {
		t.Errorf("Pending did not clear: %d left", len(p))
	}
	ended := pending[len(pending)-1].Event.(domain.CallEnded)
	if ended.Disposition != domain.DispositionAnswered || ended.Code != 200 || ended.By != domain.ByCaller {
		t.Errorf("CallEnded = %+v", ended)
	}
	legs := c.Legs()
	if got := legs[1].Progress; !got.Equal(t0.Add(100 * time.Millisecond)) {
		t.Errorf("b1 progress %v: the first provisional must stick", got)
	}
	if legs[2].Code != 487 || legs[2].By != domain.BySwitch {
		t.Errorf("b2 = %+v", legs[2])
	}
}

func TestCommandErrors(t *testing.T) {
	tests := []struct {
		name string
		do   func(c *domain.Call) error
	}{
		{"bad side", func(c *domain.Call) error { return c.StartLeg("x", "c", "", "", "", t0) }},
		{"duplicate leg", func(c *domain.Call) error { return c.StartLeg("a", domain.SideA, "", "", "", t0) }},
		{"progress 200", func(c *domain.Call) error { return c.Progress("a", 200, t0) }},
		{"progress 100 is not a provisional answer", func(c *domain.Call) error { return c.Progress("a", 100, t0) }},
		{"progress unknown leg", func(c *domain.Call) error { return c.Progress("zz", 180, t0) }},
		{"answer unknown leg", func(c *domain.Call) error { return c.AnswerLeg("zz", nil, t0) }},
		{"end unknown leg", func(c *domain.Call) error { return c.EndLeg("zz", 200, "", domain.ByCaller, t0) }},
		{"progress ended leg", func(c *domain.Call) error {
			_ = c.EndLeg("a", 487, "", domain.ByCaller, t0)
			return c.Progress("a", 180, t0)
		}},
		{"answer ended leg", func(c *domain.Call) error {
			_ = c.EndLeg("a", 487, "", domain.ByCaller, t0)
			return c.AnswerLeg("a", nil, t0)
		}},
		{"leg after end", func(c *domain.Call) error {
			c.End(domain.Classify(domain.ErrCancelled), domain.ByCaller, t0)
			return c.StartLeg("b9", domain.SideB, "", "", "", t0)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := domain.NewCall(domain.CallStarted{CallID: "c1", Caller: "6000", Callee: "6001", Source: ""}, t0)
			if err := c.StartLeg("a", domain.SideA, "c1", "", "", t0); err != nil {
				t.Fatal(err)
			}
			before := len(c.Legs())
			c.Pending()
			v := c.Version()
			err := tt.do(c)
			if !errors.Is(err, domain.ErrInvalidCall) {
				t.Fatalf("err = %v, want ErrInvalidCall", err)
			}
			// A refused command must record nothing beyond the setup above.
			for _, r := range c.Pending() {
				if r.Seq <= v {
					t.Errorf("seq %d reused", r.Seq)
				}
			}
			if len(c.Legs()) != before {
				t.Errorf("legs changed on error")
			}
		})
	}
}

// TestIdempotentCommands: the SIP layer retransmits, so a repeated 2xx or
// BYE must not produce a second event.
func TestIdempotentCommands(t *testing.T) {
	c, _ := domain.NewCall(domain.CallStarted{CallID: "c1", Caller: "6000", Callee: "6001", Source: ""}, t0)
	_ = c.StartLeg("b1", domain.SideB, "", "", "", t0)
	_ = c.AnswerLeg("b1", nil, t0)
	c.Pending()
	if err := c.AnswerLeg("b1", nil, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := c.EndLeg("b1", 200, "", domain.ByCallee, t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := c.EndLeg("b1", 200, "", domain.ByCallee, t0.Add(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	c.End(nil, domain.ByCallee, t0.Add(3*time.Second))
	c.End(nil, domain.ByCallee, t0.Add(4*time.Second))
	var types []string
	for _, r := range c.Pending() {
		types = append(types, r.Event.EventType())
	}
	want := []string{domain.TypeLegEnded, domain.TypeCallEnded}
	if !reflect.DeepEqual(types, want) {
		t.Fatalf("events %v, want %v", types, want)
	}
}

func TestEndDisposition(t *testing.T) {
	tests := []struct {
		name     string
		answer   bool
		failure  *domain.CallFailure
		wantDisp string
		wantCode int
	}{
		{"answered, hung up", true, nil, domain.DispositionAnswered, 200},
		// Billing must see an answered call as answered even if the switch
		// cut it (max duration, lost leg): the minutes were used.
		{"answered, max duration", true, domain.Classify(domain.ErrMaxDuration), domain.DispositionAnswered, domain.Classify(domain.ErrMaxDuration).Code},
		{"busy", false, domain.Classify(domain.ErrCalleeBusy), domain.DispositionBusy, 486},
		{"cancelled", false, domain.Classify(domain.ErrCancelled), domain.DispositionCancelled, 487},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := domain.NewCall(domain.CallStarted{CallID: "c1", Caller: "6000", Callee: "6001", Source: ""}, t0)
			_ = c.StartLeg("a", domain.SideA, "", "", "", t0)
			_ = c.StartLeg("b1", domain.SideB, "", "", "", t0)
			if tt.answer {
				_ = c.AnswerLeg("b1", nil, t0.Add(time.Second))
			}
			c.End(tt.failure, domain.BySwitch, t0.Add(5*time.Second))
			r, err := c.CDR()
			if err != nil {
				t.Fatal(err)
			}
			if r.Disposition != tt.wantDisp || r.SIPCode != tt.wantCode {
				t.Fatalf("disposition %s %d, want %s %d", r.Disposition, r.SIPCode, tt.wantDisp, tt.wantCode)
			}
			for _, l := range r.Legs {
				if l.End.Time().IsZero() {
					t.Errorf("leg %s left open by End", l.Leg)
				}
			}
		})
	}
}

// TestReplayIdenticalCDR: the CDR consumer rebuilds calls from the log, so
// folding the recorded events (after a trip through Seal/Decode, as they
// come back from the store) must give the switch's own CDR.
func TestReplayIdenticalCDR(t *testing.T) {
	live := answeredCall(t, t0)
	want, err := live.CDR()
	if err != nil {
		t.Fatal(err)
	}
	replayed := domain.ReplayCall()
	for _, r := range live.Pending() {
		env, err := domain.Seal(r.Event, "n1-x", "n1", r.Seq, r.At)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := domain.Decode(env)
		if err != nil {
			t.Fatal(err)
		}
		replayed.Apply(ev, env.Time)
	}
	got, err := replayed.CDR()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("replayed CDR differs:\n got %+v\nwant %+v", got, want)
	}
	if replayed.Version() != live.Version() || replayed.ID() != "c1" || replayed.Caller() != "6000" || replayed.Callee() != "6001" {
		t.Fatalf("replayed state differs: v%d %s %s->%s", replayed.Version(), replayed.ID(), replayed.Caller(), replayed.Callee())
	}
}

// TestCallWithFakeClock drives a call with time.Now inside a synctest
// bubble, as the switch does, so the durations come from real clock reads
// while the test takes no wall time.
func TestCallWithFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := domain.NewCall(domain.CallStarted{CallID: "c1", Caller: "6000", Callee: "6001", Source: ""}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		_ = c.StartLeg("b1", domain.SideB, "", "", "", time.Now())
		time.Sleep(3 * time.Second) // ringing
		_ = c.AnswerLeg("b1", nil, time.Now())
		time.Sleep(90*time.Second + time.Millisecond) // talking
		c.End(nil, domain.ByCallee, time.Now())
		r, err := c.CDR()
		if err != nil {
			t.Fatal(err)
		}
		if r.DurationMS != 93001 || r.BillableS != 91 {
			t.Fatalf("duration %d ms, billable %d s; want 93001, 91", r.DurationMS, r.BillableS)
		}
	})
}

// TestCallFoldsMatchesApply: CallFolds names exactly the event types that
// change a call's state, so a consumer that skips the others builds the
// same CDR. (call.ended, which ends every call, is folded too.)
func TestCallFoldsMatchesApply(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	samples := map[string]domain.Event{
		domain.TypeCallStarted:    domain.CallStarted{CallID: "c", Caller: "6000", Callee: "6001"},
		domain.TypeLegStarted:     domain.LegStarted{CallID: "c", Leg: "b9", Side: domain.SideB},
		domain.TypeRouteDecided:   domain.RouteDecided{CallID: "c", RouteDecision: domain.RouteDecision{Number: "86"}},
		domain.TypeLegProgress:    domain.LegProgress{CallID: "c", Leg: "a", Code: 180},
		domain.TypeLegAnswered:    domain.LegAnswered{CallID: "c", Leg: "a"},
		domain.TypeCallAnswered:   domain.CallAnswered{CallID: "c", Leg: "b1"},
		domain.TypeLegEnded:       domain.LegEnded{CallID: "c", Leg: "a", Code: 200},
		domain.TypeSIPTransaction: domain.SIPTransaction{Key: "call:c", Method: "INVITE", Code: 200},
		domain.TypeMediaAnchored:  domain.MediaAnchored{CallID: "c", Leg: "a"},
		domain.TypeMediaStats:     domain.MediaStats{CallID: "c", Legs: []domain.MediaLeg{{Leg: "a", Packets: 1}}},
		domain.TypeDTMF:           domain.DTMF{CallID: "c", Leg: "a", Digit: "1"},
		domain.TypeRecording:      domain.Recording{CallID: "c", Path: "/r.wav"},
	}
	for typ, ev := range samples {
		base := func() *domain.Call {
			c := domain.ReplayCall()
			c.Apply(domain.CallStarted{CallID: "c", Caller: "6000", Callee: "6001"}, at)
			c.Apply(domain.LegStarted{CallID: "c", Leg: "a", Side: domain.SideA}, at)
			return c
		}
		folded, skipped := base(), base()
		folded.Apply(ev, at.Add(time.Second))
		skipped.Apply(opaque(typ), at.Add(time.Second))
		for _, c := range []*domain.Call{folded, skipped} {
			c.Apply(domain.CallEnded{CallID: "c", Code: 200}, at.Add(2*time.Second))
		}
		a, _ := folded.CDR()
		b, _ := skipped.CDR()
		changes := !reflect.DeepEqual(a, b) || !reflect.DeepEqual(folded.Legs(), skipped.Legs()) ||
			!reflect.DeepEqual(folded.Routes(), skipped.Routes())
		if changes != domain.CallFolds(typ) {
			t.Errorf("%s: Apply changes the CDR: %v, CallFolds says %v", typ, changes, domain.CallFolds(typ))
		}
	}
}

type opaque string

func (o opaque) EventType() string    { return string(o) }
func (o opaque) SchemaVersion() int   { return 0 }
func (o opaque) AggregateKey() string { return "call:c" }
