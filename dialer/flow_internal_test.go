package dialer

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"softswitch/dialer/compliance"
	"softswitch/domain"
	"softswitch/media"
)

// fakeUA plays the far ends of the dialer's calls: each user answers, or
// refuses with a code, or rings until the attempt gives up.
type fakeUA struct {
	t       *testing.T
	mu      sync.Mutex
	script  map[string]fakeAnswer // by user
	placed  []string              // users invited, in order
	hungUp  map[string]bool       // by Call-ID
	rtp     *net.UDPConn          // where answers say the media is
	counter int
}

type fakeAnswer struct {
	code   int           // 200 answers; other codes refuse
	ring   bool          // never answers: rings until ctx ends
	hangAt time.Duration // after answering, the far end hangs up (BYE); 0 never
}

func newFakeUA(t *testing.T, script map[string]fakeAnswer) *fakeUA {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &fakeUA{t: t, script: script, hungUp: map[string]bool{}, rtp: c}
}

func (f *fakeUA) invite(ctx context.Context, name, user, display, identity string, offer []byte, onEarly func([]byte)) (*leg, error) {
	f.mu.Lock()
	f.placed = append(f.placed, user)
	f.counter++
	id := fmt.Sprintf("fake-%d", f.counter)
	a, ok := f.script[user]
	f.mu.Unlock()
	if !ok {
		return nil, &legFailure{code: 404, reason: "Not Found", callID: id}
	}
	if a.ring {
		<-ctx.Done()
		return nil, &legFailure{err: ctx.Err(), callID: id}
	}
	if a.code != 200 {
		return nil, &legFailure{code: a.code, reason: "refused", callID: id}
	}
	port := f.rtp.LocalAddr().(*net.UDPAddr).Port
	l := &leg{name: name, callID: id, bye: make(chan struct{}), offer: offer,
		answer: []byte(fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n", port))}
	if a.hangAt > 0 {
		time.AfterFunc(a.hangAt, func() { l.byeOnce.Do(func() { close(l.bye) }) })
	}
	return l, nil
}

func (f *fakeUA) hangup(_ context.Context, l *leg) {
	f.mu.Lock()
	f.hungUp[l.callID] = true
	f.mu.Unlock()
}

func (f *fakeUA) close() {}

func (f *fakeUA) invited() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.placed...)
}

// fakeRecorder applies what it records to the campaigns projection, as
// the switch's Recorder does, and keeps it.
type fakeRecorder struct {
	mu   sync.Mutex
	c    *Campaigns
	evs  []domain.Event
	fail bool
}

func (r *fakeRecorder) Record(_ context.Context, recs ...domain.Recorded) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range recs {
		r.evs = append(r.evs, rec.Event)
		_ = r.c.Apply(domain.Envelope{Aggregate: rec.Event.AggregateKey(), Seq: rec.Seq, Time: rec.At}, rec.Event)
	}
	return nil
}

func (r *fakeRecorder) Now() time.Time { return time.Now() }

func (r *fakeRecorder) ended() []domain.AttemptEnded {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []domain.AttemptEnded
	for _, e := range r.evs {
		if x, ok := e.(domain.AttemptEnded); ok {
			out = append(out, x)
		}
	}
	return out
}

// newFlowDialer is a Dialer on a fake user agent and recorder, with a
// real relay on high ports.
func newFlowDialer(t *testing.T, ua *fakeUA, minPort int) (*Dialer, *fakeRecorder) {
	t.Helper()
	pool, err := media.NewPool(media.PoolConfig{Addr: netip.MustParseAddr("127.0.0.1"), Min: minPort, Max: minPort + 39})
	if err != nil {
		t.Fatal(err)
	}
	c := NewCampaigns()
	rec := &fakeRecorder{c: c}
	d := &Dialer{cfg: Config{IsSubscriber: func(string) bool { return true }, RingTimeout: time.Second, MaxDuration: time.Minute},
		rec: rec, log: slog.New(slog.DiscardHandler), ua: ua, pool: pool, campaigns: c, attempts: map[string]*attempt{},
		agents: map[string]agentState{}, ringing: map[string]int{}, inflight: map[string]int{}, compiledSpecs: map[string]compiledSpec{},
		stop: make(chan struct{}), annOutcomes: map[string]string{}}
	t.Cleanup(func() { d.stopOnce.Do(func() { close(d.stop) }); d.wg.Wait() })
	return d, rec
}

