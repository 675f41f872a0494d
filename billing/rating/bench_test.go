package rating

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/interconnect/number"
)

// benchDecks are a realistic pair: 30,000 prefixes a side (China's
// mobile blocks to 7 digits, plus international destinations), the sell
// side with two versions in force at different times.
func benchDecks(b *testing.B) (*Rater, []domain.CDR) {
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(name string, version int, side Side, owner string, from time.Time) Deck {
		d := Deck{Name: name, Version: version, Side: side, Owner: owner, Currency: "CNY"}
		seen := map[string]bool{}
		add := func(p string) {
			if seen[p] {
				return
			}
			seen[p] = true
			d.Rows = append(d.Rows, Row{Prefix: p, RatePerMin: Money(rng.IntN(200_000) + 1000), ConnectFee: Money(rng.IntN(3) * 10_000),
				IncrementFirstS: []int{60, 6, 1, 30}[rng.IntN(4)], IncrementNextS: []int{60, 6, 1, 6}[rng.IntN(4)], From: from})
		}
		add("86")
		for len(d.Rows) < 25_000 {
			add("861" + strconv.Itoa(30+rng.IntN(70)) + strconv.Itoa(rng.IntN(10_000)))
		}
		for len(d.Rows) < 30_000 {
			add(strconv.Itoa(1+rng.IntN(9)) + strconv.Itoa(rng.IntN(100_000)))
		}
		return d
	}
	r, err := NewRater([]Deck{
		mk("retail", 1, Sell, DefaultAccount, t0),
		mk("retail", 2, Sell, DefaultAccount, t0.AddDate(0, 6, 0)),
		mk("cm", 1, Buy, "carrier:cm", t0),
	})
	if err != nil {
		b.Fatal(err)
	}
	cdrs := make([]domain.CDR, 1<<14)
	for i := range cdrs {
		start := t0.Add(time.Duration(rng.IntN(365*24)) * time.Hour)
		callee := "1" + strconv.Itoa(30+rng.IntN(70)) + strconv.Itoa(10_000_000+rng.IntN(90_000_000))
		if i%5 == 0 {
			callee = "+44" + strconv.Itoa(1_000_000_000+rng.IntN(900_000_000))
		}
		cdrs[i] = domain.CDR{ID: strconv.Itoa(i), Caller: "u" + strconv.Itoa(i%1000), Callee: callee, Carrier: "cm", Trunk: "gw1",
			Start: domain.Timestamp(start), Answer: domain.Timestamp(start.Add(3 * time.Second)),
			End: domain.Timestamp(start.Add(3*time.Second + time.Duration(rng.IntN(600_000))*time.Millisecond))}
	}
	return r, cdrs
}

// BenchmarkRate is the rating function the pipeline calls: both sides,
// the callee normalized, amounts formatted into the CDR.
func BenchmarkRate(b *testing.B) {
	r, cdrs := benchDecks(b)
	rated := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := &cdrs[i&(len(cdrs)-1)]
		r.Rate(c)
		if c.RatingStatus == domain.RatingRated {
			rated++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cdrs/s")
	b.ReportMetric(float64(rated)/float64(b.N), "rated/op")
}

// BenchmarkRateCore is the matching and pricing alone, on E.164 numbers
// and without formatting: what spend control's per-call quote costs.
func BenchmarkRateCore(b *testing.B) {
	r, cdrs := benchDecks(b)
	type in struct {
		e164         string
		start, answd int64
	}
	ins := make([]in, len(cdrs))
	for i, c := range cdrs {
		n, err := number.Normalize(c.Callee)
		if err != nil {
			b.Fatal(err)
		}
		ins[i] = in{n.E164(), c.Start.Time().UnixMilli(), c.End.Time().Sub(c.Answer.Time()).Milliseconds()}
	}
	var sum Money
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x := &ins[i&(len(ins)-1)]
		s, _ := r.sell("u1", x.e164, x.start, x.answd)
		c, _ := r.buy("cm", "gw1", x.e164, x.start, x.answd)
		sum += s.Amount + c.Amount
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cdrs/s")
	_ = sum
}
