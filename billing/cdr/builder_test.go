package cdr_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"softswitch/billing/cdr"
	"softswitch/domain"
	"softswitch/eventstore"
)

func ts(t time.Time) domain.Timestamp { return domain.Timestamp(t) }

// TestAnsweredCDR checks every field of an answered call's record.
func TestAnsweredCDR(t *testing.T) {
	w := newLogWriter(t)
	answeredCall(t, w, "ans@sw.example", 0)
	s, _ := newStore(t)
	b := newBuilder(t, s, cdr.Config{})
	feed(t, b, w.envs)
	must(t, b.Flush(context.Background()))

	want := domain.CDR{
		ID:     domain.CDRID("ans@sw.example", domain.SideA),
		CallID: "ans@sw.example",
		// The scenario's CallStarted has no sip_call_id, as a journal
		// written before the switch made its own ids: the id is kept and
		// is the SIP Call-ID too.
		SIPCallID:   "ans@sw.example",
		Caller:      "alice",
		Callee:      "bob",
		Source:      "192.0.2.10:5060",
		Start:       ts(ms(0)),
		Answer:      ts(ms(2500)),
		End:         ts(ms(64200)),
		DurationMS:  64200,
		BillableS:   62, // 61.7 s answered, rounded up
		Disposition: domain.DispositionAnswered,
		SIPCode:     200,
		Reason:      "Normal Clearing",
		EndedBy:     domain.ByCaller,
		Legs: []domain.CDRLeg{
			{Leg: "a", Side: domain.SideA, SIPCallID: "ans@sw.example", Peer: "192.0.2.10:5060",
				Start: ts(ms(0)), Answer: ts(ms(2510)), End: ts(ms(64200)),
				SIPCode: 200, Reason: "Normal Clearing", EndedBy: domain.ByCaller},
			{Leg: "b1", Side: domain.SideB, SIPCallID: "b1-ans@sw.example", Peer: "192.0.2.20:5060",
				Target: "sip:bob@192.0.2.20:5060",
				Start:  ts(ms(100)), Answer: ts(ms(2500)), End: ts(ms(64200)),
				SIPCode: 200, Reason: "Normal Clearing", EndedBy: domain.ByCaller},
		},
	}
	got, err := s.Get(context.Background(), want.ID)
	must(t, err)
	if g, w := jsonString(t, got), jsonString(t, want); g != w {
		t.Fatalf("CDR:\n got %s\nwant %s", g, w)
	}
	if cp, last := checkpointOf(t, s), w.envs[len(w.envs)-1].Position; cp != last+1 {
		t.Fatalf("checkpoint = %d, want %d (last position + 1)", cp, last+1)
	}
}

