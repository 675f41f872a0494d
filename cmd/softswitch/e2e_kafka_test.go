//go:build e2e

// End-to-end tests against the real Kafka and ClickHouse that
// deploy/local/up.sh starts (deploy/local/test.sh exports where they are;
// see internal/testenv). Each test gets its own topic prefix and database,
// so runs never see each other's data. kcat and clickhouse-client, clients
// independent of the switch, read what arrived.
//
// The outage tests stop and start the shared servers: this file's tests
// must not run in parallel with each other or with other Kafka tests.
package main

import (
	"encoding/json"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"softswitch/internal/itest"
	"softswitch/internal/testenv"
)

// cluster is the Kafka topic prefix and ClickHouse database of one test.
type cluster struct {
	brokers string
	prefix  string
	db      string
	dsn     string
}

func newCluster(t *testing.T) cluster {
	t.Helper()
	brokers := testenv.Kafka(t)
	base := testenv.ClickHouse(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("SOFTSWITCH_TEST_CLICKHOUSE: %v", err)
	}
	c := cluster{brokers: strings.Join(brokers, ","), prefix: testenv.Unique("itest.") + ".", db: testenv.Unique("itest_")}
	u.Path = "/" + c.db
	c.dsn = u.String()
	return c
}

// yaml is the config section that switches Kafka and ClickHouse on.
func (c cluster) yaml() string {
	var b strings.Builder
	b.WriteString("kafka:\n  brokers: [")
	for i, br := range strings.Split(c.brokers, ",") {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(br))
	}
	b.WriteString("]\n")
	b.WriteString("  topic_prefix: " + strconv.Quote(c.prefix) + "\n")
	b.WriteString("clickhouse:\n  dsn: " + strconv.Quote(c.dsn) + "\n")
	return b.String()
}

func (c cluster) eventsTopic() string { return c.prefix + "events" }

// startNode starts a switch on the cluster.
func (c cluster) startNode(t *testing.T, node string) *itest.Switch {
	t.Helper()
	return itest.Start(t, itest.Options{NodeID: node, ExtraYAML: c.yaml(), StartTimeout: 60 * time.Second})
}

// load runs n calls from 6000 to 6001 at rate calls/s through sw, each
// held holdMS, against a SIPp UAS registered on reg, while during() runs.
func load(t *testing.T, sw, reg *itest.Switch, n, rate, holdMS int, during func()) itest.SIPpResult {
	t.Helper()
	uas := itest.StartSIPp(t, "uas", "-m", itoa(n), "-s", callee)
	mustRegister(t, reg, callee, uas.Addr, 3600)
	if reg != sw {
		waitRegistered(t, sw, callee)
	}
	uac := itest.StartSIPp(t, "uac", "-m", itoa(n), "-r", itoa(rate), "-l", itoa(rate*5),
		"-s", callee, "-key", "caller", caller, "-au", caller, "-ap", password,
		"-d", itoa(holdMS), "-recv_timeout", "20000", sw.SIPAddr)
	if during != nil {
		during()
	}
	res := uac.Wait(time.Duration(n/rate)*time.Second + 90*time.Second)
	uas.Stop()
	return res
}

// waitRegistered waits until sw routes to user: with Kafka, a registration
// on another node reaches this one through the location projection.
func waitRegistered(t *testing.T, sw *itest.Switch, user string) {
	t.Helper()
	itest.Eventually(t, 30*time.Second, user+" visible in "+sw.HTTPAddr+"'s location service", func() bool {
		return len(sw.ContactsOf(t, user)) > 0
	})
}

