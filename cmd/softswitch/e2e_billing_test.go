//go:build e2e

// End-to-end tests of rating and spend control (issue 5).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"softswitch/billing/rating"
	"softswitch/internal/itest"
)

// publishDeck posts a rate deck CSV to the switch's admin API.
func publishDeck(t *testing.T, sw *itest.Switch, deck, side, owner, csv string) {
	t.Helper()
	code, body, err := sw.DoRaw(http.MethodPost, "/api/v1/rates/decks?deck="+deck+"&side="+side+"&owner="+owner, "text/csv", strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	if code != http.StatusOK {
		t.Fatalf("publish deck %s: %d %s", deck, code, body)
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
	// Published with the command operators use, against the running switch.
	deckFile := filepath.Join(t.TempDir(), "retail.csv")
	if err := os.WriteFile(deckFile, []byte(deckHeader+"86138,6.00,0,1,1,0,2020-01-01T00:00:00Z,,CNY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sw.Bin, "rates", "import", "--config", sw.ConfigPath, "--deck", "retail", "--side", "sell",
		"--owner", "account:"+caller, deckFile).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "retail") {
		t.Fatalf("rates import: %v\n%s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte(deckHeader+"86138,six,0,1,1,0,2020-01-01T00:00:00Z,,CNY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(sw.Bin, "rates", "import", "--config", sw.ConfigPath, "--deck", "retail", "--side", "sell",
		"--owner", "account:"+caller, bad).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "rate_per_min") {
		t.Fatalf("rates import of a bad CSV: %v, want an error naming the column\n%s", err, out)
	}
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

// TestE2ESettleAndReconcile: calls through a SIPp gateway give rated CDRs
// in ClickHouse; `softswitch settle --json` totals them as computed by
// hand; `softswitch reconcile` against a carrier file with planted
// mismatches finds exactly those.
func TestE2ESettleAndReconcile(t *testing.T) {
	itest.RequireSIPp(t)
	c := newCluster(t)
	gw := startGateway(t, "gw_answer")
	cfg := "clickhouse:\n  dsn: " + strconv.Quote(c.dsn) + "\n" +
		"carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" + trunkYAML("cm-a", gw, "") +
		"routes:\n  - {prefix: \"86\", trunks: [cm-a]}\n"
	sw := itest.Start(t, itest.Options{ExtraYAML: cfg})
	// Buy side: 1.20 CNY/min in 60 s blocks, so each short call costs 1.20.
	publishDeck(t, sw, "cm-buy", "buy", "carrier:china-mobile", deckHeader+"86138,1.20,0,60,60,0,2020-01-01T00:00:00Z,,CNY\n")
	publishDeck(t, sw, "retail", "sell", "account:*", deckHeader+"86,2.00,0,6,6,0,2020-01-01T00:00:00Z,,CNY\n")
	from := time.Now().Add(-time.Minute).UTC()
	numbers := []string{"13800138001", "13800138002", "13800138003"}
	for i, n := range numbers {
		if res := callNumber(t, sw, "uac", n, "-d", itoa(1000*(i+1))); !res.OK() {
			t.Fatalf("call %s: %s", n, res)
		}
	}
	to := time.Now().Add(time.Minute).UTC()
	itest.Eventually(t, 60*time.Second, "3 rated CDRs in ClickHouse", func() bool {
		rows := itest.ClickHouseQuery(t, "SELECT count() FROM "+c.db+".cdr FINAL WHERE rating_status = 'rated'")
		return len(rows) == 1 && rows[0] == "3"
	})

	t.Run("statement", func(t *testing.T) {
		out := runCLI(t, sw, "settle", "--carrier", "china-mobile", "--from", from.Format(time.RFC3339), "--to", to.Format(time.RFC3339), "--json")
		var st struct {
			Calls     int64  `json:"calls"`
			BillableS int64  `json:"billable_s"`
			Amount    string `json:"amount"`
			Currency  string `json:"currency"`
			Lines     []struct {
				Prefix string `json:"prefix"`
				Calls  int64  `json:"calls"`
			} `json:"lines"`
		}
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("settle --json: %v\n%s", err, out)
		}
		amt, _ := rating.ParseMoney(st.Amount)
		// By hand: 3 calls, each one 60 s block at 1.20.
		if st.Calls != 3 || st.BillableS != 180 || amt != rating.MustMoney("3.60") || st.Currency != "CNY" {
			t.Errorf("statement calls %d billable_s %d amount %s %s; want 3, 180, 3.60 CNY\n%s", st.Calls, st.BillableS, st.Amount, st.Currency, out)
		}
		if len(st.Lines) != 1 || st.Lines[0].Prefix != "86138" || st.Lines[0].Calls != 3 {
			t.Errorf("statement lines %+v, want one line for 86138 with 3 calls", st.Lines)
		}
	})

	t.Run("reconciliation", func(t *testing.T) {
		cdrs := sw.CDRList(t)
		byCallee := map[string]itest.CDR{}
		for _, r := range cdrs {
			byCallee[r.Callee] = r
		}
		line := func(r itest.CDR, extraS float64, amount string) string {
			d := r.End.Sub(*r.Answer).Seconds() + extraS
			return r.Answer.UTC().Format(time.RFC3339Nano) + ",+86" + r.Callee + "," + strconv.FormatFloat(d, 'f', 3, 64) + "," + amount + ",CNY\n"
		}
		// Planted: the first call matches; the second is 5 s longer on
		// their side; the third is missing from their file; and they bill
		// a call we never made.
		file := "start,callee,duration_s,amount,currency\n" +
			line(byCallee[numbers[0]], 0, "1.20") +
			line(byCallee[numbers[1]], 5, "1.20") +
			time.Now().UTC().Add(-30*time.Second).Format(time.RFC3339) + ",+8613999999999,42,1.20,CNY\n"
		path := filepath.Join(t.TempDir(), "carrier.csv")
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		out := runCLI(t, sw, "reconcile", "--carrier", "china-mobile", "--file", path,
			"--from", from.Format(time.RFC3339), "--to", to.Format(time.RFC3339), "--json")
		var rep struct {
			Matched          struct{ Calls int64 } `json:"matched"`
			MissingOurs      struct{ Calls int64 } `json:"missing_ours"`
			MissingTheirs    struct{ Calls int64 } `json:"missing_theirs"`
			DurationMismatch int64                 `json:"duration_mismatches"`
			AmountMismatch   int64                 `json:"amount_mismatches"`
			Discrepancies    []struct {
				Kind   string `json:"kind"`
				Callee string `json:"callee"`
			} `json:"discrepancies"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("reconcile --json: %v\n%s", err, out)
		}
		if rep.Matched.Calls != 2 || rep.MissingOurs.Calls != 1 || rep.MissingTheirs.Calls != 1 || rep.DurationMismatch != 1 || rep.AmountMismatch != 0 {
			t.Errorf("reconciliation matched %d, missing ours %d, missing theirs %d, duration mismatches %d, amount mismatches %d; want 2, 1, 1, 1, 0\n%s",
				rep.Matched.Calls, rep.MissingOurs.Calls, rep.MissingTheirs.Calls, rep.DurationMismatch, rep.AmountMismatch, out)
		}
		if n := len(rep.Discrepancies); n != 3 {
			t.Errorf("%d discrepancies, want exactly the 3 planted:\n%s", n, out)
		}
		rows := itest.ClickHouseQuery(t, "SELECT count() FROM "+c.db+".reconciliation")
		if len(rows) != 1 || rows[0] != "3" {
			t.Errorf("reconciliation table rows = %v, want 3", rows)
		}
	})
}

// runCLI runs a softswitch subcommand with the switch's config and returns
// its standard output.
func runCLI(t *testing.T, sw *itest.Switch, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	full := append([]string{args[0], "--config", sw.ConfigPath}, args[1:]...)
	cmd := exec.CommandContext(ctx, sw.Bin, full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("softswitch %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.String()
}
