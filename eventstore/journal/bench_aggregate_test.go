package journal_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"softswitch/domain"
	"softswitch/eventstore/journal"
)

// bench10MDirEnv names a directory to keep the 10M-event journal in
// between runs (it is built there when empty); unset, the journal is built
// in a temporary directory and removed afterwards.
const bench10MDirEnv = "JOURNAL_BENCH_10M_DIR"

// Shape of the 10M-event log: a million calls of ten events each. Calls
// start in waves of replayWave, and a wave's calls emit their k-th event
// one after another, so one call's events lie replayWave positions apart
// (400k positions in all), like a one-minute call among 7,000 events/s
// of other traffic.
const (
	replayCalls   = 1_000_000
	replayPerCall = 10
	replayWave    = 40_000
)

var replayTypes = [replayPerCall]string{
	"call.created", "call.routed", "sip.invite_sent", "sip.provisional", "call.ringing",
	"call.answered", "sip.ack", "call.media", "sip.bye", "call.ended",
}

func replayCallID(c int) string {
	return fmt.Sprintf("%016x-%04x@10.20.%d.%d", c*2654435761, c%65536, c%250, c/250%250)
}

// replayEnvelope is event k of call c: a JSON payload of 259–424 bytes with
// the SIP identities a call event carries.
func replayEnvelope(c, k int, t time.Time) domain.Envelope {
	id := replayCallID(c)
	pad := strings.Repeat("x", 60+(c*7+k*31)%150)
	p := fmt.Sprintf(`{"call_id":%q,"from":"sip:%d@carrier.example.net;tag=%x","to":"sip:1380013%04d@softswitch.local","via":"SIP/2.0/UDP 10.20.0.1:5060;branch=z9hG4bK%x","cseq":%d,"note":%q}`,
		id, 6000+c%1000, c*31+k, c%10000, c*17+k, k+1, pad)
	return domain.Envelope{
		ID: fmt.Sprintf("node-a-%x-%x", c, k), Type: replayTypes[k], Version: 1,
		Aggregate: domain.CallKey(id), Seq: uint64(k + 1), Node: "node-a",
		Time: t, Payload: []byte(p),
	}
}

// replayJournal returns a closed journal of replayCalls calls, built with
// fsync off (the durability path is not what is measured).
func replayJournal(b *testing.B) string {
	dir := os.Getenv(bench10MDirEnv)
	if dir == "" {
		dir = b.TempDir()
	}
	if segs, _ := filepath.Glob(filepath.Join(dir, "*.seg")); len(segs) > 0 {
		return dir
	}
	ctx := context.Background()
	j, err := journal.Open(ctx, dir, journal.Options{NoSync: true}, nil)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	t0 := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	batch := make([]domain.Envelope, 0, 1000)
	for wave := 0; wave < replayCalls; wave += replayWave {
		for k := range replayPerCall {
			for c := wave; c < wave+replayWave; c++ {
				n := c*replayPerCall + k
				batch = append(batch, replayEnvelope(c, k, t0.Add(time.Duration(n)*140*time.Microsecond)))
				if len(batch) == cap(batch) {
					if err := j.Append(ctx, batch); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
		}
	}
	if err := j.Append(ctx, batch); err != nil {
		b.Fatal(err)
	}
	head := j.Head()
	if err := j.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d events in %s in %v", head, dir, time.Since(start).Round(time.Second))
	return dir
}

// evictCache drops the journal's pages from the page cache, so a read
// pays for the disk as on a node whose journal nobody read lately.
func evictCache(b *testing.B, dir string) {
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		err = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReplayCall10M is issue 6's target (replay of one call from a
// 10M-event log in ≤ 100 ms): it reads the ten events of the call in the
// middle of a 10M-event journal (about 4.5 GB in 64 MiB segments) through
// the aggregate index. Stopped: ReadAggregateDir on the closed journal,
// with the page cache warm and with the journal evicted from it before
// each read. journal.Open: opening the journal for writing, which
// recovers every segment, then ReadAggregate: what ReadAggregateDir
// avoids. Running: ReadAggregate on the open journal. The first run
// builds the journal (a few minutes); set JOURNAL_BENCH_10M_DIR to keep it
// for the next.
func BenchmarkReplayCall10M(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 10M-event journal")
	}
	dir := replayJournal(b)
	agg := domain.CallKey(replayCallID(replayCalls / 2))
	read := func(b *testing.B, fn func(context.Context, string, func(domain.Envelope) error) error) {
		n := 0
		var last uint64
		if err := fn(context.Background(), agg, func(e domain.Envelope) error {
			if e.Aggregate != agg || e.Position <= last {
				b.Fatalf("got %s at %d after %d", e.Aggregate, e.Position, last)
			}
			n, last = n+1, e.Position
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if n != replayPerCall {
			b.Fatalf("read %d events of %s, want %d", n, agg, replayPerCall)
		}
	}
	stopped := func(ctx context.Context, agg string, fn func(domain.Envelope) error) error {
		return journal.ReadAggregateDir(ctx, dir, agg, fn)
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/call")
	}

	b.Run("stopped/warm", func(b *testing.B) {
		for b.Loop() {
			read(b, stopped)
		}
		report(b)
	})
	b.Run("stopped/cold", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			evictCache(b, dir)
			b.StartTimer()
			read(b, stopped)
		}
		report(b)
	})
	// What a reader holding the writer's lock would pay: Open recovers
	// (CRC-checks) every segment before the first lookup.
	b.Run("journal.Open", func(b *testing.B) {
		for b.Loop() {
			j, err := journal.Open(context.Background(), dir, journal.Options{NoSync: true}, nil)
			if err != nil {
				b.Fatal(err)
			}
			read(b, j.ReadAggregate)
			if err := j.Close(); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	b.Run("running", func(b *testing.B) {
		j, err := journal.Open(context.Background(), dir, journal.Options{NoSync: true}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer j.Close()
		b.ResetTimer()
		for b.Loop() {
			read(b, j.ReadAggregate)
		}
		report(b)
	})
}
