package cdr_test

import (
	"context"
	"testing"

	"softswitch/billing/cdr"
	"softswitch/billing/cdr/boltstore"
	"softswitch/billing/cdr/chstore"
	"softswitch/domain"
	"softswitch/internal/testenv"
)

// BenchmarkReplay measures Rebuild: events/s through decode, fold and
// store. Reproduce with
//
//	go test ./billing/cdr -run '^$' -bench BenchmarkReplay -benchtime 5x
func BenchmarkReplay(b *testing.B) {
	envs := mixedLog(b, 20_000, 200, 1)
	log := &memLog{}
	must(b, log.Append(context.Background(), envs))
	b.Logf("%d events, %d calls", len(envs), 20_000)
	stores := []struct {
		name string
		open func(b *testing.B) cdr.Store
	}{
		// The builder alone: the ceiling the stores are measured against.
		{"discard", func(*testing.B) cdr.Store { return discardStore{} }},
		// What `cdr rebuild` does: a fresh file without fsync per batch.
		{"bolt-nosync", func(b *testing.B) cdr.Store {
			s, err := boltstore.Open(b.TempDir(), boltstore.Options{NoSync: true})
			must(b, err)
			return s
		}},
		// A fresh ClickHouse database: `cdr rebuild` into the warehouse.
		{"clickhouse", func(b *testing.B) cdr.Store {
			dsn := testenv.ClickHouse(b)
			s, err := chstore.Open(context.Background(), chstore.Config{DSN: dsn, Database: testenv.Unique("bench_replay_")}, discardLogger())
			must(b, err)
			return s
		}},
		// What the live consumer does: fsync per batch.
		{"bolt-sync", func(b *testing.B) cdr.Store {
			s, err := boltstore.Open(b.TempDir(), boltstore.Options{})
			must(b, err)
			return s
		}},
	}
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				dst := st.open(b)
				b.StartTimer()
				stats, err := cdr.Rebuild(context.Background(), log, dst, cdr.Config{BatchSize: 4096}, discardLogger())
				must(b, err)
				must(b, dst.Close())
				if stats.Events != uint64(len(envs)) {
					b.Fatalf("replayed %d events, want %d", stats.Events, len(envs))
				}
			}
			b.ReportMetric(float64(len(envs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// discardStore accepts everything and keeps nothing.
type discardStore struct{}

func (discardStore) Put(context.Context, []domain.CDR, uint64) error { return nil }
func (discardStore) Checkpoint(context.Context) (uint64, error)      { return 0, nil }
func (discardStore) Get(context.Context, string) (domain.CDR, error) {
	return domain.CDR{}, cdr.ErrNotFound
}
func (discardStore) List(context.Context, cdr.Filter) ([]domain.CDR, error) { return nil, nil }
func (discardStore) Close() error                                           { return nil }
