package rating

import (
	"errors"
	"testing"
)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in   string
		want Money
		err  error
	}{
		{"0", 0, nil},
		{"1", Unit, nil},
		{"0.0123", 12_300, nil},
		{"-0.5", -500_000, nil},
		{"+2.50", 2_500_000, nil},
		{"0.000001", 1, nil},
		{"0.1234560", 123_456, nil}, // a trailing zero past the scale loses nothing
		{"007.5", 7_500_000, nil},
		{"9223372036854.775807", MaxMoney, nil},
		{"-9223372036854.775807", MinMoney, nil},
		{"0.0000001", 0, ErrMoneyPrecision},
		{"1.2345678", 0, ErrMoneyPrecision},
		{"9223372036854.775808", 0, ErrMoneyRange},
		{"9223372036855", 0, ErrMoneyRange},
		{"99999999999999999999999", 0, ErrMoneyRange},
		{"", 0, ErrMoneySyntax},
		{"-", 0, ErrMoneySyntax},
		{".5", 0, ErrMoneySyntax},
		{"5.", 0, ErrMoneySyntax},
		{"1e3", 0, ErrMoneySyntax},
		{"1,000", 0, ErrMoneySyntax},
		{" 1", 0, ErrMoneySyntax},
		{"1 ", 0, ErrMoneySyntax},
		{"1.2.3", 0, ErrMoneySyntax},
		{"NaN", 0, ErrMoneySyntax},
	}
	for _, tt := range tests {
		got, err := ParseMoney(tt.in)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestMoneyString(t *testing.T) {
	tests := []struct {
		m    Money
		want string
	}{
		{0, "0.00"},
		{Unit, "1.00"},
		{1_500_000, "1.50"},
		{12_300, "0.0123"},
		{1, "0.000001"},
		{-1, "-0.000001"},
		{-500_000, "-0.50"},
		{123_456_789, "123.456789"},
		{MaxMoney, "9223372036854.775807"},
		{MinMoney, "-9223372036854.775807"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("Money(%d).String() = %q, want %q", int64(tt.m), got, tt.want)
		}
		if back, err := ParseMoney(tt.want); err != nil || back != tt.m {
			t.Errorf("ParseMoney(%q) = %d, %v; want the round trip %d", tt.want, back, err, tt.m)
		}
	}
}

func TestMoneyRound(t *testing.T) {
	tests := []struct {
		in     string
		places int
		want   string
		fixed  string
	}{
		{"0.125", 2, "0.13", "0.13"},    // half goes up
		{"0.135", 2, "0.14", "0.14"},    // not to even: half-up, not banker's
		{"0.124999", 2, "0.12", "0.12"}, // just below half
		{"-0.125", 2, "-0.13", "-0.13"}, // away from zero
		{"-0.124999", 2, "-0.12", "-0.12"},
		{"1.005", 2, "1.01", "1.01"},
		{"2.5", 0, "3.00", "3"},
		{"-2.5", 0, "-3.00", "-3"},
		{"0.0000005", 2, "", ""}, // unparseable: skipped below
		{"12.3", 2, "12.30", "12.30"},
		{"0.000001", 6, "0.000001", "0.000001"},
		{"0.0000015", 6, "", ""},
		{"0.0123456", 4, "", ""},
		{"0.012345", 4, "0.0123", "0.0123"},
		{"0.01235", 4, "0.0124", "0.0124"},
		{"9223372036854.775807", 2, "9223372036854.77", "9223372036854.77"}, // saturates, never wraps
	}
	for _, tt := range tests {
		m, err := ParseMoney(tt.in)
		if err != nil {
			continue
		}
		if got := m.Round(tt.places).String(); got != tt.want {
			t.Errorf("%s.Round(%d) = %s, want %s", tt.in, tt.places, got, tt.want)
		}
		if got := m.StringFixed(tt.places); got != tt.fixed {
			t.Errorf("%s.StringFixed(%d) = %s, want %s", tt.in, tt.places, got, tt.fixed)
		}
	}
}

func TestAmount(t *testing.T) {
	tests := []struct {
		name      string
		fee, rate string
		billable  int64
		want      string
		ok        bool
	}{
		{"one minute", "0", "0.0123", 60, "0.0123", true},
		{"with fee", "0.05", "0.0123", 60, "0.0623", true},
		{"zero seconds: the fee", "0.05", "0.0123", 0, "0.05", true},
		// 0.0123 × 7 / 60 = 0.001435 exactly.
		{"exact", "0", "0.0123", 7, "0.001435", true},
		// 0.01 × 1 / 60 = 0.0001666… → 0.000167 (above half).
		{"round up", "0", "0.01", 1, "0.000167", true},
		// 0.000001 × 29 / 60 = 0.00000048… → 0 (below half).
		{"below half", "0", "0.000001", 29, "0.00", true},
		// 0.000001 × 30 / 60 = 0.0000005 → 0.000001 (half goes up).
		{"half", "0", "0.000001", 30, "0.000001", true},
		{"free", "0", "0", 3600, "0.00", true},
		{"long call", "0", "1000", 86400 * 365, "525600000.00", true},
		{"overflow", "0", "9223372036854", 3600, "", false},
		{"fee overflow", "9223372036854.775807", "1", 60, "", false},
		{"negative rate", "0", "-1", 60, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Amount(MustMoney(tt.fee), MustMoney(tt.rate), tt.billable)
			if ok != tt.ok || (ok && got.String() != tt.want) {
				t.Fatalf("Amount = %s, %v; want %s, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestMoneyAppendAllocs(t *testing.T) {
	buf := make([]byte, 0, 32)
	m := MustMoney("123.4567")
	if n := testing.AllocsPerRun(100, func() { buf = m.Append(buf[:0]) }); n != 0 {
		t.Fatalf("Append allocates %v times", n)
	}
}
