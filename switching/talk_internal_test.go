package switching

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"softswitch/billing/rating"
	"softswitch/domain"
	"softswitch/projections"
)

// memStore is an in-memory eventstore.Store for the call loop's unit
// tests: the journal's goroutines and fsyncs have no place in a synctest
// bubble.
type memStore struct {
	mu   sync.Mutex
	envs []domain.Envelope
	fail error
}

func (s *memStore) Append(_ context.Context, envs []domain.Envelope) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	for i := range envs {
		envs[i].Position = uint64(len(s.envs) + 1)
		s.envs = append(s.envs, envs[i])
	}
	return nil
}

func (s *memStore) Read(_ context.Context, from uint64, fn func(domain.Envelope) error) error {
	s.mu.Lock()
	envs := append([]domain.Envelope(nil), s.envs...)
	s.mu.Unlock()
	for _, e := range envs {
		if e.Position >= from {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *memStore) Head() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return uint64(len(s.envs))
}

func (s *memStore) WaitFor(ctx context.Context, _ uint64) error { return ctx.Err() }
func (s *memStore) Close() error                                { return nil }

// fakeDialog is one side's peer: answer decides each request's fate.
type fakeDialog struct {
	mu     sync.Mutex
	sent   []*sip.Request
	cseq   uint32
	answer func(ctx context.Context, req *sip.Request) (*sip.Response, error)
}

// Do numbers the request in the dialog, as sipgo's dialogs do
// (RFC 3261 §12.2.1.1), and answers it.
func (d *fakeDialog) Do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	d.mu.Lock()
	if req.CSeq() == nil {
		d.cseq++
		req.AppendHeader(&sip.CSeqHeader{SeqNo: d.cseq, MethodName: req.Method})
	}
	d.sent = append(d.sent, req)
	answer := d.answer
	d.mu.Unlock()
	if answer == nil {
		return sip.NewResponseFromRequest(req, 200, "OK", nil), nil
	}
	return answer(ctx, req)
}

func (d *fakeDialog) WriteRequest(req *sip.Request) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sent = append(d.sent, req)
	return nil
}

func (d *fakeDialog) methods() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, r := range d.sent {
		out = append(out, string(r.Method))
	}
	return out
}

func (d *fakeDialog) setAnswer(f func(ctx context.Context, req *sip.Request) (*sip.Response, error)) {
	d.mu.Lock()
	d.answer = f
	d.mu.Unlock()
}

// silent is a peer that has vanished: no answer until the request gives up.
func silent(ctx context.Context, _ *sip.Request) (*sip.Response, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// fakeTx is the server transaction of a request a peer sent.
type fakeTx struct {
	sip.ServerTransaction
	mu  sync.Mutex
	res []*sip.Response
}

func (t *fakeTx) Respond(res *sip.Response) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.res = append(t.res, res)
	return nil
}

func (t *fakeTx) codes() []int {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []int
	for _, r := range t.res {
		out = append(out, r.StatusCode)
	}
	return out
}

// loop is an answered call, its two fake peers and its store, inside a
// synctest bubble.
type loop struct {
	t     *testing.T
	store *memStore
	b     *B2BUA
	c     *call
	a, bp *fakeDialog
	done  chan struct{}
}

type loopOptions struct {
	st       SessionTimerConfig
	aTimer   legTimer
	bTimer   legTimer
	maxDur   time.Duration
	bal      *projections.Balances
	spend    *Spend
	account  *callAccount
	aUpdates bool
	// rec and store, when set, are used instead of fresh ones.
	rec   *Recorder
	store *memStore
	// media anchors the call through a (fake) relay with this config.
	media *callMedia
	mcfg  MediaConfig
}