// TestDispositions runs one call per outcome and checks the fields that
// billing keys on.
func TestDispositions(t *testing.T) {
	type legWant struct {
		leg  string
		code int
	}
	tests := []struct {
		name     string
		call     func(testing.TB, *logWriter, string, int)
		disp     string
		code     int
		reason   string
		endedBy  string
		duration int64
		billable int64
		answered bool
		legs     []legWant
	}{
		{"answered", answeredCall, domain.DispositionAnswered, 200, "Normal Clearing", domain.ByCaller, 64200, 62, true,
			[]legWant{{"a", 200}, {"b1", 200}}},
		{"busy 486", failedCall(486, "Busy Here", nil), domain.DispositionBusy, 486, "Busy Here", domain.ByCallee, 4000, 0, false,
			[]legWant{{"a", 486}, {"b1", 486}}},
		{"no answer 480", failedCall(480, "", domain.ErrNoAnswer), domain.DispositionNoAnswer, 480, "Temporarily Unavailable", domain.ByCallee, 4000, 0, false,
			[]legWant{{"a", 480}, {"b1", 480}}},
		{"cancel 487", cancelledCall, domain.DispositionCancelled, 487, "Request Terminated", domain.ByCaller, 7000, 0, false,
			[]legWant{{"a", 487}, {"b1", 487}}},
		{"unknown callee 404", unknownCallee, domain.DispositionFailed, 404, "Not Found", domain.BySwitch, 20, 0, false,
			[]legWant{{"a", 404}}},
		{"forked, b2 answers, b1 cancelled", forkedCall, domain.DispositionAnswered, 200, "Normal Clearing", domain.ByCallee, 33000, 30, true,
			[]legWant{{"a", 200}, {"b1", 487}, {"b2", 200}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newLogWriter(t)
			tc.call(t, w, "c@sw.example", 0)
			s, _ := newStore(t)
			b := newBuilder(t, s, cdr.Config{})
			feed(t, b, w.envs)
			must(t, b.Close(context.Background()))
			rs := listAll(t, s)
			if len(rs) != 1 {
				t.Fatalf("%d CDRs, want 1", len(rs))
			}
			r := rs[0]
			if r.Disposition != tc.disp || r.SIPCode != tc.code || r.Reason != tc.reason || r.EndedBy != tc.endedBy {
				t.Errorf("disposition/code/reason/by = %s/%d/%q/%s, want %s/%d/%q/%s",
					r.Disposition, r.SIPCode, r.Reason, r.EndedBy, tc.disp, tc.code, tc.reason, tc.endedBy)
			}
			if r.DurationMS != tc.duration || r.BillableS != tc.billable {
				t.Errorf("duration_ms/billable_s = %d/%d, want %d/%d", r.DurationMS, r.BillableS, tc.duration, tc.billable)
			}
			if answered := !r.Answer.Time().IsZero(); answered != tc.answered {
				t.Errorf("answered = %v, want %v", answered, tc.answered)
			}
			if len(r.Legs) != len(tc.legs) {
				t.Fatalf("legs = %+v, want %v", r.Legs, tc.legs)
			}
			for i, l := range tc.legs {
				if r.Legs[i].Leg != l.leg || r.Legs[i].SIPCode != l.code {
					t.Errorf("leg %d = %s/%d, want %s/%d", i, r.Legs[i].Leg, r.Legs[i].SIPCode, l.leg, l.code)
				}
			}
		})
	}
}

// TestRedelivery feeds events more than once, as Kafka or a nacked
// message would, and expects one CDR and counted duplicates.
func TestRedelivery(t *testing.T) {
	ref := newLogWriter(t)
	forkedCall(t, ref, "dup@sw.example", 0)
	n := len(ref.envs)
	tests := []struct {
		name       string
		order      func([]domain.Envelope) []domain.Envelope
		duplicates uint64
		orphans    uint64
	}{
		{"each event twice", func(e []domain.Envelope) []domain.Envelope {
			var out []domain.Envelope
			for _, env := range e {
				out = append(out, env, env)
			}
			return out
		}, uint64(n - 1), 1}, // the second CallEnded finds no open call
		{"prefix redelivered", func(e []domain.Envelope) []domain.Envelope {
			out := append([]domain.Envelope{}, e[:5]...)
			return append(append(out, e[:5]...), e[5:]...)
		}, 5, 0},
		{"whole call replayed after its end", func(e []domain.Envelope) []domain.Envelope {
			return append(append([]domain.Envelope{}, e...), e...)
		}, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newStore(t)
			b := newBuilder(t, s, cdr.Config{BatchSize: 1})
			feed(t, b, tc.order(ref.envs))
			must(t, b.Close(context.Background()))
			rs := listAll(t, s)
			if len(rs) != 1 {
				t.Fatalf("%d CDRs, want 1", len(rs))
			}
			st := b.Stats()
			if st.Duplicates != tc.duplicates || st.Orphans != tc.orphans || st.Gaps != 0 {
				t.Fatalf("duplicates/orphans/gaps = %d/%d/%d, want %d/%d/0",
					st.Duplicates, st.Orphans, st.Gaps, tc.duplicates, tc.orphans)
			}
			want := oneCDR(t, ref.envs)
			if g, w := jsonString(t, rs[0]), jsonString(t, want); g != w {
				t.Fatalf("CDR after redelivery:\n got %s\nwant %s", g, w)
			}
		})
	}
}

