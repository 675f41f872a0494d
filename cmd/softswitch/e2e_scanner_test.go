//go:build e2e

// sipvicious, the scanner suite every SIP server on the internet meets
// within hours, against the running switch on loopback (issue 12).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/internal/itest"
)

// scannerYAML turns the User-Agent filter off: a scanner can claim any
// User-Agent, so what must hold is that the answers leak nothing and the
// guesses get banned, not that sipvicious announces itself.
const scannerYAML = "security:\n  scanner_user_agents: []\n  max_auth_failures: 10\n"

func udpPort(t *testing.T) string {
	t.Helper()
	p, err := itest.FreeUDPPort()
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(p)
}

// TestE2ESipviciousWar: svwar walks extensions 5990-6010 (6000-6003 exist)
// with REGISTER, INVITE and OPTIONS and finds none of them, though the
// switch answers every probe; with the default User-Agent filter it gets
// no answer at all, and each dropped probe is counted.
func TestE2ESipviciousWar(t *testing.T) {
	itest.RequireSipvicious(t)
	sw := itest.Start(t, itest.Options{ExtraYAML: scannerYAML})
	for _, method := range []string{"REGISTER", "INVITE", "OPTIONS"} {
		t.Run(method, func(t *testing.T) {
			name := fmt.Sprintf("softswitch_sip_requests_total{method=%q}", method)
			before := metric(t, sw, name)
			out := itest.Sipvicious(t, 2*time.Minute, "sipvicious.svwar",
				"-e", "5990-6010", "-m", method, "--maximumtime", "3", "-p", strconv.Itoa(sw.SIPPort), "-P", udpPort(t), "127.0.0.1")
			if strings.Contains(out, "| Extension") {
				t.Fatalf("svwar -m %s found extensions:\n%s", method, out)
			}
			if !strings.Contains(out, "found nothing") {
				t.Fatalf("svwar -m %s did not end with \"found nothing\":\n%s", method, out)
			}
			// svwar probes a made-up extension first and stops when it is
			// challenged like a real one; it must have been answered.
			if got := metric(t, sw, name) - before; got < 1 {
				t.Fatalf("the switch saw %v %s probes", got, method)
			}
			if got := metric(t, sw, "softswitch_registrations_total"); got != 0 {
				t.Fatalf("%v registrations after svwar", got)
			}
		})
	}

	filtered := itest.Start(t, itest.Options{})
	out := itest.Sipvicious(t, 2*time.Minute, "sipvicious.svwar",
		"-e", "5990-6010", "-m", "REGISTER", "-p", strconv.Itoa(filtered.SIPPort), "-P", udpPort(t), "127.0.0.1")
	if !strings.Contains(out, "found nothing") {
		t.Fatalf("svwar against the User-Agent filter:\n%s", out)
	}
	if got := metric(t, filtered, "softswitch_scanner_drops_total"); got < 1 {
		t.Fatalf("scanner drops %v, want the probes counted", got)
	}
	if got := metric(t, filtered, "softswitch_auth_challenges_total"); got != 0 {
		t.Fatalf("%v challenges sent to a scanner the filter drops", got)
	}
}

// TestE2ESipviciousCrack: svcrack guesses 6000's password from a
// dictionary that holds it at line 15; the switch bans the source after 10
// failures (security.max_auth_failures), records the ban with its real
// count, and the password is never found, with MD5 challenges and with
// SHA-256 ones (sipvicious 0.3.8 knows only MD5, so the SHA-256 run goes
// through testdata/svcrack_sha256.py, svcrack with a SHA-256 digest). The
// same cracker with the password at line 3 finds it on a fresh switch, so
// the test can tell a crack from a ban.
//
// svcrack 0.3.8 ignores its -b option, so every run comes from 127.0.0.1:
// each case has switches of its own.
func TestE2ESipviciousCrack(t *testing.T) {
	itest.RequireSipvicious(t)
	const password = "s3cret-6000-xq"
	dict := func(at int) string {
		var b strings.Builder
		for i := 1; i <= 20; i++ {
			if i == at {
				b.WriteString(password + "\n")
			} else {
				fmt.Fprintf(&b, "guess%02d\n", i)
			}
		}
		p := filepath.Join(t.TempDir(), "dict.txt")
		if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	shim, err := filepath.Abs("testdata/svcrack_sha256.py")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		algorithm, tool string
	}{
		{"MD5", "sipvicious.svcrack"},
		{"SHA-256", shim},
	} {
		t.Run(tc.algorithm, func(t *testing.T) {
			opts := itest.Options{
				AuthAlgorithms: []string{tc.algorithm},
				Subscribers:    []itest.Subscriber{{User: "6000", Password: password}},
				ExtraYAML:      scannerYAML,
			}
			crack := func(sw *itest.Switch, at int) string {
				return itest.Sipvicious(t, 2*time.Minute, tc.tool, "-u", "6000", "-d", dict(at),
					"--maximumtime", "3", "-p", strconv.Itoa(sw.SIPPort), "-P", udpPort(t), "127.0.0.1")
			}

			control := crack(itest.Start(t, opts), 3)
			if !strings.Contains(control, password) {
				t.Fatalf("the cracker did not find the password at line 3, so it proves nothing:\n%s", control)
			}

			sw := itest.Start(t, opts)
			out := crack(sw, 15)
			if strings.Contains(out, password) {
				t.Fatalf("svcrack found the password:\n%s", out)
			}
			var bans []domain.SourceBanned
			for _, env := range sw.Events(t) {
				if env.Type == domain.TypeSourceBanned {
					var e domain.SourceBanned
					if err := json.Unmarshal(env.Payload, &e); err != nil {
						t.Fatal(err)
					}
					bans = append(bans, e)
				}
			}
			if len(bans) != 1 || bans[0].Source != "127.0.0.1" || bans[0].Fails != 10 {
				t.Fatalf("bans %+v, want 127.0.0.1 after 10 failures", bans)
			}
			if got := metric(t, sw, "softswitch_auth_failures_total"); got != 10 {
				t.Errorf("%v failed authentications, want 10 (the ban stops the rest unanswered)", got)
			}
			if got := metric(t, sw, "softswitch_registrations_total"); got != 0 {
				t.Errorf("%v registrations", got)
			}
			if got := metric(t, sw, "softswitch_banned_drops_total"); got < 1 {
				t.Errorf("banned drops %v: svcrack's later guesses were not dropped", got)
			}
		})
	}
}
