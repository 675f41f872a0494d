package compliance

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Calling-hours defaults: Monday to Friday 09:00–20:00 and Saturday
// 10:00–18:00 in the callee's local time, no calls on Sunday. They sit
// inside the FCC's 8 a.m.–9 p.m. for telephone solicitations (47 CFR
// 64.1200(c)(1)) and are a narrower, conservative choice for China, where
// no national hour rule binds a dialer but platforms and carriers expect
// calls in business hours.
const (
	DefaultHoursName = "default"
	// maxScanDays bounds NextOpen: a year and a week covers every weekday
	// after a full year of holidays.
	maxScanDays = 373
)

// DefaultWindows returns the default calling windows.
func DefaultWindows() []WindowConfig {
	return []WindowConfig{
		{Days: []string{"mon-fri"}, Start: "09:00", End: "20:00"},
		{Days: []string{"sat"}, Start: "10:00", End: "18:00"},
	}
}

// HoursConfig is a campaign's `hours:` section. Times are wall-clock
// times in the callee's zone.
type HoursConfig struct {
	// Name identifies the rule in decisions ("hours rule used"). Default
	// "default".
	Name string `yaml:"name"`
	// Windows are when calls may start; empty means DefaultWindows.
	Windows []WindowConfig `yaml:"windows"`
	// Holidays are dates, YYYY-MM-DD, in the callee's zone, with no calls.
	Holidays []string `yaml:"holidays"`
	// FallbackZone is the IANA zone for a callee whose country code the
	// zone table lacks and whose lead gives none. Empty: such callees are
	// refused (reason "unknown_zone") rather than called at a guessed hour.
	FallbackZone string `yaml:"fallback_zone"`
}

// WindowConfig opens [Start, End) on each of Days.
type WindowConfig struct {
	// Days: "mon" … "sun", or a range such as "mon-fri".
	Days []string `yaml:"days"`
	// Start and End: "HH:MM", 24-hour; End may be "24:00".
	Start string `yaml:"start"`
	End   string `yaml:"end"`
}

func (c *HoursConfig) setDefaults() {
	if c.Name == "" {
		c.Name = DefaultHoursName
	}
	if len(c.Windows) == 0 {
		c.Windows = DefaultWindows()
	}
}

// Hours is a compiled HoursConfig; immutable, safe for concurrent use.
type Hours struct {
	name     string
	days     [7][]span // by time.Weekday, sorted by start
	holidays []int32   // sorted yyyymmdd
	fallback string
}

// span is [start, end) in minutes after local midnight.
type span struct{ start, end int32 }

// Validate reports every invalid field as a *ConfigError named under
// "hours.", joined with errors.Join.
func (c HoursConfig) Validate() error {
	_, err := c.compile("hours")
	return err
}

// NewHours validates c and compiles it.
func NewHours(c HoursConfig) (*Hours, error) { return c.compile("hours") }

func (c HoursConfig) compile(field string) (*Hours, error) {
	c.setDefaults()
	var errs fieldErrs
	h := &Hours{name: c.Name, fallback: c.FallbackZone}
	for i, w := range c.Windows {
		f := idx(field+".windows", i)
		start, err1 := parseClock(w.Start)
		if err1 != nil {
			errs.add(f+".start", err1)
		}
		end, err2 := parseClock(w.End)
		if err2 != nil {
			errs.add(f+".end", err2)
		}
		if err1 == nil && err2 == nil && start >= end {
			errs.add(f+".start", fmt.Errorf("%w: start %s is not before end %s", ErrInvalidValue, w.Start, w.End))
		}
		if len(w.Days) == 0 {
			errs.add(f+".days", fmt.Errorf("%w: no days", ErrInvalidValue))
		}
		for j, d := range w.Days {
			from, to, err := parseDays(d)
			if err != nil {
				errs.add(idx(f+".days", j), err)
				continue
			}
			for wd := from; ; wd = (wd + 1) % 7 {
				h.days[wd] = append(h.days[wd], span{start, end})
				if wd == to {
					break
				}
			}
		}
	}
	for i, s := range c.Holidays {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			errs.add(idx(field+".holidays", i), fmt.Errorf("%w: %q is not YYYY-MM-DD", ErrInvalidValue, s))
			continue
		}
		h.holidays = append(h.holidays, dateKey(t))
	}
	if c.FallbackZone != "" {
		if _, err := loadZone(c.FallbackZone); err != nil {
			errs.add(field+".fallback_zone", err)
		}
	}
	if len(errs) > 0 {
		return nil, errs.join()
	}
	for wd := range h.days {
		slices.SortFunc(h.days[wd], func(a, b span) int { return int(a.start - b.start) })
	}
	slices.Sort(h.holidays)
	return h, nil
}