// requireAllShipped waits until every journal event of every node is on
// Kafka, and fails on any Kafka record that is in no journal. Duplicates
// (redelivery after an outage) are allowed and reported.
func requireAllShipped(t *testing.T, c cluster, nodes ...*itest.Switch) {
	t.Helper()
	want := map[string]bool{}
	for _, sw := range nodes {
		for _, env := range sw.Events(t) {
			if want[env.ID] {
				t.Fatalf("event id %s twice in the journals", env.ID)
			}
			want[env.ID] = true
		}
	}
	var got map[string]int
	var records int
	itest.Eventually(t, 90*time.Second, "every journal event on Kafka", func() bool {
		ids := itest.KafkaEventIDs(t, c.brokers, c.eventsTopic())
		records = len(ids)
		got = map[string]int{}
		for _, id := range ids {
			got[id]++
		}
		for id := range want {
			if got[id] == 0 {
				return false
			}
		}
		return true
	})
	// The nodes keep writing (heartbeats) while this reads: a record
	// that came after the first read must be in a fresh read of the
	// journals.
	for _, sw := range nodes {
		for _, env := range sw.Events(t) {
			want[env.ID] = true
		}
	}
	dups := 0
	for id, n := range got {
		if !want[id] {
			t.Errorf("Kafka record %s is in no journal", id)
		}
		dups += n - 1
	}
	t.Logf("%d journal events, %d Kafka records, %d redelivered duplicates", len(want), records, dups)
}

// requireCDRs waits for exactly n distinct CDRs in ClickHouse and checks,
// with clickhouse-client, that the deduplicated table has no id twice.
func requireCDRs(t *testing.T, c cluster, n int) {
	t.Helper()
	q := "SELECT count(), uniqExact(id) FROM " + c.db + ".cdr FINAL"
	var last string
	itest.Eventually(t, 90*time.Second, itoa(n)+" CDRs in ClickHouse", func() bool {
		rows := itest.ClickHouseQuery(t, q)
		last = strings.Join(rows, ";")
		return len(rows) == 1 && rows[0] == itoa(n)+"\t"+itoa(n)
	})
	raw := itest.ClickHouseQuery(t, "SELECT count() FROM "+c.db+".cdr")
	t.Logf("ClickHouse: %s (count, distinct ids after FINAL); %s rows before merges", last, raw)
}

// TestE2EKafkaClickHouse makes calls and finds every event on Kafka and
// every CDR in ClickHouse, both read by independent clients, and the same
// CDRs through `softswitch cdr list`.
func TestE2EKafkaClickHouse(t *testing.T) {
	itest.RequireSIPp(t)
	c := newCluster(t)
	sw := c.startNode(t, "n1")
	const calls = 20
	if res := load(t, sw, sw, calls, 10, 200, nil); !res.OK() || res.Successful != calls {
		t.Fatalf("calls: %s", res)
	}
	requireAllShipped(t, c, sw)
	requireCDRs(t, c, calls)

	cdrs := sw.CDRList(t)
	if len(cdrs) != calls {
		t.Fatalf("cdr list (from ClickHouse) has %d CDRs, want %d", len(cdrs), calls)
	}
	ids := map[string]bool{}
	for _, r := range itest.ClickHouseQuery(t, "SELECT id FROM "+c.db+".cdr FINAL") {
		ids[r] = true
	}
	for _, r := range cdrs {
		if !ids[r.ID] || r.Disposition != "answered" || r.Caller != caller {
			t.Errorf("cdr list: %s disposition %q caller %q (in ClickHouse: %v)", r.ID, r.Disposition, r.Caller, ids[r.ID])
		}
	}
}

// TestE2EKafkaOutage stops the broker in the middle of a SIPp load and
// starts it again: calls keep flowing, and afterwards every event is on
// Kafka and every CDR is in ClickHouse exactly once.
func TestE2EKafkaOutage(t *testing.T) {
	itest.RequireSIPp(t)
	c := newCluster(t)
	sw := c.startNode(t, "n1")
	const calls = 200
	res := loadThroughOutage(t, sw, calls, "kafka", 3*time.Second)
	if !res.OK() || res.Successful != calls {
		t.Fatalf("calls during the Kafka outage: %s", res)
	}
	requireAllShipped(t, c, sw)
	requireCDRs(t, c, calls)
}

