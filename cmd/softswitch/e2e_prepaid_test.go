//go:build e2e

// End-to-end tests of prepaid reservations (issue 11): parallel calls
// share one balance without ever spending more than it, on one node and on
// two nodes sharing the account through Kafka; max_concurrent_calls.
package main

import (
	"encoding/json"
	"testing"
	"time"

	"softswitch/billing/rating"
	"softswitch/domain"
	"softswitch/internal/itest"
)

// prepaidYAML: 6000 prepaid with 1.00 CNY, 2 s reservation slices.
const prepaidYAML = "accounts:\n  - {user: \"6000\", prepaid: true, balance: \"1.00\", currency: CNY, reservation_slice: 2s}\n"

// sellAt01 is 0.10 CNY a second (6.00/min, 1/1 increments).
const sellAt01 = deckHeader + "86,6.00,0,1,1,0,2020-01-01T00:00:00Z,,CNY\n"

// holdCalls starts n parallel 8 s calls from 6000, each to sw[i % len(sw)].
func holdCalls(t *testing.T, n int, sws ...*itest.Switch) []*itest.SIPp {
	t.Helper()
	var out []*itest.SIPp
	for i := range n {
		sw := sws[i%len(sws)]
		out = append(out, itest.StartSIPp(t, "uac_hold", "-m", "1", "-s", "1380013800"+itoa(i), "-key", "caller", caller,
			"-au", caller, "-ap", password, sw.SIPAddr))
	}
	return out
}

// charged sums the account.charged events of the switches' journals.
func charged(t *testing.T, sws ...*itest.Switch) (rating.Money, int) {
	t.Helper()
	var sum rating.Money
	n := 0
	for _, sw := range sws {
		for _, env := range sw.Events(t) {
			if env.Type != domain.TypeAccountCharged {
				continue
			}
			var e domain.AccountCharged
			if err := json.Unmarshal(env.Payload, &e); err != nil {
				t.Fatal(err)
			}
			sum += rating.MustMoney(e.Amount)
			n++
		}
	}
	return sum, n
}

// checkPrepaidCalls asserts what the issue asks of parallel prepaid calls:
// every call answered was either cut for credit or ran its 8 s, the
// charges add up to the CDRs' prices and never pass the 1.00 balance.
func checkPrepaidCalls(t *testing.T, cdrs []itest.CDR, sws ...*itest.Switch) {
	t.Helper()
	var prices rating.Money
	for _, c := range cdrs {
		price := rating.MustMoney(rawString(c, "price"))
		prices += price
		switch {
		case c.Disposition == domain.DispositionAnswered && c.Reason == "Credit Exhausted":
		case c.Disposition == domain.DispositionAnswered && c.EndedBy == domain.ByCaller && c.BillableS >= 8:
		case c.Disposition == domain.DispositionFailed && c.SIPCode == 402:
		default:
			t.Errorf("call %s: %s %d %q billable %d: neither cut for credit, refused 402, nor its full 8 s", c.CallID, c.Disposition, c.SIPCode, c.Reason, c.BillableS)
		}
	}
	sum, n := charged(t, sws...)
	if sum != prices {
		t.Errorf("charged %s in %d events, the CDRs price %s", sum, n, prices)
	}
	if sum > rating.MustMoney("1.00") {
		t.Errorf("charged %s, more than the 1.00 balance (credit_limit 0)", sum)
	}
	if sum < rating.MustMoney("0.80") {
		t.Errorf("charged only %s of the 1.00: the reservations left credit unused", sum)
	}
	for _, sw := range sws {
		var acc map[string]any
		itest.Eventually(t, 10*time.Second, "the account settled on "+sw.HTTPAddr, func() bool {
			sw.GetJSON(t, "/api/v1/accounts/"+caller, &acc)
			bal := rating.MustMoney(acc["balance"].(string))
			return bal == rating.MustMoney("1.00")-sum && acc["calls_holding"].(float64) == 0
		})
	}
}