// startLoop builds an answered call as answered() leaves it and runs its
// talk loop. It must be called inside synctest.Test.
func startLoop(t *testing.T, o loopOptions) *loop {
	t.Helper()
	store, rec := o.store, o.rec
	if rec == nil {
		store = &memStore{}
		set := projections.Set{projections.NewCalls()}
		if o.bal != nil {
			set = append(set, o.bal)
		}
		rec = NewRecorder(store, set, "n1", time.Now, &Metrics{})
	}
	if o.maxDur == 0 {
		o.maxDur = 3 * time.Hour
	}
	b := &B2BUA{cfg: B2BUAConfig{MaxDuration: o.maxDur, SessionTimer: o.st, Media: o.mcfg}, ua: &sipgo.DialogUA{}, rec: rec, m: &Metrics{},
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), dialogs: map[string]dialogRef{}, callers: map[callerKey]*call{}, drain: make(chan struct{})}
	if o.spend != nil {
		b.x = &Interconnect{Spend: o.spend}
	}
	now := time.Now()
	agg, err := domain.NewCall(domain.CallStarted{CallID: "n1-call", SIPCallID: "x@caller", Caller: "6000", Callee: "6001", Source: "192.0.2.1:5060"}, now)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(agg.StartLeg("a", domain.SideA, "x@caller", "192.0.2.1:5060", "", now))
	must(agg.StartLeg("b1", domain.SideB, "y@b2bua", "192.0.2.2:5060", "sip:6001@192.0.2.2", now))
	must(agg.AnswerLeg("b1", &domain.Dialog{CallID: "y@b2bua", LocalTag: "lb", RemoteTag: "rb", RemoteTarget: "sip:6001@192.0.2.2"}, now))
	must(agg.AnswerLeg("a", &domain.Dialog{CallID: "x@caller", LocalTag: "la", RemoteTag: "ra", RemoteTarget: "sip:6000@192.0.2.1"}, now))
	must(rec.Record(context.Background(), agg.Pending()...))
	l := &loop{t: t, store: store, b: b, a: &fakeDialog{}, bp: &fakeDialog{}, done: make(chan struct{})}
	c := &call{b: b, id: "n1-call", agg: agg, events: make(chan callEvent, 4), acct: o.account, media: o.media}
	var ta, tb sip.Uri
	must(sip.ParseUri("sip:6000@192.0.2.1", &ta))
	must(sip.ParseUri("sip:6001@192.0.2.2", &tb))
	c.sides = [2]*side{
		{leg: "a", fromA: true, dlg: l.a, target: &ta, transport: "UDP", timer: o.aTimer, useUpdate: o.aUpdates, sdp: []byte("v=0\r\n")},
		{leg: "b1", dlg: l.bp, target: &tb, transport: "UDP", timer: o.bTimer, sdp: []byte("v=0\r\n")},
	}
	for _, s := range c.sides {
		s.alive = now
		s.schedule(now)
	}
	l.c = c
	go func() { defer close(l.done); c.talk(context.Background(), time.NewTimer(time.Hour)) }()
	return l
}

// ended waits for the loop to end and returns the CDR, checking that the
// recorded events fold into the same one.
func (l *loop) ended() domain.CDR {
	l.t.Helper()
	<-l.done
	live, err := l.c.agg.CDR()
	if err != nil {
		l.t.Fatalf("call not ended: %v", err)
	}
	replayed := domain.ReplayCall()
	_ = l.store.Read(context.Background(), 1, func(e domain.Envelope) error {
		if e.Aggregate == domain.CallKey("n1-call") {
			ev, err := domain.Decode(e)
			if err != nil {
				l.t.Fatal(err)
			}
			replayed.Apply(ev, e.Time)
		}
		return nil
	})
	if got, err := replayed.CDR(); err != nil || !reflect.DeepEqual(got, live) {
		l.t.Errorf("the log folds into another CDR (%v):\n got %+v\nwant %+v", err, got, live)
	}
	return live
}

// request sends an in-dialog request from one side to the loop.
func (l *loop) request(kind eventKind, fromA bool, method sip.RequestMethod) *fakeTx {
	req := sip.NewRequest(method, sip.Uri{Scheme: "sip", Host: "switch"})
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 2, MethodName: method})
	tx := &fakeTx{}
	l.c.events <- callEvent{kind: kind, req: req, tx: tx, fromA: fromA}
	return tx
}

var timers = SessionTimerConfig{Expires: 90 * time.Second, MinSE: 90 * time.Second}

