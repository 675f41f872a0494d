package compliance

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHoursValidate(t *testing.T) {
	tests := []struct {
		name   string
		cfg    HoursConfig
		fields []string // every field named, in order; nil means valid
	}{
		{"defaults", HoursConfig{}, nil},
		{"wrapping range and 24:00", HoursConfig{Windows: []WindowConfig{{Days: []string{"Sat-Mon"}, Start: "00:00", End: "24:00"}}}, nil},
		{"unknown weekday", HoursConfig{Windows: []WindowConfig{{Days: []string{"mon", "fry"}, Start: "09:00", End: "10:00"}}},
			[]string{"hours.windows[0].days[1]"}},
		{"bad range", HoursConfig{Windows: []WindowConfig{{Days: []string{"mon-"}, Start: "09:00", End: "10:00"}}},
			[]string{"hours.windows[0].days[0]"}},
		{"no days", HoursConfig{Windows: []WindowConfig{{Start: "09:00", End: "10:00"}}},
			[]string{"hours.windows[0].days"}},
		{"start not before end", HoursConfig{Windows: []WindowConfig{
			{Days: []string{"mon"}, Start: "09:00", End: "10:00"},
			{Days: []string{"tue"}, Start: "09:00", End: "10:00"},
			{Days: []string{"wed"}, Start: "20:00", End: "09:00"}}},
			[]string{"hours.windows[2].start"}},
		{"equal start and end", HoursConfig{Windows: []WindowConfig{{Days: []string{"mon"}, Start: "09:00", End: "09:00"}}},
			[]string{"hours.windows[0].start"}},
		{"bad time formats", HoursConfig{Windows: []WindowConfig{{Days: []string{"mon"}, Start: "9:00", End: "24:01"}}},
			[]string{"hours.windows[0].start", "hours.windows[0].end"}},
		{"minutes out of range", HoursConfig{Windows: []WindowConfig{{Days: []string{"mon"}, Start: "09:60", End: "10:00"}}},
			[]string{"hours.windows[0].start"}},
		{"bad holiday", HoursConfig{Holidays: []string{"2026-10-01", "2026-13-01", "1/10/2026"}},
			[]string{"hours.holidays[1]", "hours.holidays[2]"}},
		{"bad zone", HoursConfig{FallbackZone: "Mars/Olympus"}, []string{"hours.fallback_zone"}},
		{"Local is not a callee's zone", HoursConfig{FallbackZone: "Local"}, []string{"hours.fallback_zone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("err %v is not ErrInvalidConfig", err)
			}
			var got []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var ce *ConfigError
				if !errors.As(e, &ce) {
					t.Fatalf("%v is not a *ConfigError", e)
				}
				got = append(got, ce.Field)
			}
			if strings.Join(got, " ") != strings.Join(tt.fields, " ") {
				t.Fatalf("fields %v, want %v (%v)", got, tt.fields, err)
			}
		})
	}
}