// TestAttemptFlow drives placeAttempt, the dialer's call loop, against a
// fake user agent: each row is how the number and the agent's phone
// behave, and what the attempt must record.
func TestAttemptFlow(t *testing.T) {
	tests := []struct {
		name         string
		mode         string
		agent        string // reserved agent ("" for predictive)
		number       fakeAnswer
		agentPhone   fakeAnswer
		outcome      string
		legs         int
		invited      []string
		final        bool
		agentCleared bool // the agent is free again after
	}{
		{"busy number", "progressive", "6001", fakeAnswer{code: 486}, fakeAnswer{code: 200}, domain.AttemptBusy, 0,
			[]string{"+8613800138000"}, true, true},
		{"vacant number", "progressive", "6001", fakeAnswer{code: 404}, fakeAnswer{code: 200}, domain.AttemptInvalid, 0,
			[]string{"+8613800138000"}, true, true},
		{"rings out", "progressive", "6001", fakeAnswer{ring: true}, fakeAnswer{code: 200}, domain.AttemptNoAnswer, 0,
			[]string{"+8613800138000"}, true, true},
		{"connected, callee hangs up", "progressive", "6001", fakeAnswer{code: 200, hangAt: 100 * time.Millisecond}, fakeAnswer{code: 200},
			domain.AttemptConnected, 2, []string{"+8613800138000", "6001"}, true, true},
		{"agent's phone refuses: abandoned", "progressive", "6001", fakeAnswer{code: 200}, fakeAnswer{code: 480},
			domain.AttemptAbandoned, 1, []string{"+8613800138000", "6001"}, true, true},
		{"predictive claims a free agent", "predictive", "", fakeAnswer{code: 200, hangAt: 100 * time.Millisecond}, fakeAnswer{code: 200},
			domain.AttemptConnected, 2, []string{"+8613800138000", "6001"}, true, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ua := newFakeUA(t, map[string]fakeAnswer{"+8613800138000": tt.number, "6001": tt.agentPhone})
			d, rec := newFlowDialer(t, ua, 62700+i*40)
			spec := domain.CampaignSpec{Name: "c", Mode: tt.mode, Agents: []string{"6001"}, CallerIDs: []string{"+862112345678"}, RingSeconds: 1,
				Retry: map[string]domain.CampaignRetry{"busy": {MaxAttempts: 1}, "no_answer": {MaxAttempts: 1}}}
			comp, err := d.compile(spec)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.emit(context.Background(), domain.CampaignDefined{Spec: spec}); err != nil {
				t.Fatal(err)
			}
			lead := domain.Lead{ID: "l1", Number: "+8613800138000"}
			_ = d.emit(context.Background(), domain.CampaignLeadsLoaded{Campaign: "c", Leads: []domain.Lead{lead}})
			if tt.agent != "" {
				d.reserve(tt.agent, lead.ID)
			}
			d.wg.Add(1)
			done := make(chan struct{})
			dialed := time.Now().Truncate(time.Second)
			dec := domain.AttemptDecided{Attempt: 1, Agent: tt.agent, CallerID: "+861050000000"}
			go func() { d.placeAttempt(spec, comp, lead, dec, dialed); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the attempt did not end")
			}
			ends := rec.ended()
			if len(ends) != 1 {
				t.Fatalf("%d attempt ends recorded", len(ends))
			}
			e := ends[0]
			if e.Outcome != tt.outcome || len(e.SIPCallIDs) != tt.legs || e.Final != tt.final {
				t.Fatalf("ended %+v, want %s with %d legs, final %v", e, tt.outcome, tt.legs, tt.final)
			}
			// The statistics row (dialer/stats) is the end alone: the
			// decision's number, caller ID and time, and the callee leg's
			// Call-ID (the first leg placed, answered or not).
			if e.Number != lead.Number || e.CallerID != dec.CallerID || !e.DialedAt.Equal(dialed) || e.CalleeCallID != "fake-1" {
				t.Errorf("ended %+v: want number %s, caller id %s, dialled %v, callee leg fake-1", e, lead.Number, dec.CallerID, dialed)
			}
			if got := ua.invited(); fmt.Sprint(got) != fmt.Sprint(tt.invited) {
				t.Fatalf("invited %v, want %v", got, tt.invited)
			}
			for _, id := range e.SIPCallIDs {
				if !ua.hungUp[id] {
					t.Errorf("leg %s not hung up", id)
				}
			}
			if tt.agentCleared && !d.agentFree("6001", time.Now()) {
				t.Error("the agent is still held")
			}
			if d.ringingOf("c") != 0 || d.inflightOf("c") != 0 {
				t.Errorf("ringing %d, in flight %d after the end", d.ringingOf("c"), d.inflightOf("c"))
			}
		})
	}
}

// TestDecideRecordsRefusals: a lead on the DNC list is refused at the
// moment of dialing with the list's version, and nothing is placed.
func TestDecideRecordsRefusals(t *testing.T) {
	ua := newFakeUA(t, map[string]fakeAnswer{})
	d, rec := newFlowDialer(t, ua, 62960)
	spec := domain.CampaignSpec{Name: "c", Mode: "progressive", Agents: []string{"6001"}, CallerIDs: []string{"+862112345678"}, RingSeconds: 5,
		Hours: []domain.CampaignWindow{{Days: []string{"mon-sun"}, Start: "00:00", End: "24:00"}}}
	comp, err := d.compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	_ = d.emit(context.Background(), domain.CampaignDefined{Spec: spec})
	_ = d.emit(context.Background(), domain.CampaignLeadsLoaded{Campaign: "c", Leads: []domain.Lead{{ID: "l1", Number: "+8613800138000"}}})
	k, _ := compliance.ParseKey("+8613800138000")
	_ = d.emit(context.Background(), domain.DNCUpdated{Version: 1, Added: []string{compliance.FormatKey(k)}})
	lead, attempt, ok := d.campaigns.next("c", time.Now(), func(string) bool { return false })
	if ok {
		t.Fatal("the campaign is not running: no lead is due")
	}
	_ = d.emit(context.Background(), domain.CampaignStateChanged{Campaign: "c", State: domain.CampaignRunning})
	if lead, attempt, ok = d.campaigns.next("c", time.Now(), func(string) bool { return false }); !ok {
		t.Fatal("no lead due")
	}
	if taken := d.decide(context.Background(), spec, comp, lead, attempt, "6001", time.Now()); taken {
		t.Fatal("a DNC number took the agent")
	}
	var dec domain.AttemptDecided
	for _, e := range rec.evs {
		if x, ok := e.(domain.AttemptDecided); ok {
			dec = x
		}
	}
	if dec.Allowed || dec.Reason != compliance.ReasonDNC || dec.DNCVersion != 1 || len(ua.invited()) != 0 || !d.agentFree("6001", time.Now()) {
		t.Fatalf("decision %+v, invited %v", dec, ua.invited())
	}
}
