package projections_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/eventstore/journal"
	"softswitch/projections"
)

var t0 = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)

// seal wraps an event as the switch does; nil is never passed as ev to
// Apply below, so every test also exercises the projections' own decoding.
func seal(t *testing.T, ev domain.Event, node string, seq uint64, at time.Time) domain.Envelope {
	t.Helper()
	env, err := domain.Seal(ev, fmt.Sprintf("%s-%x-%x", node, at.UnixNano(), seq), node, seq, at)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func bound(aor, contact string, exp time.Time) domain.ContactBound {
	return domain.ContactBound{AOR: aor, Contact: contact, Expires: 60, ExpiresAt: exp, CallID: "reg-" + contact, CSeq: 1, Source: "127.0.0.1:5070", Transport: "udp"}
}

func contacts(bs []projections.Binding) []string {
	out := []string{}
	for _, b := range bs {
		out = append(out, b.Contact)
	}
	return out
}

func TestLocation(t *testing.T) {
	const c1, c2 = "sip:6000@127.0.0.1:5070", "sip:6000@127.0.0.1:5071"
	exp := t0.Add(time.Minute)
	tests := []struct {
		name   string
		events []domain.Event // seq is the index + 1
		now    time.Time
		want   []string // Lookup("6000", now)
	}{
		{"bind", []domain.Event{bound("6000", c1, exp)}, t0, []string{c1}},
		{"refresh same contact keeps one binding", []domain.Event{bound("6000", c1, exp), bound("6000", c1, exp.Add(time.Hour))}, exp.Add(time.Minute), []string{c1}},
		{"several contacts", []domain.Event{bound("6000", c1, exp), bound("6000", c2, exp)}, t0, []string{c1, c2}},
		{"unbind", []domain.Event{bound("6000", c1, exp), bound("6000", c2, exp), domain.ContactUnbound{AOR: "6000", Contact: c1, Reason: domain.UnbindRequested}}, t0, []string{c2}},
		{"unbind unknown contact is harmless", []domain.Event{bound("6000", c1, exp), domain.ContactUnbound{AOR: "6000", Contact: c2}}, t0, []string{c1}},
		// Lookup hides an expired binding before the sweeper unbinds it, so
		// routing never forks to a phone that stopped refreshing.
		{"expired hidden", []domain.Event{bound("6000", c1, exp)}, exp, []string{}},
		{"expiry per contact", []domain.Event{bound("6000", c1, exp), bound("6000", c2, exp.Add(time.Hour))}, exp.Add(time.Second), []string{c2}},
		// Other aggregates' events share the stream; they must not land here.
		{"other aggregate ignored", []domain.Event{domain.AuthFailed{Source: "6000", User: "6000"}, domain.SubscriberRemoved{User: "6000"}}, t0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := projections.NewLocation()
			for i, ev := range tt.events {
				if err := l.Apply(seal(t, ev, "n1", uint64(i+1), t0), nil); err != nil {
					t.Fatal(err)
				}
			}
			got := l.Lookup("6000", tt.now)
			if tt.want == nil {
				if got != nil {
					t.Fatalf("Lookup = %v, want nil", got)
				}
				return
			}
			if !reflect.DeepEqual(contacts(got), tt.want) {
				t.Fatalf("Lookup = %v, want %v", contacts(got), tt.want)
			}
		})
	}
}

