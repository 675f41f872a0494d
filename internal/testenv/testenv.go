// Package testenv finds the real servers integration tests run against.
//
// deploy/local/test.sh starts Kafka and ClickHouse with deploy/local/up.sh
// and exports:
//
//	SOFTSWITCH_TEST_KAFKA=127.0.0.1:9092                       broker list, comma separated
//	SOFTSWITCH_TEST_CLICKHOUSE=clickhouse://127.0.0.1:9000/default
//	SOFTSWITCH_REQUIRE_SERVERS=1                               a missing server fails the test
//
// Run by hand without them, the integration tests skip with a message that
// says how to start the servers.
package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

const startHint = "run deploy/local/up.sh and export %s (see deploy/local/test.sh)"

// Kafka returns the brokers of the test Kafka, or skips t.
func Kafka(t testing.TB) []string {
	t.Helper()
	v := need(t, "SOFTSWITCH_TEST_KAFKA", "127.0.0.1:9092")
	return strings.Split(v, ",")
}

// ClickHouse returns the DSN of the test ClickHouse, or skips t.
func ClickHouse(t testing.TB) string {
	t.Helper()
	return need(t, "SOFTSWITCH_TEST_CLICKHOUSE", "clickhouse://127.0.0.1:9000/default")
}

// Unique returns prefix followed by a random suffix, for topic, table and
// group names that must not collide with earlier runs on the same server.
func Unique(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func need(t testing.TB, env, example string) string {
	t.Helper()
	if v := os.Getenv(env); v != "" {
		return v
	}
	msg := "integration server not configured: " + strings.Replace(startHint, "%s", env+"="+example, 1)
	if os.Getenv("SOFTSWITCH_REQUIRE_SERVERS") == "1" {
		t.Fatalf("%s, and SOFTSWITCH_REQUIRE_SERVERS=1", msg)
	}
	t.Skip(msg)
	return ""
}