// oneCDR is the reference record of a single call's events.
func oneCDR(t testing.TB, envs []domain.Envelope) domain.CDR {
	t.Helper()
	s, _ := newStore(t)
	b := newBuilder(t, s, cdr.Config{})
	feed(t, b, envs)
	must(t, b.Close(context.Background()))
	rs := listAll(t, s)
	if len(rs) != 1 {
		t.Fatalf("reference: %d CDRs", len(rs))
	}
	return rs[0]
}

// TestGap drops an event: the call cannot be folded past it, so it gets no
// CDR and holds the checkpoint at its first event.
func TestGap(t *testing.T) {
	w := newLogWriter(t)
	w.contact("carol", 1, ms(0))
	answeredCall(t, w, "gap@sw.example", 10)
	envs := append(append([]domain.Envelope{}, w.envs[:4]...), w.envs[5:]...)
	s, _ := newStore(t)
	b := newBuilder(t, s, cdr.Config{})
	feed(t, b, envs)
	must(t, b.Close(context.Background()))
	if rs := listAll(t, s); len(rs) != 0 {
		t.Fatalf("%d CDRs from a call with a gap", len(rs))
	}
	if st := b.Stats(); st.Gaps != uint64(len(envs)-4) || st.OpenCalls != 1 {
		t.Fatalf("gaps/open = %d/%d, want %d/1", st.Gaps, st.OpenCalls, len(envs)-4)
	}
	if cp := checkpointOf(t, s); cp != 2 {
		t.Fatalf("checkpoint = %d, want 2 (the gapped call's first event)", cp)
	}
}

// TestCheckpointLowWatermark follows the checkpoint through interleaved
// calls and other aggregates.
func TestCheckpointLowWatermark(t *testing.T) {
	w := newLogWriter(t)
	w.contact("carol", 1, ms(0)) // 1
	long := newCall(t, "long@sw.example", ms(1))
	w.emit(long)                               // 2, 3
	unknownCallee(t, w, "short@sw.example", 2) // 4, 5, 6, 7
	w.contact("carol", 2, ms(3))               // 8
	long.End(domain.Classify(domain.ErrCancelled), domain.ByCaller, ms(4))
	w.emit(long) // 9, 10

	tests := []struct {
		upTo uint64 // feed positions 1..upTo, then flush
		want uint64
	}{
		{1, 2},   // only a registration: last + 1
		{3, 2},   // long is open from 2
		{7, 2},   // short ended, long still holds the mark
		{8, 2},   // registrations do not move it past an open call
		{10, 11}, // everything ended
	}
	s, _ := newStore(t)
	b := newBuilder(t, s, cdr.Config{})
	fed := uint64(0)
	for _, tc := range tests {
		feed(t, b, w.envs[fed:tc.upTo])
		fed = tc.upTo
		must(t, b.Flush(context.Background()))
		if cp := checkpointOf(t, s); cp != tc.want {
			t.Fatalf("after position %d: checkpoint = %d, want %d", tc.upTo, cp, tc.want)
		}
	}
}

// TestRestart stops a consumer mid-call (cleanly and by crashing before a
// flush) and resumes a new builder from the stored checkpoint, which must
// produce exactly the CDRs of one uninterrupted run.
func TestRestart(t *testing.T) {
	envs := mixedLog(t, 60, 8, 7)
	want := jsonString(t, reference(t, envs))
	for _, cut := range []int{1, 17, len(envs) / 2, len(envs) - 3} {
		for _, crash := range []bool{false, true} {
			s, dir := newStore(t)
			b1 := newBuilder(t, s, cdr.Config{BatchSize: 4})
			feed(t, b1, envs[:cut])
			if !crash {
				must(t, b1.Close(context.Background()))
			}
			// A crash loses the buffer: only what a batch flushed remains.
			must(t, s.Close())
			s2 := reopen(t, dir)
			cp := checkpointOf(t, s2)
			if cp > uint64(cut)+1 {
				t.Fatalf("cut %d: checkpoint %d is past what was fed", cut, cp)
			}
			b2 := newBuilder(t, s2, cdr.Config{BatchSize: 4})
			feed(t, b2, fromPosition(envs, cp))
			must(t, b2.Close(context.Background()))
			if got := jsonString(t, listAll(t, s2)); got != want {
				t.Fatalf("cut %d crash %v: CDRs after restart differ from one run", cut, crash)
			}
			if cp := checkpointOf(t, s2); cp != uint64(len(envs))+1 {
				t.Fatalf("cut %d crash %v: final checkpoint %d, want %d", cut, crash, cp, len(envs)+1)
			}
		}
	}
}

