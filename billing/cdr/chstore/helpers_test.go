package chstore_test

import (
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"softswitch/billing/cdr/chstore"
)

// rawConn is a plain driver connection to cfg's server, for tests that
// look under the store.
func rawConn(t testing.TB, cfg chstore.Config) driver.Conn {
	t.Helper()
	return rawConnIn(t, cfg, "")
}

// rawConnIn is rawConn with database as the current one ("" for the
// user's default).
func rawConnIn(t testing.TB, cfg chstore.Config, database string) driver.Conn {
	t.Helper()
	opts, err := clickhouse.ParseDSN(cfg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	opts.Auth.Database = database
	conn, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
