package cdr_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"softswitch/billing/cdr"
	"softswitch/billing/cdr/boltstore"
	"softswitch/domain"
)

// t0 is a fixed instant: the tests must produce the same bytes every run.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// logWriter seals recorded events into envelopes with log positions, the
// way the switch and the journal together would.
type logWriter struct {
	t    testing.TB
	envs []domain.Envelope
	node string
}

func newLogWriter(t testing.TB) *logWriter { return &logWriter{t: t, node: "n1"} }

// emit appends the call's pending events.
func (w *logWriter) emit(c *domain.Call) {
	w.t.Helper()
	for _, r := range c.Pending() {
		w.seal(r.Event, r.Seq, r.At)
	}
}

func (w *logWriter) seal(ev domain.Event, seq uint64, at time.Time) {
	w.t.Helper()
	pos := uint64(len(w.envs)) + 1
	env, err := domain.Seal(ev, fmt.Sprintf("%s-%x-%x", w.node, at.UnixNano(), pos), w.node, seq, at)
	if err != nil {
		w.t.Fatal(err)
	}
	env.Position = pos
	w.envs = append(w.envs, env)
}

// contact appends an event of another aggregate, which the builder skips.
func (w *logWriter) contact(user string, seq uint64, at time.Time) {
	w.seal(domain.ContactBound{AOR: user, Contact: "sip:" + user + "@192.0.2.50", Expires: 3600}, seq, at)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// ms is a duration in milliseconds after t0.
func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

// newCall starts a call and its A-leg.
func newCall(t testing.TB, id string, at time.Time) *domain.Call {
	t.Helper()
	c, err := domain.NewCall(domain.CallStarted{CallID: id, Caller: "alice", Callee: "bob", Source: "192.0.2.10:5060"}, at)
	must(t, err)
	must(t, c.StartLeg("a", domain.SideA, id, "192.0.2.10:5060", "", at))
	return c
}

func startB(t testing.TB, c *domain.Call, leg, peer string, at time.Time) {
	t.Helper()
	must(t, c.StartLeg(leg, domain.SideB, leg+"-"+c.ID(), peer, "sip:bob@"+peer, at))
}

// Scenarios, each one call offset by off milliseconds.

func answeredCall(t testing.TB, w *logWriter, id string, off int) {
	c := newCall(t, id, ms(off))
	startB(t, c, "b1", "192.0.2.20:5060", ms(off+100))
	must(t, c.Progress("b1", 180, ms(off+300)))
	must(t, c.Progress("a", 180, ms(off+310)))
	must(t, c.AnswerLeg("b1", nil, ms(off+2500)))
	must(t, c.AnswerLeg("a", nil, ms(off+2510)))
	c.End(nil, domain.ByCaller, ms(off+64200))
	w.emit(c)
}

func failedCall(code int, reason string, cause error) func(testing.TB, *logWriter, string, int) {
	return func(t testing.TB, w *logWriter, id string, off int) {
		c := newCall(t, id, ms(off))
		startB(t, c, "b1", "192.0.2.20:5060", ms(off+100))
		must(t, c.Progress("b1", 180, ms(off+300)))
		var f *domain.CallFailure
		if cause != nil {
			f = domain.Classify(cause)
		} else {
			f = domain.ClassifyResponse(code, reason)
		}
		must(t, c.EndLeg("b1", code, reason, domain.ByCallee, ms(off+4000)))
		c.End(f, domain.ByCallee, ms(off+4000))
		w.emit(c)
	}
}

func cancelledCall(t testing.TB, w *logWriter, id string, off int) {
	c := newCall(t, id, ms(off))
	startB(t, c, "b1", "192.0.2.20:5060", ms(off+100))
	must(t, c.Progress("b1", 180, ms(off+300)))
	c.End(domain.Classify(domain.ErrCancelled), domain.ByCaller, ms(off+7000))
	w.emit(c)
}

func unknownCallee(t testing.TB, w *logWriter, id string, off int) {
	c := newCall(t, id, ms(off))
	c.End(domain.Classify(domain.ErrUnknownCallee), domain.BySwitch, ms(off+20))
	w.emit(c)
}

// forkedCall rings two contacts; b2 answers and b1 is cancelled.
func forkedCall(t testing.TB, w *logWriter, id string, off int) {
	c := newCall(t, id, ms(off))
	startB(t, c, "b1", "192.0.2.20:5060", ms(off+100))
	startB(t, c, "b2", "192.0.2.21:5060", ms(off+101))
	must(t, c.Progress("b1", 180, ms(off+300)))
	must(t, c.Progress("b2", 183, ms(off+350)))
	must(t, c.AnswerLeg("b2", nil, ms(off+3000)))
	must(t, c.EndLeg("b1", 487, "Request Terminated", domain.BySwitch, ms(off+3001)))
	must(t, c.AnswerLeg("a", nil, ms(off+3005)))
	c.End(nil, domain.ByCallee, ms(off+33000))
	w.emit(c)
}

// newStore opens a bolt store in a fresh directory.
func newStore(t testing.TB) (*boltstore.Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := boltstore.Open(dir, boltstore.Options{})
	must(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s, dir
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newBuilder(t testing.TB, s cdr.Store, cfg cdr.Config) *cdr.Builder {
	t.Helper()
	b, err := cdr.NewBuilder(s, cfg, discardLogger())
	must(t, err)
	return b
}

// feed hands envelopes to the builder as watermill messages.
func feed(t testing.TB, b *cdr.Builder, envs []domain.Envelope) {
	t.Helper()
	for _, env := range envs {
		payload, err := json.Marshal(env)
		must(t, err)
		if err := b.Handle(message.NewMessage(env.ID, payload)); err != nil {
			t.Fatalf("Handle %s seq %d: %v", env.Aggregate, env.Seq, err)
		}
	}
}

func listAll(t testing.TB, s cdr.Store) []domain.CDR {
	t.Helper()
	rs, err := s.List(context.Background(), cdr.Filter{})
	must(t, err)
	return rs
}

func checkpointOf(t testing.TB, s cdr.Store) uint64 {
	t.Helper()
	cp, err := s.Checkpoint(context.Background())
	must(t, err)
	return cp
}

func jsonString(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	return string(b)
}

// mixedLog writes n calls of every scenario, interleaved as concurrent
// calls are in a real log, with registrations and SIP transactions among
// them (including one after CallEnded, as a late BYE transaction would
// be). The seed fixes the interleaving.
func mixedLog(t testing.TB, n, concurrent int, seed uint64) []domain.Envelope {
	t.Helper()
	scenarios := []func(testing.TB, *logWriter, string, int){
		answeredCall, forkedCall, cancelledCall, unknownCallee,
		failedCall(486, "Busy Here", nil),
		failedCall(480, "Temporarily Unavailable", nil),
		failedCall(603, "Decline", nil),
	}
	// Each call's own events, with SIP transactions spliced in.
	calls := make([][]domain.Envelope, n)
	for i := range n {
		w := newLogWriter(t)
		id := fmt.Sprintf("call-%06d@sw.example", i)
		scenarios[i%len(scenarios)](t, w, id, i*37)
		calls[i] = withTransactions(t, w.envs)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := newLogWriter(t)
	var active [][]domain.Envelope
	nextCall, aorSeq := 0, uint64(0)
	for nextCall < n || len(active) > 0 {
		for len(active) < concurrent && nextCall < n {
			active = append(active, calls[nextCall])
			nextCall++
		}
		if rng.IntN(20) == 0 {
			aorSeq++
			out.contact("carol", aorSeq, ms(int(aorSeq)))
			continue
		}
		i := rng.IntN(len(active))
		env := active[i][0]
		env.Position = uint64(len(out.envs)) + 1
		out.envs = append(out.envs, env)
		if active[i] = active[i][1:]; len(active[i]) == 0 {
			active = append(active[:i], active[i+1:]...)
		}
	}
	return out.envs
}

// withTransactions re-sequences one call's envelopes with a SIP INVITE
// transaction after the first event and a BYE transaction after the last.
func withTransactions(t testing.TB, envs []domain.Envelope) []domain.Envelope {
	t.Helper()
	key := envs[0].Aggregate
	tx := func(method string, at time.Time) domain.Envelope {
		env, err := domain.Seal(domain.SIPTransaction{
			Key: key, Leg: "a", Direction: domain.DirIn, Method: method, CSeq: 1, Code: 200,
			Peer: "192.0.2.10:5060", Started: at, Duration: 3 * time.Millisecond,
		}, envs[0].ID+"-"+method, "n1", 0, at)
		must(t, err)
		return env
	}
	last := envs[len(envs)-1]
	out := append([]domain.Envelope{envs[0], tx("INVITE", envs[0].Time)}, envs[1:]...)
	out = append(out, tx("BYE", last.Time.Add(time.Millisecond)))
	for i := range out {
		out[i].Seq = uint64(i) + 1
	}
	return out
}

func reopen(t testing.TB, dir string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(dir, boltstore.Options{})
	must(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}
