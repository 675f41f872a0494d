package compliance

import (
	"testing"
	"time"

	"softswitch/interconnect/number"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// at parses "2006-01-02 15:04" in loc: the tests' fixed clock.
func at(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func mustKey(t testing.TB, s string) uint64 {
	t.Helper()
	k, err := ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustNumber(t testing.TB, s string) number.Number {
	t.Helper()
	n, err := number.Normalize(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
