package rating

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const sampleCSV = CSVHeader + `
86,0.10,0,60,60,0,2025-01-01T00:00:00Z,,CNY
86138,0.0123,0.05,6,6,0,2025-01-01T00:00:00Z,2025-07-01T00:00:00Z,CNY
86138,0.0100,0.05,6,6,0,2025-07-01T00:00:00Z,,CNY

1,0.5,0,30,6,30,2025-01-01T00:00:00+08:00,,CNY
`

func TestParseCSV(t *testing.T) {
	rows, cur, err := ParseCSV(strings.NewReader(sampleCSV))
	if err != nil {
		t.Fatal(err)
	}
	if cur != "CNY" || len(rows) != 4 {
		t.Fatalf("currency %q, %d rows", cur, len(rows))
	}
	r := rows[3]
	if r.Prefix != "1" || r.RatePerMin != MustMoney("0.5") || r.IncrementFirstS != 30 || r.IncrementNextS != 6 || r.MinDurationS != 30 {
		t.Fatalf("row 3 = %+v", r)
	}
	if want := time.Date(2024, 12, 31, 16, 0, 0, 0, time.UTC); !r.From.Equal(want) || r.From.Location() != time.UTC || !r.To.IsZero() {
		t.Fatalf("row 3 period %v..%v", r.From, r.To)
	}
}

func TestParseCSVErrors(t *testing.T) {
	const ok = "86,0.1,0,60,60,0,2025-01-01T00:00:00Z,,CNY"
	tests := []struct {
		name   string
		csv    string
		line   int
		column string
		is     error
	}{
		{"empty", "", 1, "", ErrCSVHeader},
		{"header order", "rate_per_min,prefix,connect_fee,increment_first_s,increment_next_s,min_duration_s,effective_from,effective_to,currency\n" + ok, 1, "", ErrCSVHeader},
		{"header extra", CSVHeader + ",note\n" + ok, 1, "", ErrCSVHeader},
		{"no rows", CSVHeader + "\n", 2, "", nil},
		{"fields", CSVHeader + "\n" + ok + "\n86,0.1\n", 3, "", nil},
		{"prefix", CSVHeader + "\n+86,0.1,0,60,60,0,2025-01-01T00:00:00Z,,CNY", 2, "prefix", nil},
		{"rate", CSVHeader + "\n86,0.1e2,0,60,60,0,2025-01-01T00:00:00Z,,CNY", 2, "rate_per_min", ErrMoneySyntax},
		{"rate precision", CSVHeader + "\n86,0.1234567,0,60,60,0,2025-01-01T00:00:00Z,,CNY", 2, "rate_per_min", ErrMoneyPrecision},
		{"negative rate", CSVHeader + "\n86,-0.1,0,60,60,0,2025-01-01T00:00:00Z,,CNY", 2, "rate_per_min", nil},
		{"fee", CSVHeader + "\n86,0.1,x,60,60,0,2025-01-01T00:00:00Z,,CNY", 2, "connect_fee", ErrMoneySyntax},
		{"first increment", CSVHeader + "\n86,0.1,0,0,60,0,2025-01-01T00:00:00Z,,CNY", 2, "increment_first_s", nil},
		{"next increment", CSVHeader + "\n86,0.1,0,60,6.5,0,2025-01-01T00:00:00Z,,CNY", 2, "increment_next_s", nil},
		{"minimum", CSVHeader + "\n86,0.1,0,60,60,-1,2025-01-01T00:00:00Z,,CNY", 2, "min_duration_s", nil},
		{"from missing", CSVHeader + "\n86,0.1,0,60,60,0,,,CNY", 2, "effective_from", nil},
		{"from format", CSVHeader + "\n86,0.1,0,60,60,0,2025-01-01,,CNY", 2, "effective_from", nil},
		{"sub-millisecond", CSVHeader + "\n86,0.1,0,60,60,0,2025-01-01T00:00:00.0001Z,,CNY", 2, "effective_from", nil},
		{"to before from", CSVHeader + "\n86,0.1,0,60,60,0,2025-01-01T00:00:00Z,2025-01-01T00:00:00Z,CNY", 2, "effective_to", nil},
		{"currency", CSVHeader + "\n86,0.1,0,60,60,0,2025-01-01T00:00:00Z,,cny", 2, "currency", nil},
		{"two currencies", CSVHeader + "\n" + ok + "\n1,0.1,0,60,60,0,2025-01-01T00:00:00Z,,USD", 3, "currency", nil},
		{"overlap", CSVHeader + "\n" + ok + "\n1,0.1,0,60,60,0,2025-01-01T00:00:00Z,,CNY\n86,0.2,0,60,60,0,2025-06-01T00:00:00Z,,CNY", 4, "effective_from", nil},
		{"duplicate", CSVHeader + "\n" + ok + "\n" + ok, 3, "effective_from", nil},
		{"quote", CSVHeader + "\n" + ok + "\n86,\"0.1,0,60\n", 3, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseCSV(strings.NewReader(tt.csv))
			var ce *CSVError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *CSVError", err)
			}
			if ce.Line != tt.line || ce.Column != tt.column {
				t.Fatalf("err = %v: line %d column %q, want line %d column %q", err, ce.Line, ce.Column, tt.line, tt.column)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
		})
	}
}