// TestDeterminism replays the same log into two empty stores, through
// messages and through Rebuild, and expects byte-identical CDRs.
func TestDeterminism(t *testing.T) {
	envs := mixedLog(t, 300, 25, 42)
	viaMessages := jsonString(t, reference(t, envs))
	log := &memLog{}
	must(t, log.Append(context.Background(), envs))
	for i := range 2 {
		s, _ := newStore(t)
		st, err := cdr.Rebuild(context.Background(), log, s, cdr.Config{}, discardLogger())
		must(t, err)
		if st.CDRs != 300 || st.Stored != 300 || st.OpenCalls != 0 {
			t.Fatalf("rebuild %d: stats %+v, want 300 CDRs stored and none open", i, st)
		}
		if got := jsonString(t, listAll(t, s)); got != viaMessages {
			t.Fatalf("rebuild %d differs from the message-fed run", i)
		}
	}
}

// TestOpenCallBounds evicts the oldest call beyond MaxOpenCalls and calls
// older than MaxCallAge, and the checkpoint stops waiting for them.
func TestOpenCallBounds(t *testing.T) {
	tests := []struct {
		name string
		cfg  cdr.Config
		late time.Duration // when the last call starts
	}{
		{"max open calls", cdr.Config{MaxOpenCalls: 2}, time.Second},
		{"max call age", cdr.Config{MaxCallAge: time.Hour}, 2 * time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newLogWriter(t)
			w.emit(newCall(t, "stuck-1@sw.example", t0))                  // 1, 2
			w.emit(newCall(t, "stuck-2@sw.example", t0.Add(time.Second))) // 3, 4
			unknownCallee(t, w, "late@sw.example", int(tc.late/time.Millisecond))
			s, _ := newStore(t)
			b := newBuilder(t, s, tc.cfg)
			feed(t, b, w.envs)
			must(t, b.Close(context.Background()))
			st := b.Stats()
			if st.Evicted == 0 || len(listAll(t, s)) != 1 {
				t.Fatalf("evicted %d, %d CDRs; want evictions and the late call's CDR", st.Evicted, len(listAll(t, s)))
			}
			if cp := checkpointOf(t, s); cp <= 1 {
				t.Fatalf("checkpoint %d still held by an evicted call", cp)
			}
		})
	}
}

// TestUnsupportedVersion stops on an event from a newer schema instead of
// writing a wrong CDR, and does not move the checkpoint past it.
func TestUnsupportedVersion(t *testing.T) {
	w := newLogWriter(t)
	unknownCallee(t, w, "new@sw.example", 0)
	last := &w.envs[len(w.envs)-1]
	last.Version = 99
	s, _ := newStore(t)
	b := newBuilder(t, s, cdr.Config{})
	for _, env := range w.envs[:len(w.envs)-1] {
		must(t, b.Apply(context.Background(), env))
	}
	if err := b.Apply(context.Background(), *last); !errors.Is(err, domain.ErrUnsupportedVersion) {
		t.Fatalf("Apply v99: %v, want ErrUnsupportedVersion", err)
	}
	must(t, b.Close(context.Background()))
	if cp := checkpointOf(t, s); cp != 1 {
		t.Fatalf("checkpoint = %d, want 1 (the call is still open)", cp)
	}
}

