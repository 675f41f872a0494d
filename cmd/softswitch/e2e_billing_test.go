//go:build e2e

// End-to-end tests of rating and spend control (issue 5).
package main

import (
	"bytes"

	"net/http"
	"strings"
	"testing"
	"time"

	"softswitch/billing/rating"
	"softswitch/internal/itest"
)

// publishDeck posts a rate deck CSV to the switch's admin API.
func publishDeck(t *testing.T, sw *itest.Switch, deck, side, owner, csv string) {
	t.Helper()
	url := sw.URL("/api/v1/rates/decks?deck=" + deck + "&side=" + side + "&owner=" + owner)
	res, err := http.Post(url, "text/csv", bytes.NewBufferString(csv))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		var b bytes.Buffer
		_, _ = b.ReadFrom(res.Body)
		t.Fatalf("publish deck %s: %s %s", deck, res.Status, b.String())
	}
}

const deckHeader = "prefix,rate_per_min,connect_fee,increment_first_s,increment_next_s,min_duration_s,effective_from,effective_to,currency\n"

// TestE2EPrepaidCutAtTheRightSecond: a prepaid account with 0.50 CNY at
// 6.00 CNY/min (1/1 increments) buys five seconds: the call is cut then,
// the CDR bills exactly 5 s and 0.50, and the next call gets 402.
func TestE2EPrepaidCutAtTheRightSecond(t *testing.T) {
	itest.RequireSIPp(t)
	gw := startGateway(t, "gw_answer")
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" + trunkYAML("cm-a", gw, "") +
		"routes:\n  - {prefix: \"86\", trunks: [cm-a]}\n" +
		"accounts:\n  - {user: \"" + caller + "\", prepaid: true, balance: \"0.50\", currency: CNY}\n"
	sw := itest.Start(t, itest.Options{ExtraYAML: cfg})
	publishDeck(t, sw, "retail", "sell", "account:"+caller, deckHeader+"86,6.00,0,1,1,0,2020-01-01T00:00:00Z,,CNY\n")
	publishDeck(t, sw, "cm-buy", "buy", "carrier:china-mobile", deckHeader+"86,3.00,0,60,60,0,2020-01-01T00:00:00Z,,CNY\n")

	start := time.Now()
	res := callNumber(t, sw, "uac_wait_bye", "13800138000")
	if !res.OK() {
		t.Fatalf("prepaid call: %s", res)
	}
	if took := time.Since(start); took < 5*time.Second || took > 9*time.Second {
		t.Errorf("the call lasted %s, want it cut after the 5 s the balance buys", took)
	}
	c := lastCDR(t, sw, "13800138000")
	price, err := rating.ParseMoney(rawString(c, "price"))
	if err != nil {
		t.Fatalf("price %q: %v (%v)", rawString(c, "price"), err, c.Raw)
	}
	if c.BillableS != 5 || price != rating.MustMoney("0.50") || c.Reason != "Credit Exhausted" || rawString(c, "rating_status") != "rated" {
		t.Errorf("CDR billable_s %d price %s reason %q status %q; want 5, 0.50, Credit Exhausted, rated",
			c.BillableS, price, c.Reason, rawString(c, "rating_status"))
	}
	if cost, _ := rating.ParseMoney(rawString(c, "cost")); cost != rating.MustMoney("3") {
		t.Errorf("buy side cost %s, want 3 (one 60 s increment at 3.00/min)", rawString(c, "cost"))
	}
	var acc map[string]any
	itest.Eventually(t, 5*time.Second, "balance spent", func() bool {
		sw.GetJSON(t, "/api/v1/accounts/"+caller, &acc)
		b, _ := rating.ParseMoney(acc["balance"].(string))
		return b == 0
	})
	if res := callNumber(t, sw, "uac_payment", "13800138000"); !res.OK() {
		t.Fatalf("call with no credit left: %s", res)
	}
	if n := len(gw.invites(t)); n != 1 {
		t.Errorf("gateway got %d INVITEs, want only the paid call's", n)
	}
}

// TestE2EUnratedAndSpendCap: an account under spend control cannot call a
// destination without a rate (403), and its daily cap stops calls.
func TestE2EUnratedAndSpendCap(t *testing.T) {
	itest.RequireSIPp(t)
	gw := startGateway(t, "gw_answer")
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" + trunkYAML("cm-a", gw, "") +
		"routes:\n  - {prefix: \"86\", trunks: [cm-a]}\n" +
		"accounts:\n  - {user: \"" + caller + "\", daily_cap: \"0.20\", currency: CNY}\n"
	sw := itest.Start(t, itest.Options{ExtraYAML: cfg})
	publishDeck(t, sw, "retail", "sell", "account:"+caller, deckHeader+"86138,6.00,0,1,1,0,2020-01-01T00:00:00Z,,CNY\n")
	t.Run("unrated destination", func(t *testing.T) {
		if res := callNumber(t, sw, "uac_barred", "13900139000"); !res.OK() {
			t.Fatalf("call to a number without a rate: %s", res)
		}
	})
	t.Run("daily cap", func(t *testing.T) {
		// 0.20 at 0.10/s: the first call is cut after 2 s, the cap is then
		// spent and the next call is refused.
		if res := callNumber(t, sw, "uac_wait_bye", "13800138000"); !res.OK() {
			t.Fatalf("capped call: %s", res)
		}
		var acc map[string]any
		itest.Eventually(t, 5*time.Second, "spend recorded", func() bool {
			sw.GetJSON(t, "/api/v1/accounts/"+caller, &acc)
			s, _ := rating.ParseMoney(acc["spent_today"].(string))
			return s == rating.MustMoney("0.20")
		})
		res := callNumber(t, sw, "uac_barred", "13800138000")
		if !res.OK() || !strings.Contains(res.Messages(), "Spend Cap") {
			t.Fatalf("call over the daily cap: %s", res)
		}
	})
}