func TestLocationBindingExpiredVersion(t *testing.T) {
	const c1, c2 = "sip:6000@127.0.0.1:5070", "sip:6001@127.0.0.1:5071"
	l := projections.NewLocation()
	envs := []domain.Envelope{
		seal(t, bound("6000", c1, t0.Add(time.Minute)), "n1", 1, t0),
		seal(t, bound("6001", c2, t0.Add(time.Hour)), "n1", 1, t0),
	}
	for _, e := range envs {
		if err := l.Apply(e, nil); err != nil {
			t.Fatal(err)
		}
	}
	later := t0.Add(2 * time.Minute)

	// Binding still returns an expired binding: the sweeper needs its
	// details to write the ContactUnbound.
	b, ok := l.Binding("6000", c1)
	if !ok || b.Transport != "udp" || b.CSeq != 1 || !b.ExpiresAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("Binding = %+v, %v", b, ok)
	}
	if _, ok := l.Binding("6000", c2); ok {
		t.Fatal("Binding found a contact of another AOR")
	}
	exp := l.Expired(later, "n1", 10)
	if len(exp) != 1 || exp[0].AOR != "6000" || exp[0].Contact != c1 {
		t.Fatalf("Expired = %v", exp)
	}
	if exp := l.Expired(later, "n2", 10); len(exp) != 0 {
		t.Fatalf("node n2 would sweep a binding of n1: %v", exp)
	}
	if exp := l.Expired(t0, "n1", 10); len(exp) != 0 {
		t.Fatalf("Expired before expiry = %v", exp)
	}
	if exp := l.Expired(t0.Add(24*time.Hour), "n1", 1); len(exp) != 1 {
		t.Fatalf("Expired ignores limit: %v", exp)
	}
	if all := l.All(later); len(all) != 1 || all[0].AOR != "6001" {
		t.Fatalf("All = %+v", all)
	}
	if aors, n := l.Count(); aors != 2 || n != 2 {
		t.Fatalf("Count = %d, %d", aors, n)
	}

	// A redelivered envelope (seq <= version) is dropped: here a stale
	// seq-1 unbind arriving after the seq-2 refresh must not remove it.
	if err := l.Apply(seal(t, bound("6000", c1, t0.Add(time.Hour)), "n1", 2, t0), nil); err != nil {
		t.Fatal(err)
	}
	for _, seq := range []uint64{1, 2} {
		stale := seal(t, domain.ContactUnbound{AOR: "6000", Contact: c1}, "n1", seq, t0)
		if err := l.Apply(stale, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := l.Lookup("6000", later); len(got) != 1 {
		t.Fatalf("redelivered unbind applied: %v", got)
	}
	if v := l.Version("6000"); v != 2 {
		t.Fatalf("Version = %d, want 2", v)
	}
}

func TestSubscribers(t *testing.T) {
	prov := domain.SubscriberProvisioned{User: "6000", Realm: "r", HA1MD5: "m1", HA1SHA256: "s1"}
	change := domain.SubscriberCredentialsChanged{User: "6000", Realm: "r", HA1MD5: "m2", HA1SHA256: "s2"}
	remove := domain.SubscriberRemoved{User: "6000"}
	type step struct {
		ev  domain.Event
		seq uint64
	}
	tests := []struct {
		name    string
		steps   []step
		want    *projections.Credentials // nil: absent
		version uint64
	}{
		{"provision", []step{{prov, 1}}, &projections.Credentials{Realm: "r", HA1MD5: "m1", HA1SHA256: "s1"}, 1},
		{"change credentials", []step{{prov, 1}, {change, 2}}, &projections.Credentials{Realm: "r", HA1MD5: "m2", HA1SHA256: "s2"}, 2},
		{"remove", []step{{prov, 1}, {remove, 2}}, nil, 2},
		{"reprovision after remove", []step{{prov, 1}, {remove, 2}, {prov, 3}}, &projections.Credentials{Realm: "r", HA1MD5: "m1", HA1SHA256: "s1"}, 3},
		// Redelivery of an older event must not roll the password back.
		{"dedup old change", []step{{prov, 1}, {change, 2}, {prov, 1}}, &projections.Credentials{Realm: "r", HA1MD5: "m2", HA1SHA256: "s2"}, 2},
		{"dedup after remove", []step{{prov, 1}, {remove, 2}, {change, 2}, {prov, 1}}, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := projections.NewSubscribers()
			for _, st := range tt.steps {
				if err := s.Apply(seal(t, st.ev, "n1", st.seq, t0), nil); err != nil {
					t.Fatal(err)
				}
			}
			got, ok := s.Lookup("6000")
			switch {
			case tt.want == nil && ok:
				t.Fatalf("user present: %+v", got)
			case tt.want != nil && (!ok || got != *tt.want):
				t.Fatalf("Lookup = %+v, %v; want %+v", got, ok, *tt.want)
			}
			if v := s.Version("6000"); v != tt.version {
				t.Fatalf("Version = %d, want %d", v, tt.version)
			}
		})
	}
}

func TestSubscribersUsersAndForeignEvents(t *testing.T) {
	s := projections.NewSubscribers()
	for _, u := range []string{"6002", "6000", "6001"} {
		_ = s.Apply(seal(t, domain.SubscriberProvisioned{User: u, Realm: "r"}, "n1", 1, t0), nil)
	}
	// Non-subscriber events are skipped without decoding.
	_ = s.Apply(seal(t, bound("6000", "sip:x", t0), "n1", 5, t0), nil)
	if got := s.Users(); !reflect.DeepEqual(got, []string{"6000", "6001", "6002"}) {
		t.Fatalf("Users = %v", got)
	}
	if v := s.Version("6000"); v != 1 {
		t.Fatalf("a registration event moved the subscriber version to %d", v)
	}
}

