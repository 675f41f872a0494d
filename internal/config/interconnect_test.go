package config_test

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/internal/config"
)

// interconnectYAML is the example of docs/configuration.md.
const interconnectYAML = `
numbering: {country_code: "86"}
subscribers:
  - {user: "6000", password: x, allow: ["86"], deny: ["86168"], international: false}
  - {user: "6001", password: y, international: true}
carriers:
  - name: china-mobile
    kind: mno
    trunks:
      - name: cm-gw1
        address: "127.0.0.1:5080"
        transport: udp
        max_channels: 100
        max_cps: 10
        acl: ["127.0.0.1/32", "10.1.2.3"]
        options_interval: 30s
        options_timeout: 5s
        register: {username: u, password: "env:SOFTSWITCH_TEST_CM_PW", realm: "", expires: 3600}
        caller_id: {pai: true, presentation: "", pool: ["861012345678"]}
        rewrite: {format: national, strip_prefix: "", add_prefix: ""}
        codecs: [pcmu, PCMA]
      - name: cm-gw2
        address: "gw2.cm.example:5060"
  - name: mvno-one
    kind: mvno
    host: china-mobile
    trunks:
      - name: mv-gw1
        address: "[2001:db8::1]:5060"
        transport: tls
        auth: {username: a, password: literal}
routes:
  - {prefix: "86", by_carrier: true}
  - {prefix: "8613800", trunks: [cm-gw1, cm-gw2], weights: [3, 1]}
dids:
  - {number: "861012345678", user: "6001"}
`

func TestInterconnectParses(t *testing.T) {
	t.Setenv("SOFTSWITCH_TEST_CM_PW", "cm-secret")
	c, err := config.Parse([]byte(interconnectYAML))
	if err != nil {
		t.Fatal(err)
	}
	gw1, carrier, ok := c.Trunk("cm-gw1")
	if !ok || carrier != "china-mobile" {
		t.Fatalf("Trunk(cm-gw1) = %v %q %v", gw1, carrier, ok)
	}
	if gw1.Register.Password != "cm-secret" || gw1.Auth == nil || gw1.Auth.Password != "cm-secret" || gw1.Auth.Username != "u" {
		t.Errorf("register/auth secrets: %+v %+v", gw1.Register, gw1.Auth)
	}
	if !reflect.DeepEqual(gw1.ACL, []string{"127.0.0.1/32", "10.1.2.3/32"}) {
		t.Errorf("acl not canonical: %v", gw1.ACL)
	}
	if !reflect.DeepEqual(gw1.Codecs, []string{"PCMU", "PCMA"}) {
		t.Errorf("codecs not canonical: %v", gw1.Codecs)
	}
	// Defaults of a trunk that sets only its address.
	gw2, _, _ := c.Trunk("cm-gw2")
	if gw2.Transport != "udp" || gw2.OptionsTimeout != 5*time.Second || gw2.Rewrite.Format != "e164" ||
		!reflect.DeepEqual(gw2.Codecs, []string{"PCMU", "PCMA"}) || gw2.Auth != nil || gw2.Register != nil {
		t.Errorf("trunk defaults: %+v", gw2)
	}
	if _, _, ok := c.Trunk("nope"); ok {
		t.Error("unknown trunk found")
	}
	p := c.Subscribers[0].CallingPolicy()
	if !reflect.DeepEqual(p, domain.CallingPolicy{Allow: []string{"86"}, Deny: []string{"86168"}}) || !c.Subscribers[1].International {
		t.Errorf("policy: %+v", p)
	}

	d := c.InterconnectDefinitions()
	for _, ev := range d.Carriers {
		if err := ev.Validate(); err != nil {
			t.Error(err)
		}
	}
	for _, ev := range d.Trunks {
		if err := ev.Validate(); err != nil {
			t.Error(err)
		}
	}
	if len(d.Carriers) != 2 || len(d.Trunks) != 3 || len(d.Routes) != 2 || len(d.DIDs) != 1 {
		t.Fatalf("definitions: %+v", d)
	}
	want := domain.TrunkDefined{Name: "cm-gw1", Carrier: "china-mobile", Address: "127.0.0.1:5080", Transport: "udp",
		MaxChannels: 100, MaxCPS: 10, ACL: []string{"127.0.0.1/32", "10.1.2.3/32"},
		Register:     domain.TrunkRegistration{Enabled: true, Username: "u", Expires: 3600},
		AuthUsername: "u", OptionsInterval: 30 * time.Second, OptionsTimeout: 5 * time.Second, Codecs: []string{"PCMU", "PCMA"},
		CallerID: domain.CallerIDPolicy{PAI: true, Pool: []string{"861012345678"}}, Rewrite: domain.NumberRewrite{Format: "national"}}
	if !reflect.DeepEqual(d.Trunks[0], want) {
		t.Errorf("trunk event:\n got %+v\nwant %+v", d.Trunks[0], want)
	}
	if mv := d.Trunks[2]; mv.Carrier != "mvno-one" || mv.AuthUsername != "a" || mv.Register.Enabled {
		t.Errorf("mvno trunk event: %+v", mv)
	}
	if strings.Contains(strings.ToLower(strings.Join([]string{d.Trunks[0].AuthUsername, d.Trunks[0].Register.Username}, " ")), "secret") {
		t.Error("a secret reached the events")
	}
}