// TestE2EClickHouseOutage stops ClickHouse under load: calls keep going,
// and after the restart every CDR is in place exactly once.
func TestE2EClickHouseOutage(t *testing.T) {
	itest.RequireSIPp(t)
	c := newCluster(t)
	sw := c.startNode(t, "n1")
	const calls = 200
	res := loadThroughOutage(t, sw, calls, "clickhouse", 4*time.Second)
	if !res.OK() || res.Successful != calls {
		t.Fatalf("calls during the ClickHouse outage: %s", res)
	}
	requireCDRs(t, c, calls)
	// The outage must have been felt, or this test proved nothing.
	if n := metric(t, sw, "softswitch_cdr_flush_errors_total"); n == 0 {
		t.Errorf("no CDR flush failed while ClickHouse was down")
	}
}

// loadThroughOutage makes calls at 20/s, with server (a deploy/local
// server) stopped 3 s in and started again after outage.
func loadThroughOutage(t *testing.T, sw *itest.Switch, calls int, server string, outage time.Duration) itest.SIPpResult {
	t.Helper()
	t.Cleanup(func() { itest.Server(t, "up", server) }) // never leave it down
	return load(t, sw, sw, calls, 20, 500, func() {
		time.Sleep(3 * time.Second)
		itest.Server(t, "down", server)
		time.Sleep(outage)
		itest.Server(t, "up", server)
	})
}

// TestE2ETwoNodes registers a user on node 1 and calls it from a terminal
// on node 2: node 2 learns the binding from node 1's events on Kafka.
func TestE2ETwoNodes(t *testing.T) {
	itest.RequireSIPp(t)
	c := newCluster(t)
	n1, n2 := c.startNode(t, "n1"), c.startNode(t, "n2")
	const calls = 5
	if res := load(t, n2, n1, calls, 5, 200, nil); !res.OK() || res.Successful != calls {
		t.Fatalf("calls from node 2 to a user registered on node 1: %s", res)
	}
	requireAllShipped(t, c, n1, n2)
	requireCDRs(t, c, calls)
}

// TestE2ECDRBuilderTakeover runs two nodes whose CDR builders share the
// partitions of one consumer group, kills one of them mid-load, and expects
// the survivor to take its partitions over: every CDR, exactly once.
func TestE2ECDRBuilderTakeover(t *testing.T) {
	itest.RequireSIPp(t)
	c := newCluster(t)
	n1, n2 := c.startNode(t, "n1"), c.startNode(t, "n2")
	const calls, rate = 150, 15
	var seenByN2 float64
	res := load(t, n1, n1, calls, rate, 300, func() {
		time.Sleep(4 * time.Second)
		// Only a builder that owned partitions has something to hand over.
		seenByN2 = metric(t, n2, "softswitch_cdr_events_total")
		n2.Kill()
	})
	if !res.OK() || res.Successful != calls {
		t.Fatalf("calls: %s", res)
	}
	if seenByN2 == 0 {
		t.Fatal("n2's CDR builder had consumed no events before it was killed: it owned no partition, so nothing was taken over")
	}
	requireCDRs(t, c, calls)
}

