package domain

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestSealDecodeRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 24, 8, 0, 0, 123e6, time.UTC)
	events := []Event{
		SubscriberProvisioned{User: "6000", Realm: "r", HA1MD5: "a", HA1SHA256: "b"},
		SubscriberCredentialsChanged{User: "6000", Realm: "r"},
		SubscriberRemoved{User: "6000"},
		ContactBound{AOR: "6000", Contact: "sip:6000@127.0.0.1:5070", Expires: 60, ExpiresAt: at, CSeq: 2},
		ContactUnbound{AOR: "6000", Contact: "sip:6000@127.0.0.1", Reason: UnbindExpired},
		AuthFailed{Source: "127.0.0.1", User: "x", Method: "REGISTER"},
		SourceBanned{Source: "127.0.0.1", Until: at, Fails: 5},
		CallStarted{CallID: "c", SIPCallID: "x@y", Caller: "6000", Callee: "6001"},
		LegStarted{CallID: "c", Leg: "b1", Side: SideB},
		LegProgress{CallID: "c", Leg: "b1", Code: 180},
		LegAnswered{CallID: "c", Leg: "b1", Dialog: &Dialog{CallID: "b@x", LocalTag: "l", RemoteTag: "r", LocalURI: "<sip:6000@x>",
			RemoteURI: "<sip:6001@x>", RemoteTarget: "sip:6001@192.0.2.1", RouteSet: []string{"<sip:p@192.0.2.9;lr>"}, Transport: "UDP",
			LocalCSeq: 1, SessionExpires: 1800, Refresher: RefresherSwitch}},
		LegEnded{CallID: "c", Leg: "b1", Code: 200, Until: at},
		CallAnswered{CallID: "c", Leg: "b1"},
		CallEnded{CallID: "c", Code: 200, Disposition: DispositionAnswered},
		SIPTransaction{Key: CallKey("c"), Method: "INVITE", Code: 200, Started: at, Duration: time.Second,
			Provisional: []Provisional{{Code: 180, Reason: "Ringing", At: at}}, Ack: at.Add(time.Second)},
		RouteDecided{CallID: "c", RouteDecision: RouteDecision{Number: "8613800138000", Dialled: "13800138000", Prefix: "86138",
			Carrier: "cm", CarrierSource: CarrierFromSegment, MVNOFallback: true, Chosen: "gw2", Reason: "routed",
			Candidates: []RouteCandidate{{Trunk: "gw1", Carrier: "cm", Skip: SkipDown}, {Trunk: "gw2", Carrier: "cm"}}}},
		MediaAnchored{CallID: "c", Leg: "a", Local: "192.0.2.5:30000", Remote: "198.51.100.7:4000", Direction: "sendonly", Codecs: []string{"PCMA", "telephone-event"}},
		MediaStats{CallID: "c", Final: true, Legs: []MediaLeg{{Leg: "a", Packets: 100, Bytes: 17200, Lost: 2, JitterMs: 1.5, MOS: 4.3, Sent: 99, Foreign: 3}}},
		DTMF{CallID: "c", Leg: "a", Digit: "5", DurationMs: 160, At: at, Ended: true},
		Recording{CallID: "c", Path: "/rec/c.wav", Bytes: 1044, DurationMs: 1000, SHA256: "ab", Packets: 100},
		CarrierDefined{Name: "mvno1", Kind: CarrierMVNO, Host: "cm"},
		CarrierRemoved{Name: "mvno1"},
		TrunkDefined{Name: "gw1", Carrier: "cm", Address: "192.0.2.1:5060", Transport: TransportUDP, MaxChannels: 10, MaxCPS: 2,
			ACL: []string{"192.0.2.0/24"}, Register: TrunkRegistration{Enabled: true, Username: "u", Expires: 3600},
			AuthUsername: "u", OptionsInterval: 30 * time.Second, OptionsTimeout: 5 * time.Second, Codecs: []string{"PCMA"},
			CallerID: CallerIDPolicy{PAI: true, Pool: []string{"861012345678"}}, Rewrite: NumberRewrite{Format: FormatNational, AddPrefix: "9"}},
		TrunkRemoved{Name: "gw1"},
		TrunkHealthChanged{Trunk: "gw1", Up: false, Reason: HealthOptionsTimeout},
		TrunkRegistrationChanged{Trunk: "gw1", Registered: true, Code: 200, Expires: 1800},
		RouteDefined{Prefix: "86138", Trunks: []string{"gw1", "gw2"}, Weights: []int{3, 1}},
		RouteRemoved{Prefix: "86138"},
		DIDAssigned{Number: "861012345678", User: "6001"},
		DIDRemoved{Number: "861012345678"},
		RateDeckPublished{Name: "retail", Version: 2, Side: SideSell, Owner: "account:*", Currency: "CNY",
			Rows: []RateDeckRow{{Prefix: "86138", RatePerMin: "0.0123", ConnectFee: "0.00", IncrementFirstS: 30, IncrementNextS: 6, EffectiveFrom: Timestamp(at)}}},
		AccountCredited{Account: "6000", Amount: "10.00", Currency: "CNY", Reason: "opening balance", Ref: OpeningRef},
		AccountCharged{Account: "6000", CallID: "c", Amount: "0.50", Currency: "CNY", Prefix: "86", Deck: "retail@v2", BillableS: 5},
		AccountReservationRequested{Account: "6000", CallID: "c", Reservation: "r1", Amount: "3.00", Minimum: "0.10", Currency: "CNY",
			Prepaid: true, CreditLimit: "1.00", MaxCalls: 2},
		AccountReleased{Account: "6000", CallID: "c", Reason: "not answered"},
		AuditAnchored{Position: 42, Chain: "00ff", Verified: 42},
		NodeAlive{Node: "n1"},
		AdminChanged{Node: "n1", By: "ops", Method: "POST", Path: "/api/v1/subscribers", Status: 201, Changes: []string{"subscriber.provisioned subscriber:7000"}},
		ClickToCallRequested{ID: "c2c1", Agent: "6001", Number: "13800138000", By: "api"},
		ClickToCallStep{ID: "c2c1", Step: StepAgentAnswered, SIPCallID: "x@y"},
		ClickToCallEnded{ID: "c2c1", Outcome: OutcomeNumberFailed, Code: 486, Reason: "Busy Here"},
		CampaignDefined{Spec: CampaignSpec{Name: "spring", Mode: "progressive", Agents: []string{"6001"}, RingSeconds: 30,
			Hours: []CampaignWindow{{Days: []string{"mon"}, Start: "09:00", End: "20:00"}}, Caps: []CampaignCap{{WindowSeconds: 60, Max: 1}},
			Retry: map[string]CampaignRetry{"busy": {MaxAttempts: 3, IntervalSeconds: 600}}}},
		CampaignLeadsLoaded{Campaign: "spring", Leads: []Lead{{ID: "1", Number: "+8613800138000", Fields: map[string]string{"k": "v"}}}, Rejected: 1},
		CampaignStateChanged{Campaign: "spring", State: CampaignRunning, By: "api"},
		CampaignAgentChanged{Campaign: "spring", Agent: "6001", LoggedIn: true},
		AttemptDecided{Campaign: "spring", Lead: "1", Number: "+8613800138000", Attempt: 1, Allowed: true, Reason: "allowed", DNCVersion: 3, Agent: "6001"},
		AttemptEnded{Campaign: "spring", Lead: "1", Attempt: 1, Outcome: AttemptBusy, Code: 486, RetryAt: at.Add(time.Hour)},
		DNCUpdated{Version: 3, Added: []string{"+8613900139000"}},
	}
	if len(events) != len(EventTypes()) {
		t.Fatalf("test covers %d events, catalog has %d", len(events), len(EventTypes()))
	}
	for _, ev := range events {
		t.Run(ev.EventType(), func(t *testing.T) {
			env, err := Seal(ev, "n1-1", "n1", 3, at)
			if err != nil {
				t.Fatal(err)
			}
			if env.Aggregate != ev.AggregateKey() || env.Seq != 3 || env.Version != 1 {
				t.Fatalf("bad envelope %+v", env)
			}
			// Sealed here, Decode hands back the value itself; read
			// back from a log (no sealed value), it decodes the payload.
			// Both must be the event, as a value of its type.
			fromLog := env
			fromLog.event = nil
			for name, e := range map[string]Envelope{"sealed": env, "from log": fromLog} {
				got, err := Decode(e)
				if err != nil {
					t.Fatal(name, err)
				}
				if !reflect.DeepEqual(got, ev) {
					t.Fatalf("%s: round trip: got %#v want %#v", name, got, ev)
				}
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		env  Envelope
		want error
	}{
		{"unknown type", Envelope{Type: "nope", Version: 1, Payload: []byte(`{}`)}, ErrUnknownEventType},
		{"future version", Envelope{Type: TypeCallStarted, Version: 9, Payload: []byte(`{}`)}, ErrUnsupportedVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Decode(tt.env); !errors.Is(err, tt.want) {
				t.Fatalf("got %v want %v", err, tt.want)
			}
		})
	}
}

// TestDecodeSealedOnlyWhileUnchanged: the sealed value is handed back only
// while the envelope still holds the payload, type and version it was
// sealed with; any replacement is decoded (or refused) as from a log.
func TestDecodeSealedOnlyWhileUnchanged(t *testing.T) {
	at := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	sealed, err := Seal(NodeAlive{Node: "n1"}, "n1-1", "n1", 1, at)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		change  func(*Envelope)
		want    Event
		wantErr error
	}{
		{"unchanged", func(*Envelope) {}, NodeAlive{Node: "n1"}, nil},
		{"payload replaced", func(e *Envelope) { e.Payload = []byte(`{"node":"n2"}`) }, NodeAlive{Node: "n2"}, nil},
		{"payload copied", func(e *Envelope) { e.Payload = append([]byte(nil), e.Payload...) }, NodeAlive{Node: "n1"}, nil},
		{"newer version", func(e *Envelope) { e.Version = 99 }, nil, ErrUnsupportedVersion},
		{"other type", func(e *Envelope) { e.Type = "nope" }, nil, ErrUnknownEventType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := sealed
			tt.change(&env)
			got, err := Decode(env)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}