// TestTalkRefreshesBothLegs: the switch refreshes each leg at half the
// interval; peers that answer keep the call up until a BYE.
func TestTalkRefreshesBothLegs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tm := legTimer{interval: 90 * time.Second, refresher: domain.RefresherSwitch}
		l := startLoop(t, loopOptions{st: timers, aTimer: tm, bTimer: tm, aUpdates: true})
		start := time.Now()
		time.Sleep(200 * time.Second) // 4 refreshes of each leg
		synctest.Wait()
		tx := l.request(evBye, true, sip.BYE)
		r := l.ended()
		if got := tx.codes(); len(got) != 1 || got[0] != 200 {
			t.Fatalf("BYE answered %v, want [200]", got)
		}
		if r.Reason != "Normal Clearing" || r.EndedBy != domain.ByCaller || r.BillableS != 200 {
			t.Errorf("CDR %s by %s billable %d; want Normal Clearing by caller, 200 s", r.Reason, r.EndedBy, r.BillableS)
		}
		// A allows UPDATE: refreshed without SDP; B does not: re-INVITE
		// with the last offer, ACKed.
		if got := l.a.methods(); len(got) != 4 || got[0] != "UPDATE" {
			t.Errorf("A got %v, want 4 UPDATEs", got)
		}
		if got := l.bp.methods(); len(got) != 9 || got[0] != "INVITE" || got[1] != "ACK" || got[8] != "BYE" {
			t.Errorf("B got %v, want 4 × (INVITE, ACK) and BYE", got)
		}
		if !r.End.Time().Equal(start.Add(200 * time.Second).UTC()) {
			t.Errorf("end %v, want the BYE's time", r.End.Time())
		}
	})
}

// TestTalkDeadPeerEndsCall: a callee that stops answering refreshes ends
// the call within the interval; both legs get BYE and the CDR bills to
// the last answered refresh.
func TestTalkDeadPeerEndsCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tm := legTimer{interval: 90 * time.Second, refresher: domain.RefresherSwitch}
		l := startLoop(t, loopOptions{st: timers, aTimer: tm, bTimer: tm})
		start := time.Now()
		time.Sleep(50 * time.Second) // B answered its refresh at 45 s
		synctest.Wait()
		l.bp.setAnswer(silent) // then vanished
		r := l.ended()
		lastAlive := start.Add(45 * time.Second)
		if took := time.Since(lastAlive); took > 90*time.Second+32*time.Second {
			t.Errorf("call ended %s after the last proof of life, want within the interval plus the transaction timeout", took)
		}
		if r.Reason != "Session Expired" || r.SIPCode != 408 || r.Disposition != domain.DispositionAnswered {
			t.Errorf("CDR %d %s %s, want 408 Session Expired answered", r.SIPCode, r.Reason, r.Disposition)
		}
		if want := start.Add(45 * time.Second).UTC(); !r.End.Time().Equal(want) || r.BillableS != 45 {
			t.Errorf("CDR ends %v billing %d s, want %v (the last answered refresh), 45 s", r.End.Time(), r.BillableS, want)
		}
		a := l.a.methods()
		if a[len(a)-1] != "BYE" {
			t.Errorf("A got %v, want a BYE last", a)
		}
		b := l.bp.methods()
		if b[len(b)-1] != "BYE" {
			t.Errorf("B got %v, want a BYE last too (RFC 4028 §10)", b)
		}
	})
}

// TestTalkPeerRefresher: a caller that took the refresher role must
// refresh; one that does not is dropped before the interval lapses, billed
// to its last refresh; one that does keeps the call.
func TestTalkPeerRefresher(t *testing.T) {
	tests := []struct {
		name      string
		refreshes bool
	}{{"refreshes", true}, {"never refreshes", false}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				peer := legTimer{interval: 90 * time.Second, refresher: domain.RefresherPeer}
				sw := legTimer{interval: 90 * time.Second, refresher: domain.RefresherSwitch}
				l := startLoop(t, loopOptions{st: timers, aTimer: peer, bTimer: sw})
				start := time.Now()
				if tt.refreshes {
					for range 3 {
						time.Sleep(45 * time.Second)
						tx := l.request(evUpdate, true, sip.UPDATE)
						synctest.Wait()
						if got := tx.codes(); len(got) != 1 || got[0] != 200 {
							t.Fatalf("UPDATE refresh answered %v", got)
						}
						if se := tx.res[0].GetHeader("Session-Expires"); se == nil || se.Value() != "90;refresher=uac" {
							t.Fatalf("refresh answer Session-Expires %v, want 90;refresher=uac", se)
						}
					}
					l.request(evBye, false, sip.BYE)
					if r := l.ended(); r.Reason != "Normal Clearing" {
						t.Fatalf("CDR reason %q", r.Reason)
					}
					return
				}
				r := l.ended()
				// RFC 4028 §10: give up min(32 s, interval/3) before expiry.
				if took := time.Since(start); took != 60*time.Second {
					t.Errorf("ended after %s, want 60 s", took)
				}
				if r.Reason != "Session Expired" || !r.End.Time().Equal(start.UTC()) || r.BillableS != 0 {
					t.Errorf("CDR %s end %v billable %d; want Session Expired billed to the answer", r.Reason, r.End.Time(), r.BillableS)
				}
			})
		})
	}
}