// TestE2ETrunkLimitAcrossNodes: a trunk's max_channels holds across two
// switch nodes sharing Kafka: node 2 sees node 1's call on the trunk and
// refuses a second one with 503.
func TestE2ETrunkLimitAcrossNodes(t *testing.T) {
	itest.RequireSIPp(t)
	c := newCluster(t)
	gw := itest.StartSIPp(t, "gw_answer")
	trunks := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" +
		"      - {name: cm-one, address: \"" + gw.Addr + "\", max_channels: 1}\n" +
		"routes:\n  - {prefix: \"86\", trunks: [cm-one]}\n"
	start := func(node string) *itest.Switch {
		return itest.Start(t, itest.Options{NodeID: node, ExtraYAML: c.yaml() + trunks, StartTimeout: 60 * time.Second})
	}
	n1, n2 := start("n1"), start("n2")
	held := itest.StartSIPp(t, "uac", "-m", "1", "-s", "13800138001", "-key", "caller", caller, "-au", caller, "-ap", password,
		"-d", "8000", n1.SIPAddr)
	itest.Eventually(t, 20*time.Second, "node 2 sees the channel node 1 holds on cm-one", func() bool {
		var doc struct {
			Status []struct {
				Trunk    string `json:"trunk"`
				Channels int    `json:"channels"`
			} `json:"status"`
		}
		n2.GetJSON(t, "/api/v1/interconnect", &doc)
		return len(doc.Status) == 1 && doc.Status[0].Channels == 1
	})
	if res := call(t, n2, "uac_unavailable", "13800138002"); !res.OK() {
		t.Fatalf("second call from node 2 on a full trunk: %s", res)
	}
	if r := held.Wait(30 * time.Second); !r.OK() {
		t.Fatalf("held call on node 1: %s", r)
	}
	// The CDR columns name the carrier and trunk (read by clickhouse-client).
	q := "SELECT carrier, trunk FROM " + c.db + ".cdr FINAL WHERE callee = '13800138001'"
	itest.Eventually(t, 60*time.Second, "trunk call's CDR in ClickHouse with carrier and trunk", func() bool {
		rows := itest.ClickHouseQuery(t, q)
		return len(rows) == 1 && rows[0] == "china-mobile\tcm-one"
	})
}

// TestE2ERerate: a call rated with a deck that turns out wrong is re-rated
// after a corrected deck is published: queries (FINAL) see the new price,
// and the audit history in ClickHouse keeps both versions.
func TestE2ERerate(t *testing.T) {
	itest.RequireSIPp(t)
	c := newCluster(t)
	gw := itest.StartSIPp(t, "gw_answer")
	trunks := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" +
		"      - {name: cm-a, address: \"" + gw.Addr + "\"}\n" +
		"routes:\n  - {prefix: \"86\", trunks: [cm-a]}\n"
	sw := itest.Start(t, itest.Options{NodeID: "n1", ExtraYAML: c.yaml() + trunks, StartTimeout: 60 * time.Second})
	publishDeck(t, sw, "retail", "sell", "account:*", deckHeader+"86,6.00,0,60,60,0,2020-01-01T00:00:00Z,,CNY\n")
	publishDeck(t, sw, "cm-buy", "buy", "carrier:china-mobile", deckHeader+"86,1.00,0,60,60,0,2020-01-01T00:00:00Z,,CNY\n")
	if res := call(t, sw, "uac", "13800138000"); !res.OK() {
		t.Fatalf("call: %s", res)
	}
	q := "SELECT price, rating_version FROM " + c.db + ".cdr FINAL WHERE callee = '13800138000'"
	itest.Eventually(t, 60*time.Second, "rated CDR in ClickHouse", func() bool {
		rows := itest.ClickHouseQuery(t, q)
		return len(rows) == 1 && rows[0] == "6.00\t1"
	})
	// The sell deck was wrong: 3.00/min, not 6.00.
	publishDeck(t, sw, "retail", "sell", "account:*", deckHeader+"86,3.00,0,60,60,0,2020-01-01T00:00:00Z,,CNY\n")
	from, to := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	code, body, err := sw.Do("POST", "/api/v1/rates/rerate?from="+from+"&to="+to, nil)
	if err != nil || code != 200 || !strings.Contains(string(body), `"rerated":1`) {
		t.Fatalf("rerate: %d %v %s", code, err, body)
	}
	if rows := itest.ClickHouseQuery(t, q); len(rows) != 1 || rows[0] != "3.00\t2" {
		t.Fatalf("after re-rating, cdr FINAL = %v, want price 3.00 at version 2", rows)
	}
	hist := itest.ClickHouseQuery(t, "SELECT DISTINCT rating_version, price FROM "+c.db+".cdr_rating_history ORDER BY rating_version")
	if len(hist) != 2 || hist[0] != "1\t6.00" || hist[1] != "2\t3.00" {
		t.Fatalf("rating history = %v, want both versions (1 at 6.00, 2 at 3.00)", hist)
	}
}

