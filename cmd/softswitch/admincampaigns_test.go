package main

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestDecodeSpec: a definition reads the same from JSON and YAML (the
// docs' own examples), numbers written unquoted in YAML stay as written,
// and an unknown field is refused by name either way.
func TestDecodeSpec(t *testing.T) {
	doc, err := os.ReadFile("../../docs/dialer.md")
	if err != nil {
		t.Fatal(err)
	}
	block := func(lang string) string {
		m := regexp.MustCompile("(?s)A definition \\(JSON.*?```" + lang + "\n(.*?)```").FindStringSubmatch(string(doc))
		if m == nil {
			t.Fatalf("docs/dialer.md: no %s definition", lang)
		}
		return m[1]
	}
	fromJSON, err := decodeSpec(strings.NewReader(block("json")), "application/json")
	if err != nil {
		t.Fatal(err)
	}
	fromYAML, err := decodeSpec(strings.NewReader(block("yaml")), "application/yaml; charset=utf-8")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, fromYAML) {
		t.Fatalf("the docs' JSON and YAML differ:\n json %+v\n yaml %+v", fromJSON, fromYAML)
	}
	if fromYAML.CallerIDs[0] != "02112345678" || fromYAML.Holidays[0] != "2027-02-17" || fromYAML.Hours[0].Start != "09:00" {
		t.Fatalf("unquoted YAML values not read as written: %+v", fromYAML)
	}
	for _, tc := range []struct{ name, ct, body, want string }{
		{"json unknown field", "application/json", `{"name":"x","speed":3}`, "speed"},
		{"yaml unknown field, with its line", "text/yaml", "name: x\nspeed: 3\n", "line 2: field speed"},
		{"yaml nested unknown field", "application/x-yaml", "name: x\nhours: [{days: [mon], begin: \"09:00\"}]\n", "field begin"},
		{"yaml wrong type", "application/yaml", "name: x\nring_seconds: soon\n", "soon"},
		{"not yaml", "application/yaml", "name: [x\n", "yaml"},
		{"yaml sent as json", "application/json", "name: x\n", "invalid character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeSpec(strings.NewReader(tc.body), tc.ct)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one naming %q", err, tc.want)
			}
		})
	}
}
