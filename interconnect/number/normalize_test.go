package number

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in       string
		e164, national string
		cc             string
		kind           Kind
	}{
		{"mobile bare", "13800138000", "8613800138000", "13800138000", "86", Mobile},
		{"mobile plus", "+8613800138000", "8613800138000", "13800138000", "86", Mobile},
		{"mobile 0086", "008613800138000", "8613800138000", "13800138000", "86", Mobile},
		{"mobile 86 no plus", "8613800138000", "8613800138000", "13800138000", "86", Mobile},
		{"mobile with trunk 0", "013800138000", "8613800138000", "13800138000", "86", Mobile},
		{"mobile separators", "+86 138-0013.8000", "8613800138000", "13800138000", "86", Mobile},
		{"mobile parens", "(+86) 138 0013 8000", "8613800138000", "13800138000", "86", Mobile},
		{"mobile 19x", "19912345678", "8619912345678", "19912345678", "86", Mobile},
		{"mobile mvno 170", "17031234567", "8617031234567", "17031234567", "86", Mobile},
		{"tel uri", "tel:+86-138-0013-8000", "8613800138000", "13800138000", "86", Mobile},
		{"tel uri params", "tel:+8613800138000;ext=12", "8613800138000", "13800138000", "86", Mobile},
		{"sip uri", "sip:+8613800138000@gw.example.cn;user=phone", "8613800138000", "13800138000", "86", Mobile},
		{"sips uri", "SIPS:13800138000@gw.example.cn", "8613800138000", "13800138000", "86", Mobile},
		{"spaces around", "  13800138000 \t", "8613800138000", "13800138000", "86", Mobile},
		{"beijing 8", "01012345678", "861012345678", "01012345678", "86", Landline},
		{"beijing 7", "0101234567", "86101234567", "0101234567", "86", Landline},
		{"beijing plus", "+86 10 1234 5678", "861012345678", "01012345678", "86", Landline},
		{"beijing 86", "861012345678", "861012345678", "01012345678", "86", Landline},
		{"shanghai", "021-62345678", "862162345678", "02162345678", "86", Landline},
		{"guangzhou 0086", "0086 20 8765 4321", "862087654321", "02087654321", "86", Landline},
		{"shenzhen 8", "0755-86001234", "8675586001234", "075586001234", "86", Landline},
		{"3-digit area 7", "05711234567", "865711234567", "05711234567", "86", Landline},
		{"landline sub starting 1", "01012345678", "861012345678", "01012345678", "86", Landline},
		{"400", "400-123-4567", "864001234567", "4001234567", "86", Service},
		{"800", "8001234567", "868001234567", "8001234567", "86", Service},
		{"400 plus", "+864001234567", "864001234567", "4001234567", "86", Service},
		{"uk 00", "00442071234567", "442071234567", "", "44", International},
		{"us plus", "+1 (212) 555-0100", "12125550100", "", "1", International},
		{"russia", "+74951234567", "74951234567", "", "7", International},
		{"hong kong", "+85221234567", "85221234567", "", "852", International},
		{"taiwan", "00886212345678", "886212345678", "", "886", International},
		{"niue shortest", "+6834002", "6834002", "", "683", International},
		{"15 digits", "+123456789012345", "123456789012345", "", "1", International},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Normalize(tc.in)
			if err != nil {
				t.Fatalf("Normalize(%q): %v", tc.in, err)
			}
			if n.E164() != tc.e164 || n.National() != tc.national || n.Kind() != tc.kind || n.CountryCode() != tc.cc {
				t.Fatalf("Normalize(%q) = {%s %s %s cc=%s}, want {%s %s %s cc=%s}",
					tc.in, n.E164(), n.National(), n.Kind(), n.CountryCode(), tc.e164, tc.national, tc.kind, tc.cc)
			}
		})
	}
}

