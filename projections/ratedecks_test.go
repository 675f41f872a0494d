package projections

import (
	"strings"
	"testing"
	"time"

	"softswitch/billing/rating"
	"softswitch/domain"
)

func deckEnvelope(t *testing.T, pos uint64, name string, version int, side rating.Side, owner, rate string) domain.Envelope {
	t.Helper()
	rows, cur, err := rating.ParseCSV(strings.NewReader(rating.CSVHeader + "\n86," + rate + ",0,60,60,0,2025-01-01T00:00:00Z,,CNY"))
	if err != nil {
		t.Fatal(err)
	}
	d := rating.Deck{Name: name, Version: version, Side: side, Owner: owner, Currency: cur, Rows: rows}
	env, err := domain.Seal(d.Event(), "n1-x", "n1", uint64(version), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	env.Position = pos
	return env
}

func TestRateDecks(t *testing.T) {
	p := NewRateDecks()
	if p.Rater().Decks() != 0 {
		t.Fatal("empty projection has decks")
	}
	steps := []struct {
		env     domain.Envelope
		skipped int
	}{
		{deckEnvelope(t, 1, "retail", 1, rating.Sell, rating.DefaultAccount, "0.10"), 0},
		{deckEnvelope(t, 2, "retail", 3, rating.Sell, rating.DefaultAccount, "0.07"), 1}, // a gap
		{deckEnvelope(t, 3, "retail", 2, rating.Sell, "account:bob", "0.07"), 2},         // another owner
		{deckEnvelope(t, 4, "cm", 1, rating.Buy, "carrier:cm", "0.05"), 2},
	}
	for _, s := range steps {
		if err := p.Apply(s.env, nil); err != nil {
			t.Fatal(err)
		}
		if n := len(p.Skipped()); n != s.skipped {
			t.Fatalf("after position %d: %d skipped (%v), want %d", s.env.Position, n, p.Skipped(), s.skipped)
		}
	}
	c := domain.CDR{Caller: "bob", Callee: "13900139000", Carrier: "cm",
		Start:  domain.Timestamp(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)),
		Answer: domain.Timestamp(time.Date(2025, 3, 1, 0, 0, 1, 0, time.UTC)),
		End:    domain.Timestamp(time.Date(2025, 3, 1, 0, 1, 1, 0, time.UTC))}
	old := p.Rater()
	if old != p.Rater() {
		t.Fatal("Rater rebuilt without a change")
	}
	v1 := c
	old.Rate(&v1)
	if v1.RatingStatus != domain.RatingRated || v1.Price != "0.10" || v1.Cost != "0.05" || v1.RateDeck != "retail@v1" {
		t.Fatalf("v1 rating %+v", v1.Rating)
	}
	if n, err := p.NextVersion("retail", rating.Sell, rating.DefaultAccount); err != nil || n != 2 {
		t.Fatalf("NextVersion = %d, %v", n, err)
	}
	if _, err := p.NextVersion("retail", rating.Buy, "carrier:cm"); err == nil {
		t.Fatal("NextVersion accepts another owner for a name")
	}
	if err := p.Apply(deckEnvelope(t, 5, "retail", 2, rating.Sell, rating.DefaultAccount, "0.08"), nil); err != nil {
		t.Fatal(err)
	}
	r := p.Rater()
	if r == old || r.Decks() != 3 {
		t.Fatalf("no new snapshot after a publication: %d decks", r.Decks())
	}
	v2 := v1
	r.Rate(&v2)
	if v2.Price != "0.08" || v2.RateDeck != "retail@v2" || v2.RatingVersion != 2 {
		t.Fatalf("re-rating %+v", v2.Rating)
	}
	// The old snapshot is unchanged.
	again := c
	old.Rate(&again)
	if again.Price != "0.10" {
		t.Fatalf("old snapshot changed: %+v", again.Rating)
	}
	if d, ok := p.Version("retail", 1); !ok || d.Rows[0].RatePerMin != rating.MustMoney("0.10") {
		t.Fatalf("Version(retail, 1) = %+v, %v", d, ok)
	}
	if got := len(p.Versions(rating.Sell, rating.DefaultAccount)); got != 2 {
		t.Fatalf("%d versions of the default sell deck", got)
	}
	if p.Seq("deck:retail") != 3 || strings.Join(p.Names(), ",") != "cm,retail" {
		t.Fatalf("seq %d names %v", p.Seq("deck:retail"), p.Names())
	}
}
