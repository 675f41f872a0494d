//go:build e2e

package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"softswitch/internal/itest"
)

// uacWithPPI is a copy of uac.xml whose INVITEs carry P-Preferred-Identity
// with value.
func uacWithPPI(t *testing.T, value string) string {
	t.Helper()
	b, err := os.ReadFile(itest.Scenario(t, "uac"))
	if err != nil {
		t.Fatal(err)
	}
	contact := "      Contact: <sip:[caller]@[local_ip]:[local_port]>\n"
	if strings.Count(string(b), contact) < 2 {
		t.Fatal("uac.xml: the INVITEs' Contact lines moved; update the test")
	}
	s := strings.ReplaceAll(string(b), contact, contact+"      P-Preferred-Identity: "+value+"\n")
	p := filepath.Join(t.TempDir(), "uac_ppi.xml")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestE2EPreferredIdentity: a phone asks to be presented as a number by
// P-Preferred-Identity (RFC 3325 §9.2). The carrier sees it, asserted,
// only when it is one of the subscriber's identities; a neighbour's number,
// a number nobody has or garbage present the account and are counted.
func TestE2EPreferredIdentity(t *testing.T) {
	itest.RequireSIPp(t)
	gw := startGateway(t, "gw_answer")
	subs := slices.Clone(itest.DefaultSubscribers)
	for i := range subs {
		if subs[i].User == caller {
			subs[i].Identities = []string{"862112345678"}
		}
		if subs[i].User == "6001" {
			subs[i].Identities = []string{"861088880000"}
		}
	}
	cfg := "carriers:\n  - name: china-mobile\n    kind: mno\n    trunks:\n" + trunkYAML("cm", gw, ", caller_id: {pai: true}") +
		"routes:\n  - {prefix: \"86\", trunks: [cm]}\n"
	sw := itest.Start(t, itest.Options{Subscribers: subs, ExtraYAML: cfg})
	for _, tc := range []struct {
		name, ppi, want string
		refused         bool
	}{
		{"its own number, E.164", "<sip:+862112345678@softswitch>", "862112345678", false},
		{"its own number, national, as a tel URI", "<tel:02112345678>", "862112345678", false},
		{"a neighbour's number", "<sip:+861088880000@softswitch>", caller, true},
		{"a number nobody has", "<sip:+8613800138000@softswitch>", caller, true},
		{"garbage", "<sip:@>", caller, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := metric(t, sw, "softswitch_preferred_identity_refused_total")
			n := len(gw.invites(t))
			if res := callNumber(t, sw, uacWithPPI(t, tc.ppi), "13800138000"); !res.OK() {
				t.Fatalf("call: %s", res)
			}
			inv := gw.invites(t)
			if len(inv) != n+1 {
				t.Fatalf("the gateway logged %d new INVITEs, want 1", len(inv)-n)
			}
			if got := inv[n]; got["from"] != tc.want || got["pai_user"] != tc.want {
				t.Errorf("carrier saw From %q, PAI %q; want %q", got["from"], got["pai_user"], tc.want)
			}
			if refused := metric(t, sw, "softswitch_preferred_identity_refused_total") > before; refused != tc.refused {
				t.Errorf("counted as refused: %v, want %v", refused, tc.refused)
			}
		})
	}
}