func TestInterconnectInvalid(t *testing.T) {
	os.Unsetenv("SOFTSWITCH_TEST_UNSET_PW")
	// base is a valid config; each case appends or replaces one part.
	carrier := func(trunk string) string {
		return "carriers:\n  - name: cm\n    kind: mno\n    trunks:\n      - {name: gw1, address: \"127.0.0.1:5080\"" + trunk + "}\n"
	}
	// trunkWith replaces the name and address instead.
	trunkWith := func(name, address string) string {
		return "carriers:\n  - name: cm\n    kind: mno\n    trunks:\n      - {name: \"" + name + "\", address: \"" + address + "\"}\n"
	}
	tests := []struct {
		name, yaml, field string
	}{
		{"country code letters", "numbering: {country_code: \"+86\"}\n", "numbering.country_code"},
		{"country code too long", "numbering: {country_code: \"8600\"}\n", "numbering.country_code"},
		{"subscriber allow", "subscribers: [{user: \"6000\", password: x, allow: [\"86\", \"+44\"]}]\n", "subscribers[0].allow[1]"},
		{"subscriber deny", "subscribers: [{user: \"6000\", password: x, deny: [\"\"]}]\n", "subscribers[0].deny[0]"},
		{"subscriber identity not a number", "subscribers: [{user: \"6000\", password: x, identities: [\"+862112345678\", \"sales\"]}]\n", "subscribers[0].identities[1]"},
		{"subscriber identity too short", "subscribers: [{user: \"6000\", password: x, identities: [\"+8621\"]}]\n", "subscribers[0].identities[0]"},
		{"carrier name", "carriers: [{name: \"c m\", kind: mno}]\n", "carriers[0].name"},
		{"carrier duplicate", "carriers: [{name: cm, kind: mno}, {name: cm, kind: mno}]\n", "carriers[1].name"},
		{"carrier kind", "carriers: [{name: cm, kind: fixed}]\n", "carriers[0].kind"},
		{"mno with host", "carriers: [{name: cm, kind: mno, host: ct}]\n", "carriers[0].host"},
		{"mvno without host", "carriers: [{name: cm, kind: mno}, {name: v, kind: mvno}]\n", "carriers[1].host"},
		{"mvno unknown host", "carriers: [{name: v, kind: mvno, host: cm}]\n", "carriers[0].host"},
		{"mvno hosted by mvno", "carriers: [{name: cm, kind: mno}, {name: v, kind: mvno, host: cm}, {name: w, kind: mvno, host: v}]\n", "carriers[2].host"},
		{"trunk name", trunkWith("", "127.0.0.1:5080"), "carriers[0].trunks[0].name"},
		{"trunk duplicate across carriers", carrier("") + "  - name: ct\n    kind: mno\n    trunks: [{name: gw1, address: \"127.0.0.1:5081\"}]\n", "carriers[1].trunks[0].name"},
		{"trunk address no port", trunkWith("gw1", "127.0.0.1"), "carriers[0].trunks[0].address"},
		{"trunk address port 0", trunkWith("gw1", "gw:0"), "carriers[0].trunks[0].address"},
		{"trunk address empty host", trunkWith("gw1", ":5060"), "carriers[0].trunks[0].address"},
		{"trunk transport", carrier(", transport: sctp"), "carriers[0].trunks[0].transport"},
		{"trunk max_channels", carrier(", max_channels: -1"), "carriers[0].trunks[0].max_channels"},
		{"trunk max_cps", carrier(", max_cps: -1"), "carriers[0].trunks[0].max_cps"},
		{"trunk bad cidr", carrier(", acl: [\"10.0.0.0/8\", \"10.0.0.0/33\"]"), "carriers[0].trunks[0].acl[1]"},
		{"trunk acl name", carrier(", acl: [\"gw.example\"]"), "carriers[0].trunks[0].acl[0]"},
		{"trunk options_interval", carrier(", options_interval: -1s"), "carriers[0].trunks[0].options_interval"},
		{"trunk options_timeout above interval", carrier(", options_interval: 5s, options_timeout: 10s"), "carriers[0].trunks[0].options_timeout"},
		{"trunk register username", carrier(", register: {password: x}"), "carriers[0].trunks[0].register.username"},
		{"trunk register password env", carrier(", register: {username: u, password: \"env:SOFTSWITCH_TEST_UNSET_PW\"}"), "carriers[0].trunks[0].register.password"},
		{"trunk register password empty", carrier(", register: {username: u}"), "carriers[0].trunks[0].register.password"},
		{"trunk register expires", carrier(", register: {username: u, password: x, expires: -1}"), "carriers[0].trunks[0].register.expires"},
		{"trunk auth username", carrier(", auth: {password: x}"), "carriers[0].trunks[0].auth.username"},
		{"trunk auth password", carrier(", auth: {username: u, password: \"env:SOFTSWITCH_TEST_UNSET_PW\"}"), "carriers[0].trunks[0].auth.password"},
		{"trunk presentation", carrier(", caller_id: {presentation: anonymous}"), "carriers[0].trunks[0].caller_id.presentation"},
		{"trunk pool", carrier(", caller_id: {pool: [\"8610\", \"+86\"]}"), "carriers[0].trunks[0].caller_id.pool[1]"},
		{"trunk rewrite format", carrier(", rewrite: {format: intl}"), "carriers[0].trunks[0].rewrite.format"},
		{"trunk strip_prefix", carrier(", rewrite: {strip_prefix: \"+\"}"), "carriers[0].trunks[0].rewrite.strip_prefix"},
		{"trunk add_prefix", carrier(", rewrite: {add_prefix: \"9x\"}"), "carriers[0].trunks[0].rewrite.add_prefix"},
		{"trunk codec", carrier(", codecs: [PCMA, G.711]"), "carriers[0].trunks[0].codecs[1]"},
		{"trunk unknown key", carrier(", max_calls: 3"), "max_calls"},
		{"route prefix", carrier("") + "routes: [{prefix: \"+86\", trunks: [gw1]}]\n", "routes[0].prefix"},
		{"route duplicate prefix", carrier("") + "routes: [{prefix: \"86\", trunks: [gw1]}, {prefix: \"86\", by_carrier: true}]\n", "routes[1].prefix"},
		{"route unknown trunk", carrier("") + "routes: [{prefix: \"86\", trunks: [gw1, gw9]}]\n", "routes[0].trunks[1]"},
		{"route trunk twice", carrier("") + "routes: [{prefix: \"86\", trunks: [gw1, gw1]}]\n", "routes[0].trunks[1]"},
		{"route neither trunks nor by_carrier", carrier("") + "routes: [{prefix: \"86\"}]\n", "routes[0].trunks"},
		{"route both", carrier("") + "routes: [{prefix: \"86\", trunks: [gw1], by_carrier: true}]\n", "routes[0].trunks"},
		{"route weights length", carrier("") + "routes: [{prefix: \"86\", trunks: [gw1], weights: [1, 2]}]\n", "routes[0].weights"},
		{"route weight zero", carrier("") + "routes: [{prefix: \"86\", trunks: [gw1], weights: [0]}]\n", "routes[0].weights[0]"},
		{"did number national", "dids: [{number: \"01012345678\", user: \"6001\"}]\n", "dids[0].number"},
		{"did number plus", "dids: [{number: \"+861012345678\", user: \"6001\"}]\n", "dids[0].number"},
		{"did duplicate", "dids: [{number: \"861012345678\", user: \"6001\"}, {number: \"861012345678\", user: \"6000\"}]\n", "dids[1].number"},
		{"did user", "dids: [{number: \"861012345678\", user: \"\"}]\n", "dids[0].user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("accepted: %+v", c)
			}
			if !errors.Is(err, config.ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not name %q", err, tt.field)
			}
			var fe *config.FieldError
			if errors.As(err, &fe) && fe.Field != tt.field {
				t.Errorf("FieldError.Field = %q, want %q (%v)", fe.Field, tt.field, err)
			}
		})
	}
}

// TestInterconnectDocExample keeps docs/configuration.md's interconnect
// example loadable.
func TestInterconnectDocExample(t *testing.T) {
	b, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "## Interconnect")
	if !ok {
		t.Fatal("no interconnect section")
	}
	_, block, ok := strings.Cut(after, "```yaml\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("no yaml example in the interconnect section")
	}
	t.Setenv("CM_PW", "x")
	c, err := config.Parse([]byte(block))
	if err != nil {
		t.Fatalf("documented example: %v", err)
	}
	if len(c.Carriers) != 2 || len(c.Routes) != 2 || len(c.DIDs) != 1 {
		t.Fatalf("example decoded wrongly: %+v", c)
	}
}