// TestTalkRefreshAnswers covers the answers to a refresh that are not a
// plain 2xx or silence.
func TestTalkRefreshAnswers(t *testing.T) {
	tests := []struct {
		name   string
		answer func(int) (int, []sip.Header) // n-th request to B
		ends   bool
		reason string
	}{
		{"481 ends the call", func(int) (int, []sip.Header) { return 481, nil }, true, "Session Expired"},
		{"408 ends the call", func(int) (int, []sip.Header) { return 408, nil }, true, "Session Expired"},
		{"488 is a proof of life", func(int) (int, []sip.Header) { return 488, nil }, false, ""},
		{"491 is retried", func(n int) (int, []sip.Header) {
			if n == 0 {
				return 491, nil
			}
			return 200, nil
		}, false, ""},
		{"422 raises the interval", func(n int) (int, []sip.Header) {
			if n == 0 {
				return 422, []sip.Header{sip.NewHeader("Min-SE", "120")}
			}
			return 200, nil
		}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tm := legTimer{interval: 90 * time.Second, refresher: domain.RefresherSwitch}
				l := startLoop(t, loopOptions{st: timers, aTimer: legTimer{}, bTimer: tm})
				var mu sync.Mutex
				n := 0
				l.bp.setAnswer(func(_ context.Context, req *sip.Request) (*sip.Response, error) {
					mu.Lock()
					defer mu.Unlock()
					if req.Method == sip.BYE {
						return sip.NewResponseFromRequest(req, 200, "OK", nil), nil
					}
					code, hdrs := tt.answer(n)
					n++
					res := sip.NewResponseFromRequest(req, code, "", nil)
					for _, h := range hdrs {
						res.AppendHeader(h)
					}
					return res, nil
				})
				time.Sleep(100 * time.Second)
				synctest.Wait()
				if tt.ends {
					if r := l.ended(); r.Reason != tt.reason {
						t.Fatalf("CDR reason %q, want %q", r.Reason, tt.reason)
					}
					return
				}
				select {
				case <-l.done:
					t.Fatalf("call ended: %+v", l.c.agg.Legs())
				default:
				}
				if tt.name == "422 raises the interval" && l.c.sides[1].timer.interval != 120*time.Second {
					t.Errorf("interval %s after 422 Min-SE: 120, want 120s", l.c.sides[1].timer.interval)
				}
				mu.Lock()
				got := n
				mu.Unlock()
				if got < 2 {
					t.Errorf("%d refreshes sent in 100 s, want the retry too", got)
				}
				l.request(evBye, true, sip.BYE)
				l.ended()
			})
		})
	}
}

// TestTalkMaxDuration: the call is cut at max_call_duration.
func TestTalkMaxDuration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := startLoop(t, loopOptions{maxDur: 10 * time.Second})
		r := l.ended()
		if r.Reason != "Maximum Duration" || r.BillableS != 10 {
			t.Fatalf("CDR %s %d s, want Maximum Duration 10 s", r.Reason, r.BillableS)
		}
		if a, b := l.a.methods(), l.bp.methods(); len(a) != 1 || a[0] != "BYE" || len(b) != 1 || b[0] != "BYE" {
			t.Fatalf("A got %v, B got %v; want one BYE each", a, b)
		}
	})
}