func TestDeckValidate(t *testing.T) {
	rows, _, err := ParseCSV(strings.NewReader(sampleCSV))
	if err != nil {
		t.Fatal(err)
	}
	good := Deck{Name: "retail", Version: 1, Side: Sell, Owner: DefaultAccount, Currency: "CNY", Rows: rows}
	tests := []struct {
		name  string
		edit  func(d *Deck)
		field string
	}{
		{"good", func(d *Deck) {}, ""},
		{"account", func(d *Deck) { d.Owner = "account:alice" }, ""},
		{"carrier", func(d *Deck) { d.Side, d.Owner = Buy, "carrier:cm" }, ""},
		{"trunk", func(d *Deck) { d.Side, d.Owner = Buy, "trunk:gw1" }, ""},
		{"name", func(d *Deck) { d.Name = "a b" }, "name"},
		{"version", func(d *Deck) { d.Version = 0 }, "version"},
		{"side", func(d *Deck) { d.Side = "both" }, "side"},
		{"sell to a carrier", func(d *Deck) { d.Owner = "carrier:cm" }, "owner"},
		{"buy from an account", func(d *Deck) { d.Side = Buy }, "owner"},
		{"owner syntax", func(d *Deck) { d.Owner = "alice" }, "owner"},
		{"currency", func(d *Deck) { d.Currency = "RMB1" }, "currency"},
		{"no rows", func(d *Deck) { d.Rows = nil }, "rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := good
			tt.edit(&d)
			err := d.Validate()
			var de *DeckError
			switch {
			case tt.field == "" && err != nil:
				t.Fatal(err)
			case tt.field != "" && (!errors.As(err, &de) || de.Field != tt.field || !errors.Is(err, ErrInvalidDeck)):
				t.Fatalf("err = %v, want a DeckError on %s", err, tt.field)
			}
		})
	}
}

func TestDeckEventRoundTrip(t *testing.T) {
	rows, _, err := ParseCSV(strings.NewReader(sampleCSV))
	if err != nil {
		t.Fatal(err)
	}
	d := Deck{Name: "retail", Version: 3, Side: Sell, Owner: DefaultAccount, Currency: "CNY", Rows: rows}
	e := d.Event()
	if e.AggregateKey() != "deck:retail" || e.Rows[1].RatePerMin != "0.0123" || e.Rows[0].EffectiveTo.Time().IsZero() == false {
		t.Fatalf("event %+v", e)
	}
	back, err := DeckFromEvent(e)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		a, b := rows[i], back.Rows[i]
		if a.Prefix != b.Prefix || a.RatePerMin != b.RatePerMin || a.ConnectFee != b.ConnectFee || !a.From.Equal(b.From) || !a.To.Equal(b.To) {
			t.Fatalf("row %d: %+v, want %+v", i, b, a)
		}
	}
}