// TestFlushFailureKeepsWork makes the store fail: the messages still
// error (so they are retried), nothing is lost, and the checkpoint only
// moves with the records.
func TestFlushFailureKeepsWork(t *testing.T) {
	w := newLogWriter(t)
	unknownCallee(t, w, "f1@sw.example", 0)
	unknownCallee(t, w, "f2@sw.example", 100)
	s, _ := newStore(t)
	fs := &failingStore{Store: s, fail: true}
	b := newBuilder(t, fs, cdr.Config{BatchSize: 1})
	var failed int
	for _, env := range w.envs {
		if err := b.Apply(context.Background(), env); err != nil {
			failed++
		}
	}
	if failed == 0 {
		t.Fatal("no Apply reported the failed flush")
	}
	if cp := checkpointOf(t, s); cp != 0 {
		t.Fatalf("checkpoint moved to %d while every write failed", cp)
	}
	fs.fail = false
	// The retry of the last message finds it a duplicate and flushes.
	must(t, b.Apply(context.Background(), w.envs[len(w.envs)-1]))
	if n := len(listAll(t, s)); n != 2 {
		t.Fatalf("%d CDRs after recovery, want 2", n)
	}
	if st := b.Stats(); st.FlushErrors == 0 || st.Buffered != 0 {
		t.Fatalf("stats %+v", st)
	}
}

type failingStore struct {
	cdr.Store
	fail bool
}

var errDiskFull = errors.New("disk full")

func (f *failingStore) Put(ctx context.Context, rs []domain.CDR, cp uint64) error {
	if f.fail {
		return errDiskFull
	}
	return f.Store.Put(ctx, rs, cp)
}

// reference is the CDRs of one uninterrupted, message-fed run.
func reference(t testing.TB, envs []domain.Envelope) []domain.CDR {
	t.Helper()
	s, _ := newStore(t)
	b := newBuilder(t, s, cdr.Config{})
	feed(t, b, envs)
	must(t, b.Close(context.Background()))
	return listAll(t, s)
}

func fromPosition(envs []domain.Envelope, from uint64) []domain.Envelope {
	for i, env := range envs {
		if env.Position >= from {
			return envs[i:]
		}
	}
	return nil
}

// TestRebuildWriteFailure reports a store failure from the writer goroutine.
func TestRebuildWriteFailure(t *testing.T) {
	log := &memLog{}
	must(t, log.Append(context.Background(), mixedLog(t, 50, 5, 9)))
	s, _ := newStore(t)
	_, err := cdr.Rebuild(context.Background(), log, &failingStore{Store: s, fail: true}, cdr.Config{BatchSize: 2}, discardLogger())
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("Rebuild: %v, want errDiskFull", err)
	}
}

// TestHandleTakesTheEnvelopeFromContext: a message from the journal in
// this process carries its envelope decoded; the builder uses it, and
// builds the same CDR as from the JSON payload. One whose context holds
// another envelope (a mismatched id) is decoded from its payload.
func TestHandleTakesTheEnvelopeFromContext(t *testing.T) {
	w := newLogWriter(t)
	answeredCall(t, w, "ctx@sw.example", 0)
	want := oneCDR(t, w.envs)

	s, _ := newStore(t)
	b := newBuilder(t, s, cdr.Config{})
	for _, env := range w.envs {
		// No payload at all: only the context can have made the CDR.
		msg := message.NewMessage(env.ID, []byte("not json"))
		msg.SetContext(eventstore.ContextWithEnvelope(context.Background(), env))
		must(t, b.Handle(msg))
	}
	must(t, b.Close(context.Background()))
	if got := listAll(t, s); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("CDRs from context envelopes %+v, want %+v", got, want)
	}

	s2, _ := newStore(t)
	b2 := newBuilder(t, s2, cdr.Config{})
	for _, env := range w.envs {
		payload, err := json.Marshal(env)
		must(t, err)
		msg := message.NewMessage(env.ID, payload)
		other := env
		other.ID = "someone-else"
		msg.SetContext(eventstore.ContextWithEnvelope(context.Background(), other))
		must(t, b2.Handle(msg))
	}
	must(t, b2.Close(context.Background()))
	if got := listAll(t, s2); len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("CDRs when the context envelope is not the message's %+v, want %+v", got, want)
	}
}
