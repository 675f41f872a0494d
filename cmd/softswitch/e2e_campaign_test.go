//go:build e2e

// End-to-end tests of outbound campaigns (issue 15): the real binary, SIPp
// as agents' phones and as carriers' gateways that answer, are busy, or
// refuse per number.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"softswitch/internal/itest"
)

type campaignView struct {
	State    string          `json:"state"`
	Agents   map[string]bool `json:"agents"`
	Counters map[string]int  `json:"counters"`
}

func getCampaign(t *testing.T, sw *itest.Switch, name string) campaignView {
	t.Helper()
	var v campaignView
	sw.GetJSON(t, "/api/v1/campaigns/"+name, &v)
	return v
}

// postJSON posts body and fails unless the answer is want.
func postJSON(t *testing.T, sw *itest.Switch, path, body string, want int) []byte {
	t.Helper()
	code, out, err := sw.DoRaw("POST", path, "application/json", strings.NewReader(body))
	if err != nil || code != want {
		t.Fatalf("POST %s: %d %s %v, want %d", path, code, out, err, want)
	}
	return out
}

func postCSV(t *testing.T, sw *itest.Switch, path, body string, want int) []byte {
	t.Helper()
	code, out, err := sw.DoRaw("POST", path, "text/csv", strings.NewReader(body))
	if err != nil || code != want {
		t.Fatalf("POST %s: %d %s %v, want %d", path, code, out, err, want)
	}
	return out
}

// campaignJSON is a progressive campaign open all day, every day, with no
// retries, so every lead ends after one attempt.
func campaignJSON(name string, agents []string, extra string) string {
	a, _ := json.Marshal(agents)
	return fmt.Sprintf(`{"name":%q,"mode":"progressive","agents":%s,"caller_ids":["02112345678"],`+
		`"hours":[{"days":["mon-sun"],"start":"00:00","end":"24:00"}],`+
		`"retry":{"busy":{"max_attempts":1},"no_answer":{"max_attempts":1},"congestion":{"max_attempts":1}},"ring_seconds":10%s}`, name, a, extra)
}