func TestNormalizeErrors(t *testing.T) {
	tests := []struct {
		name, in, reason string
	}{
		{"empty", "", "no digits"},
		{"only separators", " -().", "no digits"},
		{"letters", "1380013800a", "invalid character 'a'"},
		{"control byte", "138\x00", "invalid character byte 0x00"},
		{"plus inside", "86+13800138000", "'+' is allowed only"},
		{"two plus", "++8613800138000", "'+' is allowed only"},
		{"too long", "+8613800138000123456", "too long"},
		{"e164 16 digits", "+1234567890123456", "too long"},
		{"plus only", "+", "no digits"},
		{"00 only", "00", "no digits after the international prefix"},
		{"country code 0", "000123456789", "country code cannot start with 0"},
		{"intl too short", "+441234", "too short for an international number"},
		{"short code", "110", "too short: short codes"},
		{"carrier short code", "10086", "too short: short codes"},
		{"bank short code", "95588", "too short: short codes"},
		{"mobile 10 digits", "1380013800", "mobile number must have 11 digits"},
		{"mobile 12 digits", "138001380001", "mobile number must have 11 digits"},
		{"mobile 12x", "12800138000", "mobile numbers start with 13–19"},
		{"mobile 11x", "11800138000", "mobile numbers start with 13–19"},
		{"plus86 mobile short", "+86138001380", "mobile number must have 11 digits"},
		{"landline no trunk", "1012345678", "landline without trunk prefix 0"},
		{"local subscriber", "62345678", "local number without area code"},
		{"beijing sub 6", "010123456", "shorter than 7 digits"},
		{"beijing sub 9", "010123456789", "longer than 8 digits"},
		{"shenzhen sub 9", "0755123456789", "longer than 8 digits"},
		{"sub starts 0", "02101234567", "cannot start with 0"},
		{"00 short", "0012", "too short for an international number"},
		{"trunk alone", "0", "trunk prefix 0 alone"},
		{"trunk after cc", "+86 010 12345678", "trunk prefix 0 after country code 86"},
		{"86 alone", "+86", "no national number after country code 86"},
		{"400 9 digits", "400123456", "400/800 number must have 10 digits"},
		{"800 11 digits", "80012345678", "400/800 number must have 10 digits"},
		{"400 with trunk", "04001234567", "take no trunk prefix 0"},
		{"86 not full", "86123", "mobile numbers start with 13–19"},
		{"sip without digits", "sip:alice@example.com", "invalid character 'a'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Normalize(tc.in)
			if err == nil {
				t.Fatalf("Normalize(%q) = %s, want error %q", tc.in, n.E164(), tc.reason)
			}
			if !errors.Is(err, ErrInvalidNumber) {
				t.Fatalf("error %v does not wrap ErrInvalidNumber", err)
			}
			var ne *NumberError
			if !errors.As(err, &ne) {
				t.Fatalf("error %v is not a *NumberError", err)
			}
			if ne.Input != tc.in || !strings.Contains(ne.Reason, tc.reason) {
				t.Fatalf("NumberError{%q, %q}, want input %q and reason containing %q", ne.Input, ne.Reason, tc.in, tc.reason)
			}
			if !n.IsZero() {
				t.Fatalf("error came with a non-zero Number %v", n)
			}
		})
	}
}

func TestNewNormalizer(t *testing.T) {
	z, err := NewNormalizer("86")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := z.Normalize("13800138000"); err != nil || n.E164() != "8613800138000" {
		t.Fatalf("got %v, %v", n, err)
	}
	if _, err := NewNormalizer("44"); !errors.Is(err, ErrUnsupportedCountry) {
		t.Fatalf("NewNormalizer(44) = %v, want ErrUnsupportedCountry", err)
	}
}

func TestKindString(t *testing.T) {
	for k := Mobile; k <= International; k++ {
		got, ok := ParseKind(k.String())
		if !ok || got != k {
			t.Fatalf("ParseKind(%q) = %v, %v", k.String(), got, ok)
		}
	}
	if KindUnknown.String() != "unknown" {
		t.Fatal(KindUnknown.String())
	}
	if _, ok := ParseKind("unknown"); ok {
		t.Fatal("ParseKind(unknown) ok")
	}
}

func BenchmarkNormalize(b *testing.B) {
	inputs := []string{"+86 138-0013-8000", "01012345678", "00442071234567", "4001234567"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := Normalize(inputs[i%len(inputs)]); err != nil {
			b.Fatal(err)
		}
	}
}
