//go:build e2e

package main

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"softswitch/internal/itest"
)

// docQuery returns a named query of docs/billing-queries.md, as a billing
// user would paste it.
func docQuery(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../docs/billing-queries.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```sql\n-- name: " + name + "\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatalf("no query %s in docs/billing-queries.md", name)
	}
	return string(m[1])
}

// TestE2ECampaignStatistics: a campaign through two carriers, with a lead
// on the DNC list, lands in ClickHouse's campaign_attempts; the documented
// queries, joined with the CDRs, give each carrier's attempts, answers,
// ASR, ACD, abandon and connect rates as the campaign's counters say.
func TestE2ECampaignStatistics(t *testing.T) {
	itest.RequireSIPp(t)
	c := newCluster(t)
	answer := startGateway(t, "gw_answer")
	busy, refuse := startGateway(t, "gw_code", "-key", "code", "486"), startGateway(t, "gw_code", "-key", "code", "480")
	subs := append(slices.Clone(itest.DefaultSubscribers), itest.DialerSubscriber)
	cfg := "clickhouse:\n  dsn: " + strconv.Quote(c.dsn) + "\n  flush_interval: 200ms\n" +
		"carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" + trunkYAML("cm-answer", answer, "") +
		"  - name: china-unicom\n    kind: mno\n    trunks:\n" + trunkYAML("cu-busy", busy, "") + trunkYAML("cu-refuse", refuse, "") +
		"routes:\n  - {prefix: \"86138\", trunks: [cm-answer]}\n  - {prefix: \"86139\", trunks: [cu-busy]}\n" +
		"  - {prefix: \"86137\", trunks: [cu-refuse]}\n  - {prefix: \"86136\", trunks: [cm-answer]}\n" +
		"dialer:\n  enabled: true\n  account: dialer\n"
	sw := itest.Start(t, itest.Options{Subscribers: subs, ExtraYAML: cfg})
	agents := []string{"6001", "6002"}
	for _, a := range agents {
		p := itest.StartSIPp(t, "uas_sdp_bye", "-m", "100", "-s", a, "-d", "1000")
		mustRegister(t, sw, a, p.Addr, 300)
	}
	spec := strings.Replace(campaignJSON("stats", agents, ""), `"caller_ids":["02112345678"]`, `"caller_ids":["02112345678","02112345679"]`, 1)
	postJSON(t, sw, "/api/v1/campaigns", spec, 201)
	postCSV(t, sw, "/api/v1/dnc", "number\n13600000009\n", 200)
	// Four numbers china-mobile answers, two china-unicom finds busy, two
	// it does not answer, one on the DNC list.
	leads := "number\n13800000000\n13800000001\n13800000002\n13800000003\n13900000000\n13900000001\n" +
		"13700000001\n13700000002\n13600000009\n"
	postCSV(t, sw, "/api/v1/campaigns/stats/leads", leads, 200)
	postJSON(t, sw, "/api/v1/campaigns/stats/start", "", 200)
	itest.Eventually(t, 60*time.Second, "all 9 leads done", func() bool {
		return getCampaign(t, sw, "stats").Counters["done"] == 9
	})
	counters := getCampaign(t, sw, "stats").Counters
	if counters["connected"] != 4 || counters["busy"] != 2 || counters["no_answer"] != 2 || counters["skipped_dnc"] != 1 {
		t.Fatalf("counters %v", counters)
	}
	// 9 rows (8 placed, 1 skipped), and the 12 CDRs they join (8 number
	// legs, 4 agent legs).
	itest.Eventually(t, 30*time.Second, "attempts and CDRs in ClickHouse", func() bool {
		a := itest.ClickHouseQuery(t, "SELECT count() FROM "+c.db+".campaign_attempts FINAL")
		d := itest.ClickHouseQuery(t, "SELECT count() FROM "+c.db+".cdr FINAL WHERE caller = 'dialer'")
		return len(a) == 1 && a[0] == "9" && len(d) == 1 && d[0] == "12"
	})
	if empty := itest.ClickHouseQuery(t, "SELECT count() FROM "+c.db+".campaign_attempts FINAL WHERE placed = 1 AND (callee_call_id = '' OR caller_id = '' OR number = '')"); empty[0] != "0" {
		t.Fatalf("%s placed attempts without their Call-ID, caller ID or number", empty[0])
	}

	// The carriers saw the pool's numbers as the caller, asserted by the
	// switch from the dialer's P-Preferred-Identity (RFC 3325), never the
	// dialer's account.
	seen := 0
	for _, g := range []gateway{answer, busy, refuse} {
		for _, inv := range g.invites(t) {
			seen++
			if inv["from"] != "862112345678" && inv["from"] != "862112345679" {
				t.Errorf("a carrier saw caller %q, not one of the pool's numbers: %v", inv["from"], inv)
			}
		}
	}
	if seen != 8 {
		t.Errorf("the gateways logged %d INVITEs, want 8", seen)
	}

	outcomes := map[string]int{}
	callerIDs := map[string]bool{}
	for _, line := range itest.ClickHouseQueryIn(t, c.db, docQuery(t, "campaign_outcomes_hourly")) {
		f := strings.Split(line, "\t") // campaign, hour, caller_id, outcome, attempts
		n, _ := strconv.Atoi(f[4])
		outcomes[f[3]] += n
		if f[3] != "skipped" {
			callerIDs[f[2]] = true
		}
	}
	if want := map[string]int{"connected": 4, "busy": 2, "no_answer": 2, "skipped": 1}; fmt.Sprint(outcomes) != fmt.Sprint(want) {
		t.Errorf("outcomes %v, want %v", outcomes, want)
	}
	if len(callerIDs) != 2 {
		t.Errorf("caller IDs %v: the pool's two numbers rotate", callerIDs)
	}

	type carrierRates struct{ placed, answered, connected, abandoned int }
	got := map[string]carrierRates{}
	rates := itest.ClickHouseQueryIn(t, c.db, docQuery(t, "campaign_rates"))
	t.Logf("campaign_rates:\n%s", strings.Join(rates, "\n"))
	for _, line := range rates {
		// campaign, hour, carrier, caller_id, placed, answered, connected,
		// abandoned, asr, acd_s, abandon_rate, connect_rate
		f := strings.Split(line, "\t")
		n := func(i int) int { v, _ := strconv.Atoi(f[i]); return v }
		r := got[f[2]]
		r.placed, r.answered, r.connected, r.abandoned = r.placed+n(4), r.answered+n(5), r.connected+n(6), r.abandoned+n(7)
		got[f[2]] = r
		acd, _ := strconv.ParseFloat(f[9], 64)
		switch f[2] {
		case "china-mobile":
			if acd < 1 || f[8] != "1" || f[11] != "1" || f[10] != "0" {
				t.Errorf("china-mobile: ASR %s, ACD %s s, abandon %s, connect %s; want 1, ≥ 1, 0, 1", f[8], f[9], f[10], f[11])
			}
		case "china-unicom":
			if f[8] != "0" || acd != 0 || f[11] != "0" {
				t.Errorf("china-unicom: ASR %s, ACD %s, connect %s; want 0", f[8], f[9], f[11])
			}
		default:
			t.Errorf("an attempt without its carrier: %q", line)
		}
	}
	want := map[string]carrierRates{"china-mobile": {4, 4, 4, 0}, "china-unicom": {4, 0, 0, 0}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("per carrier %+v, want %+v", got, want)
	}
	waitNoActiveCalls(t, sw)
}
