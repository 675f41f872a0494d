package chstore_test

import (
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"softswitch/billing/cdr/chstore"
)

// rawConn is a plain driver connection to cfg's server with cfg's
// database as the default, for tests that look under the store.
func rawConn(t testing.TB, cfg chstore.Config) driver.Conn {
	t.Helper()
	opts, err := clickhouse.ParseDSN(cfg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	opts.Auth.Database = ""
	conn, err := clickhouse.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
