package replay

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"softswitch/domain"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const callID = "failover-1@10.0.0.1"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

type at struct {
	ev domain.Event
	t  time.Time
}

// failoverCall is a call whose first attempt (trunk-a) answers 503 and
// whose second (trunk-b) answers 200, as switching records it.
func failoverCall(t *testing.T) []domain.Envelope {
	t.Helper()
	return seal(t, failoverEvents())
}

func seal(t *testing.T, evs []at) []domain.Envelope {
	t.Helper()
	out := make([]domain.Envelope, 0, len(evs))
	for i, e := range evs {
		env, err := domain.Seal(e.ev, "id", "node1", uint64(i+1), e.t)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, env)
	}
	return out
}

func failoverEvents() []at {
	a := domain.SIPTransaction{Key: domain.CallKey(callID), Leg: "a", Direction: domain.DirIn, Method: "INVITE", CSeq: 1,
		Code: 200, Reason: "OK", Peer: "10.0.0.1:5060", Started: ms(-3), Duration: 903 * time.Millisecond}
	evs := []at{
		{domain.CallStarted{CallID: callID, Caller: "1001", Callee: "04930123", Source: "10.0.0.1:5060"}, ms(0)},
		{domain.LegStarted{CallID: callID, Leg: "a", Side: domain.SideA, SIPCallID: callID, Peer: "10.0.0.1:5060"}, ms(0)},
		{domain.RouteDecided{CallID: callID, RouteDecision: domain.RouteDecision{Number: "4930123", Dialled: "04930123",
			Prefix: "49", Carrier: "carrier-x", CarrierSource: domain.CarrierFromSegment,
			Candidates: []domain.RouteCandidate{{Trunk: "trunk-a", Carrier: "carrier-x"}, {Trunk: "trunk-b", Carrier: "carrier-x"}},
			Chosen:     "trunk-a", Reason: "first eligible by priority"}}, ms(1)},
		{domain.LegStarted{CallID: callID, Leg: "b1", Side: domain.SideB, SIPCallID: "b1-x", Peer: "10.0.0.2:5060",
			Target: "sip:4930123@10.0.0.2:5060", Trunk: "trunk-a", Carrier: "carrier-x"}, ms(2)},
		{domain.SIPTransaction{Key: domain.CallKey(callID), Leg: "b1", Direction: domain.DirOut, Method: "INVITE", CSeq: 1,
			Code: 503, Reason: "Service Unavailable", Peer: "10.0.0.2:5060", Started: ms(2), Duration: 120 * time.Millisecond}, ms(122)},
		{domain.LegEnded{CallID: callID, Leg: "b1", Code: 503, Reason: "Service Unavailable", By: domain.ByCallee}, ms(122)},
		{domain.RouteDecided{CallID: callID, RouteDecision: domain.RouteDecision{Number: "4930123", Dialled: "04930123",
			Prefix: "49", Carrier: "carrier-x", CarrierSource: domain.CarrierFromSegment,
			Candidates: []domain.RouteCandidate{{Trunk: "trunk-a", Carrier: "carrier-x", Skip: domain.SkipFailed}, {Trunk: "trunk-b", Carrier: "carrier-x"}},
			Chosen:     "trunk-b", Reason: "failover after 503"}}, ms(123)},
		{domain.LegStarted{CallID: callID, Leg: "b2", Side: domain.SideB, SIPCallID: "b2-x", Peer: "10.0.0.3:5060",
			Target: "sip:4930123@10.0.0.3:5060", Trunk: "trunk-b", Carrier: "carrier-x"}, ms(124)},
		{domain.LegProgress{CallID: callID, Leg: "b2", Code: 180}, ms(300)},
		{domain.LegAnswered{CallID: callID, Leg: "b2"}, ms(900)},
		{domain.SIPTransaction{Key: domain.CallKey(callID), Leg: "b2", Direction: domain.DirOut, Method: "INVITE", CSeq: 1,
			Code: 200, Peer: "10.0.0.3:5060", Started: ms(124), Duration: 776 * time.Millisecond}, ms(900)},
		{domain.CallAnswered{CallID: callID, Leg: "b2"}, ms(900)},
		{a, ms(900)},
		{domain.SIPTransaction{Key: domain.CallKey(callID), Leg: "a", Direction: domain.DirIn, Method: "BYE", CSeq: 2,
			Code: 200, Reason: "OK", Peer: "10.0.0.1:5060", Started: ms(5000), Duration: 0}, ms(5000)},
		{domain.SIPTransaction{Key: domain.CallKey(callID), Leg: "b2", Direction: domain.DirOut, Method: "BYE", CSeq: 2,
			Code: 200, Reason: "OK", Peer: "10.0.0.3:5060", Started: ms(5000), Duration: 15 * time.Millisecond}, ms(5015)},
		{domain.LegEnded{CallID: callID, Leg: "b2", Code: 200, Reason: "BYE", By: domain.ByCaller}, ms(5015)},
		{domain.LegEnded{CallID: callID, Leg: "a", Code: 200, Reason: "BYE", By: domain.ByCaller}, ms(5015)},
		{domain.CallEnded{CallID: callID, Code: 200, Disposition: domain.DispositionAnswered, Reason: "BYE", By: domain.ByCaller}, ms(5015)},
	}
	return evs
}

