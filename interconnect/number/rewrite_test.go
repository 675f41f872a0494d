package number

import (
	"errors"
	"strings"
	"testing"
)

func mustNormalize(t testing.TB, s string) Number {
	t.Helper()
	n, err := Normalize(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRender(t *testing.T) {
	tests := []struct {
		in     string
		format Format
		want   string
	}{
		{"13800138000", FormatE164, "8613800138000"},
		{"13800138000", FormatPlusE164, "+8613800138000"},
		{"13800138000", FormatNational, "13800138000"},
		{"13800138000", FormatInternational, "008613800138000"},
		{"01012345678", FormatNational, "01012345678"},
		{"01012345678", FormatPlusE164, "+861012345678"},
		{"4001234567", FormatNational, "4001234567"},
		{"4001234567", FormatE164, "864001234567"},
		{"+442071234567", FormatNational, "00442071234567"},
		{"+442071234567", FormatInternational, "00442071234567"},
		{"+442071234567", FormatE164, "442071234567"},
		{"+442071234567", Format(0), "442071234567"},
	}
	for _, tc := range tests {
		t.Run(tc.in+"/"+tc.format.String(), func(t *testing.T) {
			if got := mustNormalize(t, tc.in).Render(tc.format); got != tc.want {
				t.Fatalf("Render = %q, want %q", got, tc.want)
			}
		})
	}
	if got := (Number{}).Render(FormatPlusE164); got != "" {
		t.Fatalf("zero Number renders %q", got)
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"e164", "+e164", "national", "00"} {
		f, ok := ParseFormat(s)
		if !ok || f.String() != s {
			t.Fatalf("ParseFormat(%q) = %v, %v", s, f, ok)
		}
	}
	if _, ok := ParseFormat("E164"); ok {
		t.Fatal("ParseFormat is case-sensitive")
	}
}

func TestRulesApply(t *testing.T) {
	rules, err := NewRules(
		Rewrite{Match: "86", Kind: Mobile, Format: "national", AddPrefix: "17951"}, // carrier IP prefix for mobiles
		Rewrite{Match: "8610", Format: "national", StripPrefix: "010"},             // a Beijing trunk wants local numbers
		Rewrite{Match: "86", Kind: Service, Format: "national"},
		Rewrite{Match: "86", Format: "+e164"},
		Rewrite{Format: "00"},
	)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"13800138000", "1795113800138000"},
		{"01012345678", "12345678"},
		{"02162345678", "+862162345678"},
		{"4001234567", "4001234567"},
		{"+442071234567", "00442071234567"},
	}
	for _, tc := range tests {
		if got := rules.Apply(mustNormalize(t, tc.in)); got != tc.want {
			t.Errorf("Apply(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if rules.Len() != 5 {
		t.Fatal(rules.Len())
	}
	var none Rules
	if got := none.Apply(mustNormalize(t, "13800138000")); got != "8613800138000" {
		t.Fatalf("zero Rules: %q", got)
	}
	only, _ := NewRules(Rewrite{Match: "44", Format: "+e164"})
	if got := only.Apply(mustNormalize(t, "13800138000")); got != "8613800138000" {
		t.Fatalf("no matching rule: %q", got)
	}
}

func TestNewRulesErrors(t *testing.T) {
	tests := []struct {
		name string
		r    Rewrite
		want string
	}{
		{"format", Rewrite{Format: "E.164"}, "rewrite[0].format"},
		{"empty format", Rewrite{}, "rewrite[0].format"},
		{"match", Rewrite{Format: "e164", Match: "86x"}, "rewrite[0].match"},
		{"kind", Rewrite{Format: "e164", Kind: 9}, "rewrite[0].kind"},
		{"strip", Rewrite{Format: "e164", StripPrefix: "0a"}, "rewrite[0].strip_prefix"},
		{"add", Rewrite{Format: "e164", AddPrefix: "x"}, "rewrite[0].add_prefix"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewRules(tc.r)
			if !errors.Is(err, ErrInvalidRewrite) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewRules = %v, want ErrInvalidRewrite naming %s", err, tc.want)
			}
		})
	}
	if _, err := NewRules(Rewrite{Format: "e164", AddPrefix: "*#+1"}); err != nil {
		t.Fatal(err)
	}
}