func TestHoursOpenAndNextOpen(t *testing.T) {
	sh, ny := mustLoc(t, "Asia/Shanghai"), mustLoc(t, "America/New_York")
	def, err := NewHours(HoursConfig{Holidays: []string{"2026-10-01"}})
	if err != nil {
		t.Fatal(err)
	}
	night, err := NewHours(HoursConfig{Windows: []WindowConfig{{Days: []string{"sun"}, Start: "02:30", End: "04:00"}}})
	if err != nil {
		t.Fatal(err)
	}
	utc := time.UTC
	tests := []struct {
		name string
		h    *Hours
		loc  *time.Location
		now  time.Time
		open bool
		next time.Time
	}{
		// Shanghai, no DST: Mon–Fri 09:00–20:00, Sat 10:00–18:00.
		{"Friday in the window", def, sh, at(t, sh, "2026-01-02 19:59"), true, at(t, sh, "2026-01-02 19:59")},
		{"Friday 20:00 is closed (end exclusive)", def, sh, at(t, sh, "2026-01-02 20:00"), false, at(t, sh, "2026-01-03 10:00")},
		{"Friday before 9", def, sh, at(t, sh, "2026-01-02 08:59"), false, at(t, sh, "2026-01-02 09:00")},
		{"Saturday after 18 waits for Monday", def, sh, at(t, sh, "2026-01-03 18:00"), false, at(t, sh, "2026-01-05 09:00")},
		{"Sunday", def, sh, at(t, sh, "2026-01-04 12:00"), false, at(t, sh, "2026-01-05 09:00")},
		{"holiday in the callee's zone", def, sh, at(t, sh, "2026-10-01 10:00"), false, at(t, sh, "2026-10-02 09:00")},
		{"UTC clock, Shanghai callee: 01:30Z is 09:30 there", def, sh, at(t, utc, "2026-01-05 01:30"), true, at(t, utc, "2026-01-05 01:30")},
		{"UTC clock, Shanghai callee: 00:30Z is 08:30 there", def, sh, at(t, utc, "2026-01-05 00:30"), false, at(t, utc, "2026-01-05 01:00")},
		// New York: DST starts Sunday 2026-03-08 02:00 (EST −5 → EDT −4).
		{"Friday before the switch: 13:30Z is 08:30 EST", def, ny, at(t, utc, "2026-03-06 13:30"), false, at(t, utc, "2026-03-06 14:00")},
		{"Monday after the switch: 13:30Z is 09:30 EDT", def, ny, at(t, utc, "2026-03-09 13:30"), true, at(t, utc, "2026-03-09 13:30")},
		{"Saturday night to Monday across the switch", def, ny, at(t, ny, "2026-03-07 19:00"), false, at(t, utc, "2026-03-09 13:00")},
		{"a start in the spring-forward gap opens at the transition", night, ny, at(t, ny, "2026-03-08 00:00"), false, at(t, utc, "2026-03-08 07:00")},
		{"the fall-back night: 01:30 EDT", night, ny, at(t, utc, "2026-11-01 05:30"), false, at(t, utc, "2026-11-01 07:30")},
		{"inside the window after fall-back", night, ny, at(t, utc, "2026-11-01 08:00"), true, at(t, utc, "2026-11-01 08:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.h.Open(tt.now, tt.loc); got != tt.open {
				t.Errorf("Open = %v, want %v", got, tt.open)
			}
			next, ok := tt.h.NextOpen(tt.now, tt.loc)
			if !ok || !next.Equal(tt.next) {
				t.Errorf("NextOpen = %v %v, want %v", next.UTC(), ok, tt.next.UTC())
			}
			if ok && !tt.h.Open(next, tt.loc) {
				t.Errorf("not open at NextOpen %v", next)
			}
		})
	}
}

func TestNextOpenNeverOpens(t *testing.T) {
	var days []string
	for d := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == 2026; d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format(time.DateOnly))
	}
	days = append(days, "2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08")
	h, err := NewHours(HoursConfig{Holidays: days})
	if err != nil {
		t.Fatal(err)
	}
	if next, ok := h.NextOpen(at(t, time.UTC, "2026-01-01 00:00"), time.UTC); ok {
		t.Fatalf("NextOpen = %v, want none", next)
	}
}

func TestCountryZones(t *testing.T) {
	z := NewZones()
	for _, cc := range []string{"1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45",
		"46", "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66",
		"81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98"} {
		name := CountryZone(cc)
		if name == "" {
			t.Errorf("no zone for +%s, which interconnect/number knows", cc)
			continue
		}
		if _, err := z.Load(name); err != nil {
			t.Errorf("+%s: %v", cc, err)
		}
	}
	for _, cc := range []string{"212", "234", "254", "351", "353", "358", "380", "852", "853", "855", "856", "880", "886", "965", "966", "971", "972", "974", "977", "998"} {
		if _, err := z.Load(CountryZone(cc)); err != nil {
			t.Errorf("+%s: %v", cc, err)
		}
	}
	for _, tt := range []struct{ num, override, fallback, want string }{
		{"13800138000", "", "", "Asia/Shanghai"},
		{"+14155550100", "", "", "America/New_York"},
		{"+14155550100", "America/Los_Angeles", "", "America/Los_Angeles"},
		{"+2901234", "", "Atlantic/St_Helena", "Atlantic/St_Helena"},
	} {
		if _, got, err := z.ForCallee(mustNumber(t, tt.num), tt.override, tt.fallback); err != nil || got != tt.want {
			t.Errorf("ForCallee(%s, %q, %q) = %q, %v; want %q", tt.num, tt.override, tt.fallback, got, err, tt.want)
		}
	}
	if _, _, err := z.ForCallee(mustNumber(t, "+2901234"), "", ""); !errors.Is(err, ErrUnknownZone) {
		t.Errorf("unknown country without fallback: %v", err)
	}
}

// America/Havana springs forward at midnight (00:00 → 01:00) on
// 2026-03-08: a window starting at 00:00 opens at the transition, never on
// the day before.
func TestNextOpenGapAtMidnight(t *testing.T) {
	hav := mustLoc(t, "America/Havana")
	h, err := NewHours(HoursConfig{Windows: []WindowConfig{{Days: []string{"sun"}, Start: "00:00", End: "02:00"}}})
	if err != nil {
		t.Fatal(err)
	}
	next, ok := h.NextOpen(at(t, time.UTC, "2026-03-07 12:00"), hav)
	if local := next.In(hav); !ok || local.Day() != 8 || !h.Open(next, hav) {
		t.Fatalf("NextOpen = %v (%v)", local, ok)
	}
}