// TestE2EPrepaidParallel: balance 1.00 at 0.10/s, three parallel 8 s calls
// (24 s, 2.40 of talk): each reserves 2 s slices as it goes; once the
// balance is reserved, renewals are refused and the calls are cut at the
// last paid second. The next call is refused with 402.
func TestE2EPrepaidParallel(t *testing.T) {
	itest.RequireSIPp(t)
	gw := startGateway(t, "gw_answer")
	sw := trunkSwitch(t, gw, itest.Options{ExtraYAML: prepaidYAML})
	publishDeck(t, sw, "retail", "sell", "account:"+caller, sellAt01)
	for i, u := range holdCalls(t, 3, sw) {
		if res := u.Wait(20 * time.Second); !res.OK() {
			t.Fatalf("call %d: %s", i, res)
		}
	}
	checkPrepaidCalls(t, sw.WaitCDRs(t, 3, 10*time.Second), sw)
	if res := callNumber(t, sw, "uac_payment", "13800138009"); !res.OK() {
		t.Fatalf("a call with the balance spent: %s", res)
	}
}

// TestE2EPrepaidTwoNodes: the same, with the calls on two nodes sharing
// the account through Kafka: the reservations are decided in the shared
// log's order, so the two nodes together never spend more than it holds.
func TestE2EPrepaidTwoNodes(t *testing.T) {
	itest.RequireSIPp(t)
	c := newCluster(t)
	gw := startGateway(t, "gw_answer")
	start := func(node string) *itest.Switch {
		return trunkSwitch(t, gw, itest.Options{NodeID: node, ExtraYAML: c.yaml() + prepaidYAML, StartTimeout: 60 * time.Second})
	}
	n1, n2 := start("n1"), start("n2")
	publishDeck(t, n1, "retail", "sell", "account:"+caller, sellAt01)
	itest.Eventually(t, 30*time.Second, "node 2 rates with node 1's deck", func() bool {
		return metric(t, n2, "softswitch_rate_decks") == 1
	})
	for _, sw := range []*itest.Switch{n1, n2} {
		var acc map[string]any
		itest.Eventually(t, 30*time.Second, "the opening balance, credited once", func() bool {
			sw.GetJSON(t, "/api/v1/accounts/"+caller, &acc)
			return acc["balance"] == "1.00"
		})
	}
	for i, u := range holdCalls(t, 3, n1, n2) {
		if res := u.Wait(20 * time.Second); !res.OK() {
			t.Fatalf("call %d: %s", i, res)
		}
	}
	var cdrs []itest.CDR
	for _, sw := range []*itest.Switch{n1, n2} {
		for _, cd := range sw.WaitCDRs(t, 3, 30*time.Second) {
			if cd.CallID[:2] == sw.Opts.NodeID {
				cdrs = append(cdrs, cd)
			}
		}
	}
	if len(cdrs) != 3 {
		t.Fatalf("%d CDRs of the nodes' own calls, want 3", len(cdrs))
	}
	checkPrepaidCalls(t, cdrs, n1, n2)
}

// TestE2EMaxConcurrentCalls: an account limited to 2 calls at once gets
// 486 for the third; once one ends, calls go through again.
func TestE2EMaxConcurrentCalls(t *testing.T) {
	itest.RequireSIPp(t)
	gw := startGateway(t, "gw_answer")
	sw := trunkSwitch(t, gw, itest.Options{ExtraYAML: "accounts:\n  - {user: \"6000\", max_concurrent_calls: 2}\n"})
	held := holdCalls(t, 2, sw)
	itest.Eventually(t, 5*time.Second, "two calls up", func() bool { return len(sw.ActiveCalls(t)) == 2 })
	if res := callNumber(t, sw, "uac_busy", "13800138009"); !res.OK() {
		t.Fatalf("third call: %s", res)
	}
	for i, u := range held {
		if res := u.Wait(20 * time.Second); !res.OK() {
			t.Fatalf("held call %d: %s", i, res)
		}
	}
	if res := callNumber(t, sw, "uac", "13800138009", "-d", "100"); !res.OK() {
		t.Fatalf("a call after the others ended: %s", res)
	}
	for _, c := range sw.WaitCDRs(t, 4, 10*time.Second) {
		if c.SIPCode == 486 && c.Reason != "Account Call Limit" {
			t.Errorf("refused call reason %q, want Account Call Limit", c.Reason)
		}
	}
	if n := len(gw.invites(t)); n != 3 {
		t.Errorf("the gateway got %d INVITEs, want 3 (not the refused one)", n)
	}
}