// callEvents is a call's log: start, a leg, then answer and end as asked.
func callEvents(id string, answered, ended bool) []domain.Event {
	evs := []domain.Event{
		domain.CallStarted{CallID: id, Caller: "6000", Callee: "6001", Source: "127.0.0.1"},
		domain.LegStarted{CallID: id, Leg: "b1", Side: domain.SideB},
	}
	if answered {
		evs = append(evs, domain.LegAnswered{CallID: id, Leg: "b1"}, domain.CallAnswered{CallID: id, Leg: "b1"})
	}
	if ended {
		evs = append(evs, domain.LegEnded{CallID: id, Leg: "b1", Code: 200}, domain.CallEnded{CallID: id, Code: 200, Disposition: domain.DispositionAnswered})
	}
	return evs
}

func TestCalls(t *testing.T) {
	c := projections.NewCalls()
	apply := func(node string, evs []domain.Event, start time.Time) {
		for i, ev := range evs {
			if err := c.Apply(seal(t, ev, node, uint64(i+1), start.Add(time.Duration(i)*time.Second)), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	apply("n1", callEvents("ringing", false, false), t0.Add(2*time.Second))
	apply("n1", callEvents("talking", true, false), t0)
	apply("n2", callEvents("other-node", true, false), t0.Add(time.Second))
	apply("n1", callEvents("done", true, true), t0)

	if c.Len() != 3 {
		t.Fatalf("Len = %d, want 3 (ended call removed)", c.Len())
	}
	list := c.List()
	var ids []string
	for _, a := range list {
		ids = append(ids, a.CallID)
	}
	if want := []string{"talking", "other-node", "ringing"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("List order %v, want %v (by start)", ids, want)
	}
	talking := list[0]
	// Version and Last follow every event of the call, not just the three
	// the projection decodes, so a restarted node appends after the last.
	if talking.Version != 4 || !talking.Last.Equal(t0.Add(3*time.Second)) || !talking.Answered.Equal(t0.Add(3*time.Second)) || talking.Node != "n1" {
		t.Fatalf("talking = %+v", talking)
	}
	if ringing := list[2]; !ringing.Answered.IsZero() || ringing.Version != 2 {
		t.Fatalf("ringing = %+v", ringing)
	}

	tests := []struct {
		node string
		want []string
	}{
		{"n1", []string{"talking", "ringing"}},
		{"n2", []string{"other-node"}},
		{"n3", nil},
	}
	for _, tt := range tests {
		t.Run("orphans "+tt.node, func(t *testing.T) {
			var got []string
			for _, a := range c.Orphans(tt.node) {
				got = append(got, a.CallID)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Orphans(%s) = %v, want %v", tt.node, got, tt.want)
			}
		})
	}
}

// TestReplay appends a mixed log to a real journal and checks that Set.Replay
// into fresh projections rebuilds what the live ones hold, which is what a
// restart relies on.
func TestReplay(t *testing.T) {
	ctx := context.Background()
	j, err := journal.Open(ctx, t.TempDir(), journal.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()

	live := struct {
		loc   *projections.Location
		subs  *projections.Subscribers
		calls *projections.Calls
	}{projections.NewLocation(), projections.NewSubscribers(), projections.NewCalls()}
	liveSet := projections.Set{live.loc, live.subs, live.calls}

	seqs := map[string]uint64{}
	var envs []domain.Envelope
	var evs []domain.Event
	add := func(ev domain.Event, at time.Time) {
		seqs[ev.AggregateKey()]++
		envs = append(envs, seal(t, ev, "n1", seqs[ev.AggregateKey()], at))
		evs = append(evs, ev)
	}
	add(domain.SubscriberProvisioned{User: "6000", Realm: "r", HA1MD5: "a"}, t0)
	add(domain.SubscriberProvisioned{User: "6001", Realm: "r", HA1MD5: "b"}, t0)
	add(domain.SubscriberCredentialsChanged{User: "6001", Realm: "r", HA1MD5: "c"}, t0)
	add(domain.SubscriberProvisioned{User: "6002", Realm: "r"}, t0)
	add(domain.SubscriberRemoved{User: "6002"}, t0)
	add(bound("6000", "sip:6000@127.0.0.1:5070", t0.Add(time.Hour)), t0)
	add(bound("6001", "sip:6001@127.0.0.1:5071", t0.Add(time.Hour)), t0)
	add(bound("6001", "sip:6001@127.0.0.1:5072", t0.Add(time.Hour)), t0)
	add(domain.ContactUnbound{AOR: "6001", Contact: "sip:6001@127.0.0.1:5071"}, t0)
	add(domain.AuthFailed{Source: "10.0.0.1", User: "6000"}, t0)
	for i, ev := range callEvents("c1", true, false) {
		add(ev, t0.Add(time.Duration(i)*time.Second))
	}
	for _, ev := range callEvents("c2", true, true) {
		add(ev, t0)
	}

	// Append in two batches so the replay crosses a group commit.
	if err := j.Append(ctx, envs[:7]); err != nil {
		t.Fatal(err)
	}
	if err := j.Append(ctx, envs[7:]); err != nil {
		t.Fatal(err)
	}
	// The live projections get the decoded events, as the node's own
	// appends do; the replayed ones must decode from the payload.
	for i := range envs {
		if err := liveSet.Apply(envs[i], evs[i]); err != nil {
			t.Fatal(err)
		}
	}

	loc, subs, calls := projections.NewLocation(), projections.NewSubscribers(), projections.NewCalls()
	head, err := projections.Set{loc, subs, calls}.Replay(ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	if head != uint64(len(envs)) || head != j.Head() {
		t.Fatalf("Replay head %d, want %d", head, len(envs))
	}

	now := t0.Add(time.Minute)
	if got, want := loc.All(now), live.loc.All(now); !reflect.DeepEqual(got, want) {
		t.Errorf("location:\n got %+v\nwant %+v", got, want)
	}
	for _, aor := range []string{"6000", "6001"} {
		if loc.Version(aor) != live.loc.Version(aor) {
			t.Errorf("location version %s: %d vs %d", aor, loc.Version(aor), live.loc.Version(aor))
		}
	}
	if got, want := subs.Users(), live.subs.Users(); !reflect.DeepEqual(got, want) || len(got) != 2 {
		t.Errorf("users %v, want %v", got, want)
	}
	for _, u := range []string{"6000", "6001", "6002"} {
		g, gok := subs.Lookup(u)
		w, wok := live.subs.Lookup(u)
		if g != w || gok != wok || subs.Version(u) != live.subs.Version(u) {
			t.Errorf("subscriber %s: %+v %v v%d, want %+v %v v%d", u, g, gok, subs.Version(u), w, wok, live.subs.Version(u))
		}
	}
	gotCalls, wantCalls := calls.List(), live.calls.List()
	if len(gotCalls) != 1 || len(wantCalls) != 1 {
		t.Fatalf("calls %+v, want %+v", gotCalls, wantCalls)
	}
	// Compare instants, not time.Time values: the journal's clock encoding
	// need not keep the same Location pointer.
	g, w := gotCalls[0], wantCalls[0]
	if g.CallID != w.CallID || g.Node != w.Node || g.Version != w.Version ||
		!g.Start.Equal(w.Start) || !g.Answered.Equal(w.Answered) || !g.Last.Equal(w.Last) {
		t.Errorf("call:\n got %+v\nwant %+v", g, w)
	}
}

// TestSetApplyError: a payload that does not decode must stop the fold and
// say which projection and position failed, or a restart would silently
// build a wrong location table.
func TestSetApplyError(t *testing.T) {
	env := seal(t, bound("6000", "sip:x", t0), "n1", 1, t0)
	env.Payload = []byte(`{"expires_at": 12}`)
	env.Position = 42
	err := projections.Set{projections.NewLocation()}.Apply(env, nil)
	if err == nil {
		t.Fatal("bad payload accepted")
	}
	if want := "position 42"; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name %q", err, want)
	}
}

// TestRemoteAppliesOtherNodesRegistrations: with Kafka a node sees every
// node's events; it applies the registrations and subscribers of others,
// and neither its own (already applied) nor other nodes' calls.
func TestRemoteAppliesOtherNodesRegistrations(t *testing.T) {
	loc := projections.NewLocation()
	r := projections.NewRemote(projections.Set{loc}, "n1")
	exp := t0.Add(time.Hour)
	tests := []struct {
		env   domain.Envelope
		wants bool
	}{
		{seal(t, bound("6000", "sip:6000@127.0.0.1:5070", exp), "n2", 1, t0), true},
		{seal(t, bound("6001", "sip:6001@127.0.0.1:5071", exp), "n1", 1, t0), false},
		{domain.Envelope{Aggregate: "call:x", Node: "n2", Seq: 1}, false},
		{domain.Envelope{Aggregate: "source:127.0.0.1", Node: "n2"}, false},
	}
	for i, tt := range tests {
		if got := r.Wants(tt.env); got != tt.wants {
			t.Errorf("case %d: Wants(%s from %s) = %v, want %v", i, tt.env.Aggregate, tt.env.Node, got, tt.wants)
		}
		if err := r.Apply(tt.env, nil); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
	}
	if b := loc.Lookup("6000", t0); len(b) != 1 || b[0].Node != "n2" {
		t.Fatalf("6000 registered on n2: Lookup = %+v", b)
	}
	if b := loc.Lookup("6001", t0); len(b) != 0 {
		t.Fatalf("own event applied twice through Remote: %+v", b)
	}
}
