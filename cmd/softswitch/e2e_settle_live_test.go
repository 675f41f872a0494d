//go:build e2e

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"softswitch/billing/rating"
	"softswitch/internal/itest"
)

// TestE2ESettleBesideRunningSwitch: on the embedded store (no ClickHouse),
// `softswitch settle` and `softswitch reconcile` run while the switch
// holds the store's lock, reading through its admin API: the statement has
// the totals computed by hand, and reconciliation finds exactly the
// mismatches planted in the carrier's file. Stopped, the switch's store
// gives the same statement.
func TestE2ESettleBesideRunningSwitch(t *testing.T) {
	itest.RequireSIPp(t)
	gw := startGateway(t, "gw_answer")
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" + trunkYAML("cm-a", gw, "") +
		"routes:\n  - {prefix: \"86\", trunks: [cm-a]}\n"
	sw := itest.Start(t, itest.Options{ExtraYAML: cfg})
	// Buy side: 86138 at 1.20/min in 60 s blocks (1.20 a short call);
	// 86139 at 0.60/min in 6 s blocks plus 0.10 to connect (0.16).
	publishDeck(t, sw, "cm-buy", "buy", "carrier:china-mobile", deckHeader+
		"86138,1.20,0,60,60,0,2020-01-01T00:00:00Z,,CNY\n"+
		"86139,0.60,0.10,6,6,0,2020-01-01T00:00:00Z,,CNY\n")
	publishDeck(t, sw, "retail", "sell", "account:*", deckHeader+"86,2.00,0,6,6,0,2020-01-01T00:00:00Z,,CNY\n")
	from := time.Now().Add(-time.Minute).UTC()
	numbers := []string{"13800138001", "13800138002", "13900139003", "13900139004"}
	for i, n := range numbers {
		if res := callNumber(t, sw, "uac", n, "-d", itoa(1000*(1+i%2))); !res.OK() {
			t.Fatalf("call %s: %s", n, res)
		}
	}
	to := time.Now().Add(time.Minute).UTC()
	cdrs := sw.WaitCDRs(t, len(numbers), 30*time.Second)
	for _, c := range cdrs {
		if rawString(c, "rating_status") != "rated" || rawString(c, "carrier") != "china-mobile" {
			t.Fatalf("CDR to %s: rating_status %q carrier %q, want rated, china-mobile: %v", c.Callee, rawString(c, "rating_status"), rawString(c, "carrier"), c.Raw)
		}
	}
	period := []string{"--carrier", "china-mobile", "--from", from.Format(time.RFC3339), "--to", to.Format(time.RFC3339)}

	type line struct {
		Prefix    string `json:"prefix"`
		Calls     int64  `json:"calls"`
		Answered  int64  `json:"answered"`
		BillableS int64  `json:"billable_s"`
		Amount    string `json:"amount"`
	}
	type statement struct {
		line
		Minutes  json.Number `json:"minutes"`
		ASR      json.Number `json:"asr"`
		Currency string      `json:"currency"`
		Lines    []line      `json:"lines"`
	}
	checkStatement := func(t *testing.T) {
		t.Helper()
		out := runCLI(t, sw, append([]string{"settle"}, append(period, "--json")...)...)
		var st statement
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("settle --json: %v\n%s", err, out)
		}
		// By hand: 86138 two calls, 60 s each at 1.20 = 2.40; 86139 two
		// calls, 6 s each at 0.10 + 0.06 = 0.32; 132 s = 2.2 minutes.
		want := []line{
			{Prefix: "86138", Calls: 2, Answered: 2, BillableS: 120, Amount: "2.40"},
			{Prefix: "86139", Calls: 2, Answered: 2, BillableS: 12, Amount: "0.32"},
		}
		amt, _ := rating.ParseMoney(st.Amount)
		if st.Calls != 4 || st.Answered != 4 || st.BillableS != 132 || amt != rating.MustMoney("2.72") ||
			st.Minutes.String() != "2.2" || st.ASR.String() != "1" || st.Currency != "CNY" {
			t.Errorf("statement calls %d answered %d billable_s %d amount %s minutes %s asr %s %s; want 4, 4, 132, 2.72, 2.2, 1 CNY\n%s",
				st.Calls, st.Answered, st.BillableS, st.Amount, st.Minutes, st.ASR, st.Currency, out)
		}
		if len(st.Lines) != len(want) {
			t.Fatalf("statement lines %+v, want %+v", st.Lines, want)
		}
		for i, l := range st.Lines {
			la, _ := rating.ParseMoney(l.Amount)
			w := want[i]
			if l.Prefix != w.Prefix || l.Calls != w.Calls || l.Answered != w.Answered || l.BillableS != w.BillableS || la != rating.MustMoney(w.Amount) {
				t.Errorf("line %d = %+v, want %+v", i, l, w)
			}
		}
	}

	t.Run("statement while running", func(t *testing.T) {
		checkStatement(t)
		if !sw.Running() {
			t.Fatal("the switch stopped during settle")
		}
	})

	t.Run("reconciliation while running", func(t *testing.T) {
		byCallee := map[string]itest.CDR{}
		for _, r := range cdrs {
			byCallee[r.Callee] = r
		}
		row := func(r itest.CDR, extraS float64, amount string) string {
			d := r.End.Sub(*r.Answer).Seconds() + extraS
			return r.Answer.UTC().Format(time.RFC3339Nano) + ",+86" + r.Callee + "," + strconv.FormatFloat(d, 'f', 3, 64) + "," + amount + ",CNY\n"
		}
		// Planted: the first call matches; the second is 5 s longer on
		// their side; the third is billed 0.99 instead of 0.16; the
		// fourth is missing from their file; and they bill a call we
		// never made.
		file := "start,callee,duration_s,amount,currency\n" +
			row(byCallee[numbers[0]], 0, "1.20") +
			row(byCallee[numbers[1]], 5, "1.20") +
			row(byCallee[numbers[2]], 0, "0.99") +
			time.Now().UTC().Add(-30*time.Second).Format(time.RFC3339) + ",+8613999999999,42,1.20,CNY\n"
		path := filepath.Join(t.TempDir(), "carrier.csv")
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		out := runCLI(t, sw, append([]string{"reconcile", "--file", path}, append(period, "--json")...)...)
		var rep struct {
			Ours             struct{ Calls int64 } `json:"ours"`
			Theirs           struct{ Calls int64 } `json:"theirs"`
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
		if rep.Ours.Calls != 4 || rep.Theirs.Calls != 4 || rep.Matched.Calls != 3 || rep.MissingOurs.Calls != 1 ||
			rep.MissingTheirs.Calls != 1 || rep.DurationMismatch != 1 || rep.AmountMismatch != 1 {
			t.Errorf("reconciliation ours %d theirs %d matched %d missing ours %d missing theirs %d duration mismatches %d amount mismatches %d; want 4, 4, 3, 1, 1, 1, 1\n%s",
				rep.Ours.Calls, rep.Theirs.Calls, rep.Matched.Calls, rep.MissingOurs.Calls, rep.MissingTheirs.Calls, rep.DurationMismatch, rep.AmountMismatch, out)
		}
		got := map[string]bool{}
		for _, d := range rep.Discrepancies {
			got[d.Kind+" "+strings.TrimPrefix(d.Callee, "86")] = true
		}
		want := []string{"duration_mismatch " + numbers[1], "amount_mismatch " + numbers[2], "missing_theirs " + numbers[3], "missing_ours 13999999999"}
		for _, w := range want {
			if !got[w] {
				t.Errorf("no %s in the discrepancies", w)
			}
		}
		if len(rep.Discrepancies) != len(want) {
			t.Errorf("%d discrepancies, want exactly the %d planted:\n%s", len(rep.Discrepancies), len(want), out)
		}
		if !sw.Running() {
			t.Fatal("the switch stopped during reconcile")
		}
	})

	t.Run("statement after stop", func(t *testing.T) {
		if err := sw.Stop(); err != nil {
			t.Fatal(err)
		}
		checkStatement(t)
	})
}