// TestE2EReplayFromKafka: a call's history replays from the shared events
// topic as well as from the node.
func TestE2EReplayFromKafka(t *testing.T) {
	itest.RequireSIPp(t)
	c := newCluster(t)
	sw := c.startNode(t, "n1")
	if res := load(t, sw, sw, 1, 1, 100, nil); !res.OK() {
		t.Fatalf("call: %s", res)
	}
	requireAllShipped(t, c, sw)
	cdr := sw.WaitCDRs(t, 1, 60*time.Second)[0]
	callID := cdr.CallID
	fromNode, err := exec.Command(sw.Bin, "replay", "--config", sw.ConfigPath, "--call-id", callID, "--json").Output()
	if err != nil {
		t.Fatalf("replay from the node: %v", err)
	}
	fromKafka, err := exec.Command(sw.Bin, "replay", "--config", sw.ConfigPath, "--call-id", callID, "--json", "--source", "kafka").Output()
	if err != nil {
		t.Fatalf("replay from Kafka: %v\n%s", err, fromKafka)
	}
	// The same events, by id and seq (positions differ: the node's
	// journal numbers them, Kafka does not).
	ids := func(b []byte) string {
		var out []string
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var env struct {
				ID  string `json:"id"`
				Seq uint64 `json:"seq"`
			}
			if err := json.Unmarshal([]byte(line), &env); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			out = append(out, env.ID+"#"+strconv.FormatUint(env.Seq, 10))
		}
		return strings.Join(out, ",")
	}
	if a, b := ids(fromNode), ids(fromKafka); a != b || a == "" {
		t.Fatalf("replay differs:\nnode:  %s\nkafka: %s", a, b)
	}
	// --since the CDR's start, rounded down to the second as a listing
	// shows it: the read starts at that offset-for-time and finds the same
	// events; a time after the call finds none.
	since := cdr.Start.UTC().Truncate(time.Second).Format(time.RFC3339)
	fromKafka, err = exec.Command(sw.Bin, "replay", "--config", sw.ConfigPath, "--call-id", callID, "--json", "--source", "kafka", "--since", since).Output()
	if err != nil || ids(fromKafka) != ids(fromNode) {
		t.Fatalf("replay from Kafka --since %s: %v\n%s", since, err, fromKafka)
	}
	later := cdr.End.Add(time.Hour).UTC().Format(time.RFC3339)
	if out, err := exec.Command(sw.Bin, "replay", "--config", sw.ConfigPath, "--call-id", callID, "--source", "kafka", "--since", later).CombinedOutput(); err == nil || !strings.Contains(string(out), "no events for call") {
		t.Fatalf("replay from Kafka --since an hour after the call: %v\n%s, want no events", err, out)
	}
}