// Name returns the rule's name, for decisions.
func (h *Hours) Name() string { return h.name }

// FallbackZone returns the configured fallback zone ("" for none).
func (h *Hours) FallbackZone() string { return h.fallback }

// Open reports whether a call may start at now for a callee in loc.
func (h *Hours) Open(now time.Time, loc *time.Location) bool {
	t := now.In(loc)
	if h.holiday(dateKey(t)) {
		return false
	}
	m := int32(t.Hour()*60 + t.Minute())
	for _, s := range h.days[t.Weekday()] {
		if s.start <= m && m < s.end {
			return true
		}
	}
	return false
}

// NextOpen returns when a call to a callee in loc may next start: now
// itself if the window is open, else the next window's start. ok is false
// when no window opens within a year. A start that falls in a daylight
// saving gap (02:30 on the spring-forward night) never happens on the wall
// clock; the window opens at the transition (03:00), the first instant the
// wall clock is past the start.
func (h *Hours) NextOpen(now time.Time, loc *time.Location) (time.Time, bool) {
	t := now.In(loc)
	y, mo, d := t.Date()
	for off := 0; off < maxScanDays; off++ {
		// Calendar arithmetic in UTC: midnight in loc may not exist (a
		// DST gap at 00:00) and would land on the day before.
		day := time.Date(y, mo, d+off, 12, 0, 0, 0, time.UTC)
		if h.holiday(dateKey(day)) {
			continue
		}
		dy, dm, dd := day.Date()
		for _, s := range h.days[day.Weekday()] {
			start := wallTime(dy, dm, dd, s.start, loc)
			if !start.Before(now) {
				return start, true
			}
			end := wallTime(dy, dm, dd, s.end, loc)
			if now.Before(end) {
				return now, true
			}
		}
	}
	return time.Time{}, false
}

// wallTime is the instant the wall clock of loc reads min minutes after
// midnight on the date. For a time in a DST gap, time.Date may pick either
// offset (Go does not promise which, and picks the earlier instant for
// America/New_York, which would open a window an hour early); the instant
// wanted is the transition itself, the bound of the zone period time.Date
// landed in.
func wallTime(y int, m time.Month, d int, min int32, loc *time.Location) time.Time {
	t := time.Date(y, m, d, int(min/60), int(min%60), 0, 0, loc)
	if min == 24*60 {
		return t
	}
	// Compare (date, minute) as one number: a gap at midnight can put
	// time.Date's answer on the day before.
	want := int64(dateKey(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)))*1440 + int64(min)
	got := int64(dateKey(t))*1440 + int64(t.Hour()*60+t.Minute())
	if got == want {
		return t
	}
	start, end := t.ZoneBounds()
	if got < want && !end.IsZero() {
		return end
	}
	return start
}

func (h *Hours) holiday(k int32) bool {
	_, ok := slices.BinarySearch(h.holidays, k)
	return ok
}

func dateKey(t time.Time) int32 {
	y, m, d := t.Date()
	return int32(y*10000 + int(m)*100 + d)
}

// parseClock reads "HH:MM" (00:00–24:00) as minutes after midnight.
func parseClock(s string) (int32, error) {
	bad := fmt.Errorf("%w: %q is not HH:MM between 00:00 and 24:00", ErrInvalidValue, s)
	if len(s) != 5 || s[2] != ':' {
		return 0, bad
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, bad
		}
	}
	hh := int32(s[0]-'0')*10 + int32(s[1]-'0')
	mm := int32(s[3]-'0')*10 + int32(s[4]-'0')
	if mm > 59 || hh > 24 || hh == 24 && mm != 0 {
		return 0, bad
	}
	return hh*60 + mm, nil
}

// parseDays reads "mon" or a range "mon-fri" (a range may wrap: "sat-mon").
func parseDays(s string) (from, to time.Weekday, err error) {
	a, b, isRange := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "-")
	from, ok1 := parseDay(a)
	to, ok2 := from, true
	if isRange {
		to, ok2 = parseDay(b)
	}
	if !ok1 || !ok2 {
		return 0, 0, fmt.Errorf("%w: unknown weekday %q (mon … sun, or a range such as mon-fri)", ErrInvalidValue, s)
	}
	return from, to, nil
}

func parseDay(s string) (time.Weekday, bool) {
	i := slices.Index([]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}, s)
	return time.Weekday(i), i >= 0
}
