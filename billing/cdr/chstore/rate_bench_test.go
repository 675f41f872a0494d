package chstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"softswitch/billing/cdr/chstore"
	"softswitch/billing/rating"
	"softswitch/domain"
)

// BenchmarkRateAndPut is issue 5's end-to-end figure: CDRs rated on both
// sides (decks of 10k prefixes each) and inserted into ClickHouse, as the
// Kafka path's flush does (PutRecords).
func BenchmarkRateAndPut(b *testing.B) {
	ctx := context.Background()
	cfg := newDatabase(b)
	s, err := chstore.Open(ctx, cfg, testLogger(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	deck := func(name string, side rating.Side, owner, rate string) rating.Deck {
		var csv strings.Builder
		csv.WriteString(rating.CSVHeader + "\n")
		for i := range 10_000 {
			fmt.Fprintf(&csv, "44%04d,%s,0,60,60,0,2020-01-01T00:00:00Z,,CNY\n", i, rate)
		}
		csv.WriteString("4420,0.0100,0,60,60,0,2020-01-01T00:00:00Z,,CNY\n")
		rows, cur, err := rating.ParseCSV(strings.NewReader(csv.String()))
		if err != nil {
			b.Fatal(err)
		}
		return rating.Deck{Name: name, Version: 1, Side: side, Owner: owner, Currency: cur, Rows: rows}
	}
	rater, err := rating.NewRater([]rating.Deck{
		deck("retail", rating.Sell, rating.DefaultAccount, "0.0300"),
		deck("carrier", rating.Buy, "carrier:uk", "0.0100"),
	})
	if err != nil {
		b.Fatal(err)
	}
	const n = 50_000
	base := benchCDRs(n, benchStart)
	for i := range base {
		base[i].Carrier = "uk"
		base[i].Callee = "+" + base[i].Callee
	}
	rs := make([]domain.CDR, n)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		copy(rs, base)
		for i := range rs {
			rater.Rate(&rs[i])
		}
		if err := s.PutRecords(ctx, rs); err != nil {
			b.Fatal(err)
		}
	}
	if rs[0].RatingStatus != domain.RatingRated {
		b.Fatalf("benchmark CDRs not rated: %+v", rs[0].Rating)
	}
	b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "cdrs/s")
}
