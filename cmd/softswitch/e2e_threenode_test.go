//go:build e2e

// The three-node test of issue 16: three switch nodes, each in a network
// namespace of its own on its own address, joined by a bridge, sharing
// the Kafka topics and the ClickHouse database of deploy/local/up.sh.
// docs/kafka.md ("Three nodes on one machine") describes the topology.
package main

import (
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/internal/itest"
)

// TestE2EThreeNodes: a subscriber registered on node 1 is called from a
// phone on node 3 (node 3 learns the binding from Kafka and sends the
// INVITE across the bridge itself); node 2, holding calls of its own, is
// killed with SIGKILL while every call is up and started again; its
// recovery hangs its calls up, and every call of the cluster has exactly
// one CDR in ClickHouse, no more CDRs than the journals have calls.
//
// It needs root and iproute2 and fails without them (CI runs as root).
func TestE2EThreeNodes(t *testing.T) {
	itest.RequireNetns(t)
	itest.RequireSIPp(t)
	c := newCluster(t)
	br := itest.NewBridge(t)
	hosts := []itest.Host{br.AddHost(t), br.AddHost(t), br.AddHost(t)}
	for _, h := range hosts {
		for _, addr := range serverAddrs(t, c) {
			itest.Forward(t, h.Netns, addr, addr)
		}
	}
	nodes := make([]*itest.Switch, len(hosts))
	for i, h := range hosts {
		nodes[i] = itest.Start(t, itest.Options{
			NodeID: "n" + itoa(i+1), Netns: h.Netns, Host: h.IP,
			ExtraYAML: c.yaml(), StartTimeout: 60 * time.Second,
		})
	}
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	at := func(h itest.Host) itest.SIPpPlace { return itest.SIPpPlace{Netns: h.Netns, IP: h.IP} }
	register := func(sw *itest.Switch, h itest.Host, user, contact string) {
		t.Helper()
		res := itest.RunSIPpAt(t, sippCtx(t, sippTimeout), at(h), "register", "-m", "1", "-au", user, "-ap", password,
			"-key", "user", user, "-key", "contact", contact, "-key", "expires", "300", sw.SIPAddr)
		if !res.OK() {
			t.Fatalf("REGISTER %s at %s: %s", user, sw.SIPAddr, res)
		}
	}

	// Node 2's calls: 6002 -> 6003, both phones in ns2, held until the
	// switch hangs up (uac_wait_bye, and uas ends on the BYE).
	//
	// -rsa: the switch sends its requests from a port of its own, not
	// from sip.listen, which its Via names. A UA answers at the Via's
	// sent-by (RFC 3261 §18.2.2); SIPp answers wherever the call's first
	// request came from, which for node 2's calls is a port that died
	// with the first process, so the BYEs recovery sends would time out
	// (408 after 4 s each) although SIPp answered them.
	const n2Calls = 3
	uas2 := itest.StartSIPpAt(t, at(hosts[1]), "uas", "-m", itoa(n2Calls), "-s", "6003", "-rsa", n2.SIPAddr)
	register(n2, hosts[1], "6003", uas2.Addr)
	uac2 := itest.StartSIPpAt(t, at(hosts[1]), "uac_wait_bye", "-m", itoa(n2Calls), "-r", itoa(n2Calls), "-s", "6003",
		"-key", "caller", "6002", "-au", "6002", "-ap", password, n2.SIPAddr)
	answered := func(sw *itest.Switch) int {
		n := 0
		for _, call := range sw.ActiveCalls(t) {
			if s, _ := call["answered"].(string); s != "" {
				n++
			}
		}
		return n
	}
	itest.Eventually(t, 15*time.Second, itoa(n2Calls)+" calls answered on node 2", func() bool { return answered(n2) == n2Calls })

	// The call across the cluster: 6001 registers on node 1 from ns1,
	// 6000 calls it through node 3 from ns3.
	uas1 := itest.StartSIPpAt(t, at(hosts[0]), "uas", "-m", "1", "-s", callee)
	register(n1, hosts[0], callee, uas1.Addr)
	waitRegistered(t, n3, callee)
	uac3 := itest.StartSIPpAt(t, at(hosts[2]), "uac", "-m", "1", "-s", callee, "-key", "caller", caller,
		"-au", caller, "-ap", password, "-d", "6000", n3.SIPAddr)
	itest.Eventually(t, 10*time.Second, "the call from node 3 answered", func() bool { return answered(n3) == 1 })

	// Every call is up: node 2 dies mid-call. Its heartbeats (1 s) bill
	// a moment of each call before the crash.
	time.Sleep(1500 * time.Millisecond)
	killed := time.Now()
	n2.Kill()
	time.Sleep(time.Second) // an outage, not billed
	n2.Restart(false)

	// The survivors' call went on through node 2's death.
	if res := uac3.Wait(30 * time.Second); !res.OK() {
		t.Fatalf("the call from node 3 to the subscriber on node 1: %s", res)
	}
	res := uas1.Wait(10 * time.Second)
	if !res.OK() {
		t.Fatalf("the subscriber on node 1 (UAS in ns1): %s", res)
	}
	// Node 3 sent the INVITE across the bridge itself, from its own
	// address: the binding came from Kafka, the call never touched node 1.
	if m := res.Messages(); !strings.Contains(m, "Via: SIP/2.0/UDP "+n3.SIPAddr) || strings.Contains(m, n1.SIPAddr) {
		t.Errorf("the INVITE the subscriber on node 1 got is not from node 3 (%s) alone:\n%s", n3.SIPAddr, res)
	}
	// Node 2's recovery sent a BYE to both legs of each of its calls.
	if res := uac2.Wait(30 * time.Second); !res.OK() || res.Successful != n2Calls {
		t.Fatalf("node 2's callers got no BYE after its restart: %s", res)
	}
	if res := uas2.Wait(10 * time.Second); !res.OK() || res.Successful != n2Calls {
		t.Fatalf("node 2's callees got no BYE after its restart: %s", res)
	}
	// The BYEs' answers are recorded before each call is closed.
	itest.Eventually(t, 15*time.Second, "node 2 closed its "+itoa(n2Calls)+" orphaned calls", func() bool {
		return metric(t, n2, "softswitch_orphan_calls_closed_total") == n2Calls
	})

	// What the journals say: node 3 handled the cross-node call (node 1
	// only holds the registration), node 2 its own three.
	if ids := endedCalls(t, n1, "n1"); len(ids) != 0 {
		t.Errorf("node 1's journal has calls %v; the call from node 3 must go to the phone directly", ids)
	}
	ids2, ids3 := endedCalls(t, n2, "n2"), endedCalls(t, n3, "n3")
	if len(ids2) != n2Calls || len(ids3) != 1 {
		t.Fatalf("journals: node 2 ended %v, node 3 %v; want %d and 1", ids2, ids3, n2Calls)
	}
	want := append(slices.Clone(ids2), ids3...)
	slices.Sort(want)

	// ClickHouse, read by clickhouse-client: one row per call after
	// FINAL, and no id (raw, before merges) for any call the journals
	// do not have. Raw rows above one per id are replays the table
	// collapses (a rebuilt CDR lands on the same id); they are logged.
	final := "SELECT call_id, count() FROM " + c.db + ".cdr FINAL GROUP BY call_id ORDER BY call_id"
	var rows []string
	itest.Eventually(t, 60*time.Second, itoa(len(want))+" CDRs in ClickHouse", func() bool {
		rows = itest.ClickHouseQuery(t, final)
		return len(rows) >= len(want)
	})
	var got []string
	for _, r := range rows {
		id, n, _ := strings.Cut(r, "\t")
		got = append(got, id)
		if n != "1" {
			t.Errorf("call %s has %s CDRs after FINAL, want 1", id, n)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("CDRs in ClickHouse for calls %v, want the journals' %v", got, want)
	}
	raw := itest.ClickHouseQuery(t, "SELECT call_id, count(), uniqExact(id) FROM "+c.db+".cdr GROUP BY call_id ORDER BY call_id")
	for _, r := range raw {
		f := strings.Split(r, "\t")
		if len(f) != 3 || f[2] != "1" {
			t.Errorf("raw CDR rows %q: want one id per call (call_id, rows, ids)", r)
		}
	}
	t.Logf("ClickHouse, raw rows per call (call_id, rows, ids): %v", raw)

	// The CDRs say what happened: node 2's ended by its restart, the
	// cross-node call answered and hung up by its caller.
	byCall := map[string]itest.CDR{}
	for _, r := range n1.CDRList(t) {
		byCall[r.CallID] = r
	}
	if len(byCall) != len(want) {
		t.Errorf("cdr list on node 1 has %d CDRs, want %d", len(byCall), len(want))
	}
	for _, id := range ids2 {
		if r := byCall[id]; r.Reason != "Node Restarted" || r.SIPCode != 500 || r.Disposition != domain.DispositionAnswered {
			t.Errorf("node 2's call %s: CDR %d %q %s, want 500 Node Restarted, answered", id, r.SIPCode, r.Reason, r.Disposition)
		}
		// Billed to node 2's last heartbeat (1 s apart), not to the restart.
		if r := byCall[id]; r.End.After(killed) || r.End.Before(killed.Add(-1500*time.Millisecond)) {
			t.Errorf("node 2's call %s: CDR ends %v, want within 1.5 s before the kill at %v", id, r.End, killed)
		}
	}
	if r := byCall[ids3[0]]; r.Caller != caller || r.Callee != callee || r.Disposition != domain.DispositionAnswered || r.SIPCode != 200 {
		t.Errorf("the cross-node call %s: CDR %s -> %s %s %d, want %s -> %s answered 200", ids3[0], r.Caller, r.Callee, r.Disposition, r.SIPCode, caller, callee)
	}
}

// serverAddrs are the Kafka brokers and the ClickHouse server of c: each
// is forwarded into every namespace at the same address, so they must be
// loopback addresses, which is where deploy/local/up.sh puts them.
func serverAddrs(t *testing.T, c cluster) []string {
	t.Helper()
	u, err := url.Parse(c.dsn)
	if err != nil {
		t.Fatalf("ClickHouse DSN: %v", err)
	}
	addrs := append(strings.Split(c.brokers, ","), u.Host)
	for _, a := range addrs {
		host, _, err := net.SplitHostPort(a)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			t.Fatalf("server %q: the three-node test forwards loopback servers into its namespaces; want host:port on 127.0.0.0/8", a)
		}
	}
	return addrs
}

// endedCalls are the ids of the calls node ended, from its journal.
func endedCalls(t *testing.T, sw *itest.Switch, node string) []string {
	t.Helper()
	var ids []string
	for _, env := range sw.Events(t) {
		if env.Type == domain.TypeCallEnded && env.Node == node {
			ids = append(ids, strings.TrimPrefix(env.Aggregate, "call:"))
		}
	}
	slices.Sort(ids)
	return ids
}