// TestTalkPrepaidSlices: a prepaid call renews its reservation slice by
// slice while credit lasts, and is cut when a renewal is refused, never
// after the last paid second.
func TestTalkPrepaidSlices(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bal := projections.NewBalances()
		store := &memStore{}
		rec := NewRecorder(store, projections.Set{bal}, "n1", time.Now, &Metrics{})
		ledger := NewLedger(rec, bal, false, 0)
		ctx := context.Background()
		if err := ledger.Credit(ctx, domain.AccountCredited{Account: "6000", Amount: "1.00", Currency: "CNY", Ref: domain.OpeningRef}); err != nil {
			t.Fatal(err)
		}
		row := rating.Row{Prefix: "86", RatePerMin: rating.MustMoney("6"), IncrementFirstS: 1, IncrementNextS: 1}
		pol := AccountPolicy{Prepaid: true, Currency: "CNY", Slice: 2 * time.Second}
		acct := &callAccount{user: "6000", policy: pol, row: row}
		req, err := acct.request("n1-call")
		if err != nil {
			t.Fatal(err)
		}
		g, err := ledger.Reserve(ctx, req)
		if err != nil || g.Amount != rating.MustMoney("0.2") {
			t.Fatalf("first slice %+v %v, want 0.20", g, err)
		}
		acct.held, acct.granted = true, g.Amount
		// Another call takes 0.60 meanwhile: 0.20 is left for this one.
		other, _ := acct.request("n1-other")
		for range 3 {
			if _, err := ledger.Reserve(ctx, other); err != nil {
				t.Fatal(err)
			}
		}
		spend := &Spend{Accounts: func(string) (AccountPolicy, bool) { return pol, true }, Ledger: ledger,
			Rater: func() *rating.Rater { r, _ := rating.NewRater(nil); return r }}
		l := startLoop(t, loopOptions{spend: spend, account: acct, rec: rec, store: store})
		_ = l.ended()
		if acct.granted != rating.MustMoney("0.4") || !acct.exhausted {
			t.Errorf("granted %s exhausted %v; want 0.40 in two slices, then refused", acct.granted, acct.exhausted)
		}
		r, _ := l.c.agg.CDR()
		if r.Reason != "Credit Exhausted" || r.BillableS != 4 {
			t.Errorf("CDR %s billable %d, want Credit Exhausted after the 4 s 0.40 buys", r.Reason, r.BillableS)
		}
	})
}

// TestInDialogMatchesTags: an in-dialog request is routed to a call only
// when its Call-ID, To tag and From tag match one of the call's dialogs
// (RFC 3261 §12.2.2); the right Call-ID with a wrong or missing tag gets
// 481 and never reaches the call.
func TestInDialogMatchesTags(t *testing.T) {
	b := &B2BUA{m: &Metrics{}, dialogs: map[string]dialogRef{}, callers: map[callerKey]*call{}}
	c := &call{b: b, events: make(chan callEvent, 4)}
	b.indexDialog(sip.DialogIDMake("cid@x", "switch-tag", "caller-tag"), dialogRef{c: c, fromA: true})
	b.indexDialog(sip.DialogIDMake("b-cid@sw", "our-from", "callee-tag"), dialogRef{c: c})
	tests := []struct {
		name             string
		callID, to, from string
		want             int // 0: routed to the call
		fromA            bool
	}{
		{"A-leg", "cid@x", "switch-tag", "caller-tag", 0, true},
		{"B-leg", "b-cid@sw", "our-from", "callee-tag", 0, false},
		{"wrong From tag", "cid@x", "switch-tag", "forged", 481, false},
		{"wrong To tag", "cid@x", "guessed", "caller-tag", 481, false},
		{"no To tag", "cid@x", "", "caller-tag", 481, false},
		{"tags swapped", "cid@x", "caller-tag", "switch-tag", 481, false},
		{"other call's tags", "b-cid@sw", "switch-tag", "caller-tag", 481, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := sip.NewRequest(sip.BYE, sip.Uri{Scheme: "sip", Host: "switch"})
			cid := sip.CallIDHeader(tt.callID)
			from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", Host: "x"}, Params: sip.NewParams()}
			from.Params.Add("tag", tt.from)
			to := &sip.ToHeader{Address: sip.Uri{Scheme: "sip", Host: "y"}, Params: sip.NewParams()}
			if tt.to != "" {
				to.Params.Add("tag", tt.to)
			}
			req.AppendHeader(&cid)
			req.AppendHeader(from)
			req.AppendHeader(to)
			req.AppendHeader(&sip.CSeqHeader{SeqNo: 9, MethodName: sip.BYE})
			tx := &fakeTx{}
			b.inDialog(req, tx, evBye)
			select {
			case ev := <-c.events:
				if tt.want != 0 || ev.fromA != tt.fromA {
					t.Fatalf("routed to the call (fromA %v), want %d", ev.fromA, tt.want)
				}
			default:
				if got := tx.codes(); len(got) != 1 || got[0] != tt.want {
					t.Fatalf("answered %v, want %d", got, tt.want)
				}
			}
		})
	}
	if got := b.m.strayInDialog.Load(); got != 5 {
		t.Errorf("stray in-dialog counter %d, want 5", got)
	}
}
