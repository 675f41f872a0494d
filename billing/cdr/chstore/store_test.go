package chstore_test

import (
	"context"
	"log/slog"
	"testing"

	"softswitch/billing/cdr"
	"softswitch/billing/cdr/cdrtest"
	"softswitch/billing/cdr/chstore"
	"softswitch/internal/testenv"
)

// newDatabase returns a Config for a database of its own, dropped when t
// ends, so runs and parallel packages never see each other's rows.
func newDatabase(t testing.TB) chstore.Config {
	t.Helper()
	cfg := chstore.Config{DSN: testenv.ClickHouse(t), Database: testenv.Unique("cdrtest_")}
	t.Cleanup(func() { dropDatabase(t, cfg) })
	return cfg
}

func dropDatabase(t testing.TB, cfg chstore.Config) {
	conn := rawConn(t, cfg)
	if err := conn.Exec(context.Background(), "DROP DATABASE IF EXISTS `"+cfg.Database+"`"); err != nil {
		t.Errorf("drop %s: %v", cfg.Database, err)
	}
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func TestSuite(t *testing.T) {
	cdrtest.Run(t, func(t *testing.T) cdrtest.Opener {
		cfg := newDatabase(t)
		return func() (cdr.Store, error) {
			return chstore.Open(context.Background(), cfg, testLogger(t))
		}
	})
}