// TestE2EVerifyKafkaTopic: the node's records on Kafka match its journal
// and their partition chains hold; a tampered copy written into the topic
// is caught by both checks, and a copy that steals a record's chain link
// by the chain alone.
func TestE2EVerifyKafkaTopic(t *testing.T) {
	itest.RequireSIPp(t)
	c := newCluster(t)
	sw := c.startNode(t, "n1")
	if res := load(t, sw, sw, 2, 2, 100, nil); !res.OK() {
		t.Fatalf("calls: %s", res)
	}
	requireAllShipped(t, c, sw)
	// The checkpoint is written after the broker's ack; let it catch up.
	itest.Eventually(t, 10*time.Second, "shipper checkpoint at the head", func() bool {
		return metric(t, sw, "softswitch_kafka_ship_backlog") == 0
	})
	verify := func() (string, error) {
		out, err := exec.Command(sw.Bin, "audit", "verify", "--config", sw.ConfigPath, "--kafka").CombinedOutput()
		return string(out), err
	}
	out, err := verify()
	if err != nil || !strings.Contains(out, " 0 tampered, 0 forged, 0 missing") || !strings.Contains(out, " 0 begin after retention, 0 breaks") {
		t.Fatalf("intact topic: %v\n%s", err, out)
	}
	if m := regexp.MustCompile(`chains: +(\d+) records of every node, (\d+) linked, (\d+) redelivered`).FindStringSubmatch(out); m == nil ||
		m[1] == "0" || atoi(t, m[1]) != atoi(t, m[2])+atoi(t, m[3]) {
		t.Fatalf("want every record linked or a redelivered copy:\n%s", out)
	}

	// --json is one object, the topic's findings in it.
	js, err := exec.Command(sw.Bin, "audit", "verify", "--config", sw.ConfigPath, "--kafka", "--json").Output()
	var doc struct {
		OK      bool `json:"ok"`
		KafkaOK bool `json:"kafka_ok"`
		Kafka   struct {
			Chains struct {
				Linked int `json:"linked"`
			} `json:"chains"`
		} `json:"kafka"`
	}
	if err != nil || json.Unmarshal(js, &doc) != nil || !doc.OK || !doc.KafkaOK || doc.Kafka.Chains.Linked == 0 {
		t.Fatalf("verify --kafka --json: %v\n%s", err, js)
	}

	// Tamper: a copy of a call event with another payload, same id,
	// written by hand without the shipper's headers.
	var env map[string]any
	for _, e := range sw.Events(t) {
		if strings.HasPrefix(e.Aggregate, "call:") {
			b, _ := json.Marshal(e)
			_ = json.Unmarshal(b, &env)
			break
		}
	}
	id := env["id"].(string)
	env["payload"] = map[string]any{"call_id": "forged", "caller": "6666", "callee": "7777"}
	value, _ := json.Marshal(env)
	kcatProduce(t, c, env["aggregate"].(string), value)
	out, err = verify()
	if err == nil || !strings.Contains(out, "1 tampered") || !strings.Contains(out, id) ||
		!regexp.MustCompile(`break: +\d+@\d+ `+id+`: no chain header`).MatchString(out) {
		t.Fatalf("a tampered copy: %v\n%s, want it reported by the journal check and the chain", err, out)
	}

	// Tamper again, now with the original record's headers, its chain link
	// included: only the chain says this copy's value is not the one the
	// link was made over, without needing the journal.
	part, link := recordHeader(t, c, id, "chain")
	kcatProduce(t, c, env["aggregate"].(string), value, "-p", part,
		"-H", "id="+id, "-H", "node="+env["node"].(string), "-H", "chain="+link)
	out, err = verify()
	if err == nil || !regexp.MustCompile(`break: +\d+@\d+ `+id+`: the value differs from the record that made this link`).MatchString(out) {
		t.Fatalf("a copy with a stolen link: %v\n%s, want a chain break", err, out)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// kcatProduce writes one record to the events topic with kcat, an
// independent client, with extra kcat arguments (headers, partition).
func kcatProduce(t *testing.T, c cluster, key string, value []byte, extra ...string) {
	t.Helper()
	args := append([]string{"-P", "-b", c.brokers, "-t", c.eventsTopic(), "-k", key}, extra...)
	prod := exec.Command("kcat", args...)
	prod.Stdin = strings.NewReader(string(value) + "\n")
	if out, err := prod.CombinedOutput(); err != nil {
		t.Fatalf("kcat produce: %v\n%s", err, out)
	}
}

// recordHeader reads, with kcat, the partition and header name of the
// first record whose id header is id.
func recordHeader(t *testing.T, c cluster, id, name string) (partition, value string) {
	t.Helper()
	out, err := exec.Command("kcat", "-C", "-b", c.brokers, "-t", c.eventsTopic(), "-o", "beginning", "-e", "-q", "-f", "%p %h\n").Output()
	if err != nil {
		t.Fatalf("kcat consume: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		part, hdrs, _ := strings.Cut(line, " ")
		hs := strings.Split(hdrs, ",")
		if !slices.Contains(hs, "id="+id) {
			continue
		}
		for _, h := range hs {
			if v, ok := strings.CutPrefix(h, name+"="); ok {
				return part, v
			}
		}
	}
	t.Fatalf("no record with id %s and a %s header", id, name)
	return "", ""
}