func TestBuildFailover(t *testing.T) {
	envs := failoverCall(t)
	// Reverse, add a duplicate, another call's event and an unknown type:
	// Build orders by Seq, counts a Seq once, ignores other aggregates and
	// skips what it does not know.
	mixed := make([]domain.Envelope, 0, len(envs)+3)
	for i := len(envs) - 1; i >= 0; i-- {
		mixed = append(mixed, envs[i])
	}
	mixed = append(mixed, envs[3])
	other, _ := domain.Seal(domain.CallStarted{CallID: "other"}, "x", "node1", 1, t0)
	mixed = append(mixed, other)
	unknown := envs[0]
	unknown.Type, unknown.Seq = "call.future_thing", 99
	mixed = append(mixed, unknown)

	h, err := Build(callID, mixed)
	if err != nil {
		t.Fatal(err)
	}
	if h.Events != len(envs)+1 || h.Skipped != 1 {
		t.Errorf("events %d skipped %d, want %d and 1", h.Events, h.Skipped, len(envs)+1)
	}
	if len(h.Legs) != 3 || len(h.Routes) != 2 || len(h.Transactions) != 5 {
		t.Fatalf("legs %d routes %d txs %d, want 3, 2, 5", len(h.Legs), len(h.Routes), len(h.Transactions))
	}
	if h.Legs[1].Code != 503 || h.Legs[2].Answered.IsZero() || h.AnsweredLeg != "b2" {
		t.Errorf("legs %+v answered %q", h.Legs, h.AnsweredLeg)
	}
	if h.Routes[0].Chosen != "trunk-a" || h.Routes[1].Chosen != "trunk-b" {
		t.Errorf("routes %+v", h.Routes)
	}
	if h.End == nil || h.End.Disposition != domain.DispositionAnswered || h.BillableS() != 5 {
		t.Errorf("end %+v billable %d", h.End, h.BillableS())
	}
	if !h.Origin().Equal(ms(-3)) {
		t.Errorf("origin %v, want the A-leg INVITE's start", h.Origin())
	}
}

func TestBuildNoEvents(t *testing.T) {
	if _, err := Build("nope", failoverCall(t)); !errors.Is(err, ErrNoEvents) {
		t.Fatalf("err %v, want ErrNoEvents", err)
	}
}

func TestBuildBadPayload(t *testing.T) {
	envs := failoverCall(t)
	envs[2].Payload = []byte(`{"number": 12}`)
	if _, err := Build(callID, envs); err == nil || !strings.Contains(err.Error(), "seq 3") {
		t.Fatalf("err %v, want a decode error naming seq 3", err)
	}
}

func TestRenderGolden(t *testing.T) {
	cases := []struct {
		name   string
		rating *domain.Rating
		envs   func(*testing.T) []domain.Envelope
	}{
		{"failover", &domain.Rating{RatingStatus: "rated", RatingVersion: 1, Price: "0.0500", Currency: "EUR",
			RateDeck: "retail@v2", RatePrefix: "49", Cost: "0.0200", CostCurrency: "EUR", CostDeck: "carrier-x@v1",
			CostPrefix: "49", CostBillableS: 6}, failoverCall},
		{"failover_unrated", nil, failoverCall},
		{"open_call", nil, func(t *testing.T) []domain.Envelope { return failoverCall(t)[:9] }},
		{"media", nil, mediaCall},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Build(callID, tc.envs(t))
			if err != nil {
				t.Fatal(err)
			}
			h.Rating = tc.rating
			var buf bytes.Buffer
			if err := Render(&buf, h); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != string(want) {
				t.Errorf("render differs from %s (go test -run TestRenderGolden -update to accept):\n%s", golden, got)
			}
		})
	}
}

// The failover replay shows both attempts and both decisions, whatever
// the golden file says.
func TestRenderFailoverShowsBothAttempts(t *testing.T) {
	h, err := Build(callID, failoverCall(t))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Render(&buf, h); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"trunk-a", "trunk-b", "503 Service Unavailable", "200 OK", "180 Ringing",
		"#1 at", "#2 at", "skipped: failed", "chosen     trunk-a", "chosen     trunk-b", "disposition  answered"} {
		if !strings.Contains(out, want) {
			t.Errorf("render lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "──INVITE"); n != 3 {
		t.Errorf("%d INVITE arrows, want 3 (A-leg and two attempts):\n%s", n, out)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRenderWriteError(t *testing.T) {
	h, _ := Build(callID, failoverCall(t))
	if err := Render(failWriter{}, h); err == nil {
		t.Fatal("want the write error")
	}
}
