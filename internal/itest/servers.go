package itest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"softswitch/domain"
)

// Server runs deploy/local/up.sh or down.sh for one server ("kafka" or
// "clickhouse"): the outage tests stop the real server under load and
// start it again.
func Server(t testing.TB, action, name string) {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	script := map[string]string{"up": "up.sh", "down": "down.sh"}[action]
	if script == "" {
		t.Fatalf("itest: server action %q (up or down)", action)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, "bash", filepath.Join(root, "deploy/local", script), name).CombinedOutput()
	if err != nil {
		t.Fatalf("itest: %s %s: %v\n%s", script, name, err, out)
	}
	t.Logf("itest: %s %s took %s", script, name, time.Since(start).Round(time.Millisecond))
}

// Events reads the switch's whole journal through the admin API.
func (s *Switch) Events(t testing.TB) []domain.Envelope {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	req, err := http.NewRequest(http.MethodGet, s.URL("/api/v1/events?limit=1000000"), nil)
	if err != nil {
		t.Fatalf("itest: events: %v", err)
	}
	s.Authorize(req)
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("itest: events: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("itest: events: %s", res.Status)
	}
	var envs []domain.Envelope
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var env domain.Envelope
		if err := json.Unmarshal(sc.Bytes(), &env); err != nil {
			t.Fatalf("itest: events: %v", err)
		}
		envs = append(envs, env)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("itest: events: %v", err)
	}
	return envs
}

// KafkaEventIDs reads every record of topic with kcat, an independent
// client, and returns the value of each record's "id" header, duplicates
// included, in no particular order.
func KafkaEventIDs(t testing.TB, brokers, topic string) []string {
	t.Helper()
	if _, err := exec.LookPath("kcat"); err != nil {
		t.Fatalf("itest: kcat not installed (deploy/local/up.sh installs it): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// -e: exit at the end of every partition; -q: no informational lines.
	cmd := exec.CommandContext(ctx, "kcat", "-C", "-b", brokers, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%h\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("itest: kcat: %v\n%s", err, stderr.String())
	}
	var ids []string
	for _, line := range strings.Split(string(out), "\n") {
		for _, h := range strings.Split(line, ",") {
			if v, ok := strings.CutPrefix(h, "id="); ok {
				ids = append(ids, v)
			}
		}
	}
	return ids
}

// ClickHouseQuery runs query with clickhouse-client, an independent
// client, and returns its TabSeparated output lines.
func ClickHouseQuery(t testing.TB, query string) []string {
	t.Helper()
	return ClickHouseQueryIn(t, "", query)
}

// ClickHouseQueryIn is ClickHouseQuery with database as the current one
// ("" for the server's default), as a billing user runs the documented
// queries that name their tables unqualified.
func ClickHouseQueryIn(t testing.TB, database, query string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := []string{"--host", "127.0.0.1", "--port", "9000", "--query", query}
	if database != "" {
		args = append(args, "--database", database)
	}
	out, err := exec.CommandContext(ctx, "clickhouse-client", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("itest: clickhouse-client %q: %v\n%s", query, err, out)
	}
	s := strings.TrimRight(string(out), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
