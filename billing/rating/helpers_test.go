package rating

import (
	"strings"
	"testing"
	"time"

	"softswitch/domain"
)

// deck builds a deck from CSV rows (without the header).
func deck(t testing.TB, name string, version int, side Side, owner string, rows ...string) Deck {
	t.Helper()
	rs, cur, err := ParseCSV(strings.NewReader(CSVHeader + "\n" + strings.Join(rows, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	return Deck{Name: name, Version: version, Side: side, Owner: owner, Currency: cur, Rows: rs}
}

func rater(t testing.TB, decks ...Deck) *Rater {
	t.Helper()
	r, err := NewRater(decks)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// call is an answered CDR: start, then answered after 2 s for answered.
func call(caller, callee, carrier, trunk string, start time.Time, answered time.Duration) domain.CDR {
	c := domain.CDR{
		ID: "id-" + callee, CallID: "c-" + callee, Caller: caller, Callee: callee, Carrier: carrier, Trunk: trunk,
		Start: domain.Timestamp(start), Disposition: domain.DispositionAnswered, SIPCode: 200,
	}
	if answered >= 0 {
		c.Answer = domain.Timestamp(start.Add(2 * time.Second))
		c.End = domain.Timestamp(start.Add(2*time.Second + answered))
	} else {
		c.End = domain.Timestamp(start.Add(5 * time.Second))
		c.Disposition, c.SIPCode = domain.DispositionNoAnswer, 487
	}
	return c
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}
