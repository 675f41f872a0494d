package stats_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"softswitch/dialer/stats"
	"softswitch/dialer/stats/statstest"
	"softswitch/domain"
	"softswitch/eventstore/journal"
	"softswitch/projections/tail"
)

func TestMemStore(t *testing.T) {
	statstest.Run(t, func(*testing.T) stats.Store { return stats.NewMemStore() })
}

var t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

func seal(t *testing.T, ev domain.Event, i int) domain.Envelope {
	t.Helper()
	env, err := domain.Seal(ev, fmt.Sprintf("n1-%04d", i), "n1", uint64(i), t0.Add(time.Duration(i)*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// campaignLog is a journal's worth of events: per lead an allowed
// decision and its end, every third lead refused by DNC, and call events
// between them that have no row.
func campaignLog(t *testing.T, leads int) (envs []domain.Envelope, rows int) {
	t.Helper()
	for l := range leads {
		lead := fmt.Sprintf("L%03d", l)
		if l%3 == 0 {
			envs = append(envs, seal(t, domain.AttemptDecided{Campaign: "c", Lead: lead, Number: "+8613800000000", Attempt: 1, Reason: "dnc"}, len(envs)+1))
			rows++
			continue
		}
		envs = append(envs,
			seal(t, domain.AttemptDecided{Campaign: "c", Lead: lead, Number: "+8613800000000", Attempt: 1, Allowed: true, CallerID: "+861050000001"}, len(envs)+1),
			seal(t, domain.CallStarted{Caller: "dialer", Callee: "+8613800000000"}, len(envs)+2),
			seal(t, domain.AttemptEnded{Campaign: "c", Lead: lead, Attempt: 1, Outcome: domain.AttemptBusy, Code: 486,
				Number: "+8613800000000", CallerID: "+861050000001", DialedAt: t0, CalleeCallID: "sip-" + lead}, len(envs)+3))
		rows++
	}
	return envs, rows
}

func TestFromEnvelope(t *testing.T) {
	tests := []struct {
		name    string
		ev      domain.Event
		want    stats.Row
		wantRow bool
	}{
		{"an allowed decision has no row of its own",
			domain.AttemptDecided{Campaign: "c", Lead: "L", Attempt: 1, Allowed: true}, stats.Row{}, false},
		{"a refused decision is a skipped row at its time",
			domain.AttemptDecided{Campaign: "c", Lead: "L", Number: "+86138", Attempt: 2, Reason: "outside_hours"},
			stats.Row{ID: "n1-0001", Campaign: "c", Lead: "L", Number: "+86138", Attempt: 2, Outcome: stats.OutcomeSkipped,
				Reason: "outside_hours", Dialed: t0.Add(time.Second), Ended: t0.Add(time.Second)}, true},
		{"an end is a placed row dialled when decided",
			domain.AttemptEnded{Campaign: "c", Lead: "L", Attempt: 1, Outcome: domain.AttemptConnected, Agent: "6001",
				Number: "+86138", CallerID: "+8610", DialedAt: t0, CalleeCallID: "x@y", AMD: "HUMAN"},
			stats.Row{ID: "n1-0001", Campaign: "c", Lead: "L", Attempt: 1, Number: "+86138", CallerID: "+8610", Agent: "6001",
				Placed: true, Outcome: domain.AttemptConnected, CalleeCallID: "x@y", AMD: "HUMAN", Dialed: t0, Ended: t0.Add(time.Second)}, true},
		{"an end without a dial time (an orphan closed at start) is dialled when it ended",
			domain.AttemptEnded{Campaign: "c", Lead: "L", Attempt: 1, Outcome: domain.AttemptCancelled},
			stats.Row{ID: "n1-0001", Campaign: "c", Lead: "L", Attempt: 1, Placed: true, Outcome: domain.AttemptCancelled,
				Dialed: t0.Add(time.Second), Ended: t0.Add(time.Second)}, true},
		{"a call event has none", domain.CallStarted{Caller: "a"}, stats.Row{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := stats.FromEnvelope(seal(t, tt.ev, 1))
			if err != nil || ok != tt.wantRow || got != tt.want {
				t.Fatalf("got %+v, %v, %v\nwant %+v, %v", got, ok, err, tt.want, tt.wantRow)
			}
		})
	}
	t.Run("a newer schema is an error, not a skip", func(t *testing.T) {
		env := seal(t, domain.AttemptEnded{Campaign: "c"}, 1)
		env.Version = 99
		if _, _, err := stats.FromEnvelope(env); !errors.Is(err, domain.ErrUnsupportedVersion) {
			t.Fatalf("err %v, want ErrUnsupportedVersion", err)
		}
	})
}

// flaky fails its first n Puts.
type flaky struct {
	stats.Store
	mu sync.Mutex
	n  int
}

func (f *flaky) Put(ctx context.Context, rows []stats.Row, cp uint64) error {
	f.mu.Lock()
	fail := f.n > 0
	f.n--
	f.mu.Unlock()
	if fail {
		return errors.New("injected outage")
	}
	return f.Store.Put(ctx, rows, cp)
}

// TestTailThroughOutageAndRestart folds a real journal through the tail:
// the store refuses its first writes, the consumer is stopped half-way and
// started again from the checkpoint, and every row lands exactly once.
func TestTailThroughOutageAndRestart(t *testing.T) {
	ctx := context.Background()
	j, err := journal.Open(ctx, t.TempDir(), journal.Options{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	envs, want := campaignLog(t, 60)
	half := len(envs) / 2
	if err := j.Append(ctx, envs[:half]); err != nil {
		t.Fatal(err)
	}
	mem := stats.NewMemStore()
	store := &flaky{Store: mem, n: 3}
	run := func(upTo uint64) {
		t.Helper()
		b := stats.NewBuilder(store, stats.Config{FlushInterval: 5 * time.Millisecond, BatchRows: 4}, slog.New(slog.DiscardHandler))
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- tail.Run(rctx, "stats", j, mem.Checkpoint, b, slog.New(slog.DiscardHandler)) }()
		deadline := time.After(10 * time.Second)
		for {
			if cp, _ := mem.Checkpoint(ctx); cp == upTo+1 {
				break
			}
			select {
			case <-deadline:
				cp, _ := mem.Checkpoint(ctx)
				t.Fatalf("checkpoint stuck at %d, want %d", cp, upTo+1)
			case <-time.After(2 * time.Millisecond):
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	run(uint64(half))
	if err := j.Append(ctx, envs[half:]); err != nil {
		t.Fatal(err)
	}
	run(uint64(len(envs)))
	rows, err := mem.List(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != want {
		t.Fatalf("%d rows, want %d", len(rows), want)
	}
	seen := map[string]bool{}
	skipped := 0
	for _, r := range rows {
		if seen[r.Lead] {
			t.Errorf("lead %s has two rows", r.Lead)
		}
		seen[r.Lead] = true
		if r.Outcome == stats.OutcomeSkipped {
			skipped++
		} else if r.CalleeCallID != "sip-"+r.Lead || !r.Placed {
			t.Errorf("row %+v", r)
		}
	}
	if skipped != 20 {
		t.Errorf("%d skipped rows, want 20", skipped)
	}
	if store.n > 0 {
		t.Errorf("%d injected failures never reached", store.n)
	}
}