// campaignEvents returns the payloads of a campaign's events of one type.
func campaignEvents(t *testing.T, sw *itest.Switch, name, typ string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, env := range sw.Events(t) {
		if env.Aggregate != "campaign:"+name || env.Type != typ {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(env.Payload, &m); err != nil {
			t.Fatal(err)
		}
		m["_time"] = env.Time
		out = append(out, m)
	}
	return out
}

// TestE2EProgressiveCampaign: 50 leads, 3 agents' phones and gateways that
// answer, are busy, or refuse per number. Every lead ends in the state its
// gateway decides; no agent ever has two attempts at once; the counters
// match the events and the CDRs. Then: a DNC update mid-campaign is obeyed
// at the next decision; calling hours that exclude now skip every lead;
// bad leads and bad definitions are refused naming line, column or field.
func TestE2EProgressiveCampaign(t *testing.T) {
	itest.RequireSIPp(t)
	answer, busy, refuse := startGateway(t, "gw_answer"), startGateway(t, "gw_code", "-key", "code", "486"), startGateway(t, "gw_code", "-key", "code", "480")
	dncGW := startGateway(t, "gw_answer")
	subs := append(slices.Clone(itest.DefaultSubscribers), itest.DialerSubscriber)
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" +
		trunkYAML("cm-answer", answer, "") + trunkYAML("cm-busy", busy, "") + trunkYAML("cm-refuse", refuse, "") + trunkYAML("cm-dnc", dncGW, "") +
		"routes:\n  - {prefix: \"86138\", trunks: [cm-answer]}\n  - {prefix: \"86139\", trunks: [cm-busy]}\n" +
		"  - {prefix: \"86137\", trunks: [cm-refuse]}\n  - {prefix: \"86136\", trunks: [cm-dnc]}\n" +
		"dialer:\n  enabled: true\n  account: dialer\n"
	sw := itest.Start(t, itest.Options{Subscribers: subs, ExtraYAML: cfg})
	agents := []string{"6001", "6002", "6003"}
	for _, a := range agents {
		// Each agent's phone answers and hangs up after a second.
		p := itest.StartSIPp(t, "uas_sdp_bye", "-m", "100", "-s", a, "-d", "1000")
		mustRegister(t, sw, a, p.Addr, 300)
	}

	t.Run("50 leads end as their gateways decide", func(t *testing.T) {
		postJSON(t, sw, "/api/v1/campaigns", campaignJSON("spring", agents, ""), 201)
		var csv strings.Builder
		csv.WriteString("\ufeffnumber,name,plan\n")
		want := map[string]string{}
		for i := range 50 {
			var num, outcome string
			switch {
			case i < 30:
				num, outcome = fmt.Sprintf("138%08d", i), "connected"
			case i < 40:
				num, outcome = fmt.Sprintf("139%08d", i), "busy"
			default:
				num, outcome = fmt.Sprintf("137%08d", i), "no_answer"
			}
			fmt.Fprintf(&csv, "%s,lead %d,gold\n", num, i)
			want["+86"+num] = outcome
		}
		var loaded struct {
			Loaded   int
			Rejected []any
		}
		if err := json.Unmarshal(postCSV(t, sw, "/api/v1/campaigns/spring/leads", csv.String(), 200), &loaded); err != nil || loaded.Loaded != 50 || len(loaded.Rejected) != 0 {
			t.Fatalf("leads: %+v %v", loaded, err)
		}
		postJSON(t, sw, "/api/v1/campaigns/spring/start", "", 200)
		itest.Eventually(t, 90*time.Second, "all 50 leads done", func() bool {
			return getCampaign(t, sw, "spring").Counters["done"] == 50
		})
		c := getCampaign(t, sw, "spring").Counters
		for k, v := range map[string]int{"leads": 50, "dialed": 50, "answered": 30, "connected": 30, "busy": 10, "no_answer": 10,
			"abandoned": 0, "skipped_dnc": 0, "retries_pending": 0} {
			if c[k] != v {
				t.Errorf("counter %s = %d, want %d (all %v)", k, c[k], v, c)
			}
		}
		// Every lead's outcome is its gateway's.
		ends := campaignEvents(t, sw, "spring", "campaign.attempt_ended")
		decided := campaignEvents(t, sw, "spring", "campaign.attempt_decided")
		number := map[string]string{}
		for _, d := range decided {
			number[d["lead"].(string)] = d["number"].(string)
		}
		for _, e := range ends {
			n := number[e["lead"].(string)]
			if e["outcome"] != want[n] || e["final"] != true {
				t.Errorf("lead %s (%s): outcome %v final %v, want %s", e["lead"], n, e["outcome"], e["final"], want[n])
			}
		}
		if len(ends) != 50 {
			t.Fatalf("%d attempts ended, want 50", len(ends))
		}
		// No agent ever had two attempts at once: per agent, decisions and
		// ends alternate.
		type mark struct {
			at    time.Time
			start bool
		}
		byAgent := map[string][]mark{}
		for _, d := range decided {
			if d["allowed"] == true {
				byAgent[d["agent"].(string)] = append(byAgent[d["agent"].(string)], mark{d["_time"].(time.Time), true})
			}
		}
		for _, e := range ends {
			byAgent[e["agent"].(string)] = append(byAgent[e["agent"].(string)], mark{e["_time"].(time.Time), false})
		}
		for a, ms := range byAgent {
			slices.SortStableFunc(ms, func(x, y mark) int { return x.at.Compare(y.at) })
			for i, m := range ms {
				if m.start != (i%2 == 0) {
					t.Fatalf("agent %s had overlapping attempts: %+v", a, ms)
				}
			}
		}
		// The counters match the CDRs: every attempt's number leg is a
		// CDR of the dialer's, and every connected one an agent leg too.
		var numberLegs, agentLegs, answeredNumbers int
		for _, cdr := range sw.WaitCDRs(t, 80, 20*time.Second) {
			if cdr.Caller != "dialer" {
				continue
			}
			if slices.Contains(agents, cdr.Callee) {
				agentLegs++
				continue
			}
			numberLegs++
			if cdr.Disposition == "answered" {
				answeredNumbers++
			}
		}
		if numberLegs != 50 || answeredNumbers != 30 || agentLegs != 30 {
			t.Fatalf("CDRs: %d number legs (%d answered), %d agent legs; want 50 (30) and 30", numberLegs, answeredNumbers, agentLegs)
		}
		waitNoActiveCalls(t, sw)
	})

	t.Run("predictive: every lead ends, abandons within the cap", func(t *testing.T) {
		spec := strings.Replace(campaignJSON("pred", []string{"6001", "6002"}, `,"abandon_cap_percent":3,"max_ratio":3`), "progressive", "predictive", 1)
		postJSON(t, sw, "/api/v1/campaigns", spec, 201)
		var csv strings.Builder
		csv.WriteString("number\n")
		for i := range 40 {
			if i%2 == 0 {
				fmt.Fprintf(&csv, "1380%07d\n", 5000000+i) // answers
			} else {
				fmt.Fprintf(&csv, "1390%07d\n", 5000000+i) // busy
			}
		}
		postCSV(t, sw, "/api/v1/campaigns/pred/leads", csv.String(), 200)
		postJSON(t, sw, "/api/v1/campaigns/pred/start", "", 200)
		itest.Eventually(t, 90*time.Second, "all 40 leads done", func() bool {
			return getCampaign(t, sw, "pred").Counters["done"] == 40
		})
		c := getCampaign(t, sw, "pred").Counters
		if c["answered"] != 20 || c["busy"] != 20 || c["connected"]+c["abandoned"] != 20 {
			t.Fatalf("counters %v", c)
		}
		if rate := float64(c["abandoned"]) / float64(c["answered"]); rate > 0.03 {
			t.Fatalf("abandon rate %.3f over the 3 %% cap (%v)", rate, c)
		}
		for _, e := range campaignEvents(t, sw, "pred", "campaign.attempt_ended") {
			if e["outcome"] == "connected" && e["agent"] != "6001" && e["agent"] != "6002" {
				t.Fatalf("a connected attempt without one of the campaign's agents: %v", e)
			}
		}
		waitNoActiveCalls(t, sw)
	})

	t.Run("a DNC update mid-campaign is obeyed", func(t *testing.T) {
		postJSON(t, sw, "/api/v1/campaigns", campaignJSON("dnc-mid", []string{"6001"}, ""), 201)
		postCSV(t, sw, "/api/v1/campaigns/dnc-mid/leads", "number\n13600000001\n13600000002\n13600000003\n13600000004\n13600000005\n", 200)
		postJSON(t, sw, "/api/v1/campaigns/dnc-mid/start", "", 200)
		// One agent whose calls last a second: the first lead is being
		// dialled while the list changes.
		itest.Eventually(t, 10*time.Second, "first attempt placed", func() bool {
			return getCampaign(t, sw, "dnc-mid").Counters["dialed"] >= 1
		})
		postCSV(t, sw, "/api/v1/dnc", "number,reason\n13600000003,asked\n13600000004,asked\n13600000005,asked\n", 200)
		itest.Eventually(t, 30*time.Second, "dnc-mid done", func() bool {
			return getCampaign(t, sw, "dnc-mid").Counters["done"] == 5
		})
		for _, inv := range dncGW.invites(t) {
			for _, n := range []string{"3600000003", "3600000004", "3600000005"} {
				if strings.HasSuffix(inv["dialled"], n) {
					t.Fatalf("a number on the DNC list was dialled: %v", inv)
				}
			}
		}
		c := getCampaign(t, sw, "dnc-mid").Counters
		if c["skipped_dnc"] != 3 || c["dialed"] != 2 {
			t.Fatalf("counters %v: want 3 skipped by DNC and 2 dialled", c)
		}
		for _, d := range campaignEvents(t, sw, "dnc-mid", "campaign.attempt_decided") {
			if d["reason"] == "dnc" && d["dnc_version"].(float64) < 1 {
				t.Fatalf("a DNC refusal without the list's version: %v", d)
			}
		}
		waitNoActiveCalls(t, sw)
	})

	t.Run("outside calling hours nothing is dialled", func(t *testing.T) {
		// A one-hour window two hours from now in Shanghai (the leads'
		// zone, from +86).
		sh, _ := time.LoadLocation("Asia/Shanghai")
		h := time.Now().In(sh).Hour()
		start := (h + 2) % 24
		if start == 23 || start < h && h+2 >= 24 {
			start = (h + 22) % 24 // a window earlier today instead
		}
		window := fmt.Sprintf(`{"days":["mon-sun"],"start":"%02d:00","end":"%02d:00"}`, start, start+1)
		spec := strings.Replace(campaignJSON("night", []string{"6002"}, ""), `{"days":["mon-sun"],"start":"00:00","end":"24:00"}`, window, 1)
		postJSON(t, sw, "/api/v1/campaigns", spec, 201)
		before := len(answer.invites(t))
		postCSV(t, sw, "/api/v1/campaigns/night/leads", "number\n13800990001\n13800990002\n", 200)
		postJSON(t, sw, "/api/v1/campaigns/night/start", "", 200)
		itest.Eventually(t, 10*time.Second, "both leads skipped", func() bool {
			return getCampaign(t, sw, "night").Counters["skipped_outside_hours"] >= 2
		})
		time.Sleep(time.Second) // a few pacing ticks more
		c := getCampaign(t, sw, "night").Counters
		if c["dialed"] != 0 || len(answer.invites(t)) != before {
			t.Fatalf("dialled outside hours: %v", c)
		}
		for _, d := range campaignEvents(t, sw, "night", "campaign.attempt_decided") {
			if d["reason"] != "outside_hours" || d["retry_at"] == nil || d["zone"] != "Asia/Shanghai" {
				t.Fatalf("decision %v, want outside_hours with the window's next opening in Asia/Shanghai", d)
			}
		}
		postJSON(t, sw, "/api/v1/campaigns/night/stop", "", 200)
	})

	t.Run("frequency caps count across campaigns", func(t *testing.T) {
		// One callee in two campaigns: the second may not call it within
		// the minute the first did (default caps, 1 per minute per callee
		// across every campaign).
		const number = "13800770001"
		count := func() (n int) {
			for _, inv := range answer.invites(t) {
				if strings.HasSuffix(inv["dialled"], number[1:]) {
					n++
				}
			}
			return n
		}
		postJSON(t, sw, "/api/v1/campaigns", campaignJSON("cap-a", []string{"6001"}, ""), 201)
		postCSV(t, sw, "/api/v1/campaigns/cap-a/leads", "number\n"+number+"\n", 200)
		postJSON(t, sw, "/api/v1/campaigns/cap-a/start", "", 200)
		itest.Eventually(t, 20*time.Second, "cap-a's call done", func() bool {
			return getCampaign(t, sw, "cap-a").Counters["done"] == 1
		})
		postJSON(t, sw, "/api/v1/campaigns", campaignJSON("cap-b", []string{"6002"}, ""), 201)
		postCSV(t, sw, "/api/v1/campaigns/cap-b/leads", "number\n"+number+"\n", 200)
		postJSON(t, sw, "/api/v1/campaigns/cap-b/start", "", 200)
		itest.Eventually(t, 10*time.Second, "cap-b's decision", func() bool {
			return getCampaign(t, sw, "cap-b").Counters["frequency_capped"] >= 1
		})
		time.Sleep(time.Second) // a few pacing ticks more
		if c := getCampaign(t, sw, "cap-b").Counters; c["dialed"] != 0 || count() != 1 {
			t.Fatalf("cap-b %v; the gateway saw the number %d times, want once (cap-a's)", c, count())
		}
		d := campaignEvents(t, sw, "cap-b", "campaign.attempt_decided")[0]
		if d["reason"] != "frequency_cap" || d["cap_rule"] == nil || d["retry_at"] == nil {
			t.Fatalf("cap-b's decision %v, want frequency_cap with its rule and the retry time", d)
		}
		postJSON(t, sw, "/api/v1/campaigns/cap-b/stop", "", 200)
		waitNoActiveCalls(t, sw)
	})

	t.Run("preview: the agent asks for each lead", func(t *testing.T) {
		postJSON(t, sw, "/api/v1/campaigns", strings.Replace(campaignJSON("prev", []string{"6003"}, ""), "progressive", "preview", 1), 201)
		postCSV(t, sw, "/api/v1/campaigns/prev/leads", "number,name\n13800888001,Wang\n13900888002,Zhao\n", 200)
		postJSON(t, sw, "/api/v1/campaigns/prev/start", "", 200)
		time.Sleep(time.Second) // several pacing ticks: nothing is dialled unasked
		if c := getCampaign(t, sw, "prev").Counters; c["dialed"] != 0 {
			t.Fatalf("a preview campaign dialled by itself: %v", c)
		}
		for i, want := range []struct{ name, outcome string }{{"Wang", "connected"}, {"Zhao", "busy"}} {
			var r struct {
				Lead     struct{ Name, Number string }
				Decision struct {
					Allowed bool
					Agent   string
				}
			}
			if err := json.Unmarshal(postJSON(t, sw, "/api/v1/campaigns/prev/agents/6003/next", "", 200), &r); err != nil ||
				r.Lead.Name != want.name || !r.Decision.Allowed || r.Decision.Agent != "6003" {
				t.Fatalf("next: %+v %v, want %s allowed for 6003", r, err, want.name)
			}
			itest.Eventually(t, 20*time.Second, want.name+"'s attempt ended", func() bool {
				return len(campaignEvents(t, sw, "prev", "campaign.attempt_ended")) > i
			})
			if e := campaignEvents(t, sw, "prev", "campaign.attempt_ended")[i]; e["outcome"] != want.outcome {
				t.Fatalf("%s: %v, want %s", want.name, e["outcome"], want.outcome)
			}
			itest.Eventually(t, 10*time.Second, "6003 free again", func() bool { return len(activeCalls(t, sw)) == 0 })
		}
		if code, body, _ := sw.DoRaw("POST", "/api/v1/campaigns/prev/agents/6003/next", "", nil); code != 404 {
			t.Fatalf("next with no lead left: %d %s, want 404", code, body)
		}
	})

	t.Run("the CLI drives the API", func(t *testing.T) {
		dir := t.TempDir()
		// A YAML definition, numbers unquoted, as an operator writes one.
		spec, leads := filepath.Join(dir, "cli.yaml"), filepath.Join(dir, "leads.csv")
		yamlSpec := "name: cli\nmode: progressive\nagents: [\"6002\"]\ncaller_ids: [02112345678]\n" +
			"hours: [{days: [mon-sun], start: \"00:00\", end: \"24:00\"}]\nholidays: [2031-02-01]\nring_seconds: 10\n"
		if err := os.WriteFile(spec, []byte(yamlSpec), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(leads, []byte("number,name\n13800777001,a\nbad,b\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		run := func(args ...string) (string, error) {
			out, err := exec.Command(sw.Bin, append(args, "--config", sw.ConfigPath)...).CombinedOutput()
			return string(out), err
		}
		for _, args := range [][]string{
			{"campaign", "define", spec},
			{"campaign", "leads", "--name", "cli", leads},
			{"campaign", "agent", "--name", "cli", "--agent", "6002", "--logout"},
		} {
			if out, err := run(args...); err != nil {
				t.Fatalf("%v: %v\n%s", args, err, out)
			}
		}
		out, err := run("campaign", "show", "--name", "cli")
		if err != nil || !strings.Contains(out, `"6002":false`) || !strings.Contains(out, `"leads":1`) ||
			!strings.Contains(out, `"caller_ids":["+862112345678"]`) || !strings.Contains(out, `"holidays":["2031-02-01"]`) {
			t.Fatalf("show: %v\n%s", err, out)
		}
		if out, err := run("campaign", "resume", "--name", "cli"); err == nil || !strings.Contains(out, "cannot resume") {
			t.Fatalf("resume of a created campaign: %v\n%s", err, out)
		}
		if out, err := run("campaign", "agent", "--name", "cli", "--agent", "6002"); err == nil || !strings.Contains(out, "--login") {
			t.Fatalf("agent without --login/--logout: %v\n%s", err, out)
		}
	})

	t.Run("bad input is refused by name", func(t *testing.T) {
		postJSON(t, sw, "/api/v1/campaigns", campaignJSON("badleads", []string{"6001"}, ""), 201)
		out := postCSV(t, sw, "/api/v1/campaigns/badleads/leads", "\ufeffnumber,name\n13800138000,ok\nnot-a-number,bad\n13800138001,ok,extra\n13800138002,ok\n", 200)
		var r struct {
			Loaded   int
			Rejected []struct {
				Line   int
				Column string
			}
		}
		if err := json.Unmarshal(out, &r); err != nil || r.Loaded != 2 || len(r.Rejected) != 2 ||
			r.Rejected[0].Line != 3 || r.Rejected[0].Column != "number" || r.Rejected[1].Line != 4 {
			t.Fatalf("leads with bad rows: %s", out)
		}
		for _, tc := range []struct{ name, path, ct, body, field string }{
			{"no number column", "/api/v1/campaigns/badleads/leads", "text/csv", "phone\n13800138000\n", "leads"},
			{"unknown field", "/api/v1/campaigns", "application/json", campaignJSON("x", []string{"6001"}, `,"speed":3`), "speed"},
			{"impossible window", "/api/v1/campaigns", "application/json",
				strings.Replace(campaignJSON("y", []string{"6001"}, ""), `"start":"00:00","end":"24:00"`, `"start":"20:00","end":"09:00"`, 1), "hours[0].start"},
			{"agent not a subscriber", "/api/v1/campaigns", "application/json", campaignJSON("z", []string{"nobody"}, ""), "agents[0]"},
			{"unknown mode", "/api/v1/campaigns", "application/json", strings.Replace(campaignJSON("w", []string{"6001"}, ""), "progressive", "blast", 1), "mode"},
			// The switch would present the dialer's account instead of a
			// number that is not among its identities.
			{"YAML with an unknown field", "/api/v1/campaigns", "application/yaml", "name: u\nmode: progressive\nspeed: 3\n", "line 3: field speed"},
			{"caller ID the account may not present", "/api/v1/campaigns", "application/json",
				strings.Replace(campaignJSON("v", []string{"6001"}, ""), "02112345678", "02199999999", 1), "caller_ids[0]"},
		} {
			code, body, err := sw.DoRaw("POST", tc.path, tc.ct, strings.NewReader(tc.body))
			if err != nil || code != 400 || !strings.Contains(string(body), tc.field) {
				t.Errorf("%s: %d %s %v, want 400 naming %s", tc.name, code, body, err, tc.field)
			}
		}
		code, _, _ := sw.DoRaw("POST", "/api/v1/campaigns/badleads/resume", "", nil)
		if code != 409 {
			t.Errorf("resume of a created campaign: %d, want 409", code)
		}
	})
}
