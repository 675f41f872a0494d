package rating

import (
	"testing"
	"time"

	"softswitch/domain"
)

const from = "2025-01-01T00:00:00Z"

func testRater(t testing.TB) *Rater {
	return rater(t,
		deck(t, "retail", 1, Sell, DefaultAccount,
			"86,0.10,0,60,60,0,"+from+",,CNY",
			"86138,0.06,0.05,6,6,0,"+from+",,CNY",
			"8610,0.02,0,1,1,0,"+from+",,CNY",
			"8620,0.03,0,60,60,0,"+from+",2025-06-01T00:00:00Z,CNY",
			"1,0.50,0,30,6,0,"+from+",,CNY",
			"44,0.30,0,60,60,120,"+from+",,CNY",
		),
		deck(t, "alice-special", 1, Sell, "account:alice",
			"86138,0.01,0,1,1,0,"+from+",,CNY"),
		deck(t, "cm-2025", 1, Buy, "carrier:cm",
			"86,0.05,0,60,60,0,"+from+",,CNY",
			"1,0.004,0,6,6,0,"+from+",,CNY"),
		deck(t, "gw-special", 1, Buy, "trunk:gw-special",
			"86138,0.005,0,1,1,0,"+from+",,CNY"),
	)
}

func TestRate(t *testing.T) {
	r := testRater(t)
	march := at("2025-03-01T10:00:00Z")
	tests := []struct {
		name                     string
		cdr                      domain.CDR
		status                   string
		price, deck, prefix      string
		billable                 int64
		cost, costDeck, costPref string
		costBillable             int64
	}{
		{"60/60 rounds 61 s up to 120", call("bob", "+8613900139000", "", "", march, 61*time.Second),
			"rated", "0.20", "retail@v1", "86", 120, "", "", "", 0},
		{"60/60 exact minute", call("bob", "+8613900139000", "", "", march, 60*time.Second),
			"rated", "0.10", "retail@v1", "86", 60, "", "", "", 0},
		{"6/6 with connect fee, national callee", call("bob", "13800138000", "", "", march, 61*time.Second),
			"rated", "0.116", "retail@v1", "86138", 66, "", "", "", 0},
		{"1/1 a fifth of a second is one second", call("bob", "01012345678", "", "", march, 200*time.Millisecond),
			"rated", "0.000333", "retail@v1", "8610", 1, "", "", "", 0},
		{"30/6 under the first block", call("bob", "+12125551234", "", "", march, 10*time.Second),
			"rated", "0.25", "retail@v1", "1", 30, "", "", "", 0},
		{"30/6 one second over", call("bob", "+12125551234", "", "", march, 31*time.Second),
			"rated", "0.30", "retail@v1", "1", 36, "", "", "", 0},
		{"minimum 120 s", call("bob", "+442071234567", "", "", march, 5*time.Second),
			"rated", "0.60", "retail@v1", "44", 120, "", "", "", 0},
		{"zero answered time: the minimum only", call("bob", "+442071234567", "", "", march, 0),
			"rated", "0.60", "retail@v1", "44", 120, "", "", "", 0},
		{"zero answered time, no minimum: the fee", call("bob", "13800138000", "", "", march, 0),
			"rated", "0.05", "retail@v1", "86138", 0, "", "", "", 0},
		{"effective: last millisecond before the end", call("bob", "02012345678", "", "", at("2025-05-31T23:59:59.999Z"), 60*time.Second),
			"rated", "0.03", "retail@v1", "8620", 60, "", "", "", 0},
		{"effective: at the end the shorter prefix", call("bob", "02012345678", "", "", at("2025-06-01T00:00:00Z"), 60*time.Second),
			"rated", "0.10", "retail@v1", "86", 60, "", "", "", 0},
		{"effective: before the deck starts", call("bob", "02012345678", "", "", at("2024-12-31T23:59:59.999Z"), 60*time.Second),
			"unrated", "", "", "", 60, "", "", "", 0},
		{"account deck beats the default", call("alice", "13800138000", "", "", march, 61*time.Second),
			"rated", "0.010167", "alice-special@v1", "86138", 61, "", "", "", 0},
		{"account deck without the number: the default", call("alice", "+442071234567", "", "", march, 61*time.Second),
			"rated", "0.60", "retail@v1", "44", 120, "", "", "", 0},
		{"buy side from the carrier", call("bob", "13800138000", "cm", "gw1", march, 61*time.Second),
			"rated", "0.116", "retail@v1", "86138", 66, "0.10", "cm-2025@v1", "86", 120},
		{"trunk deck beats the carrier's", call("bob", "13800138000", "cm", "gw-special", march, 61*time.Second),
			"rated", "0.116", "retail@v1", "86138", 66, "0.005083", "gw-special@v1", "86138", 61},
		{"trunk deck without the number: the carrier's", call("bob", "+12125551234", "cm", "gw-special", march, 7*time.Second),
			"rated", "0.25", "retail@v1", "1", 30, "0.0008", "cm-2025@v1", "1", 12},
		{"no buy deck: unrated, the sell side kept", call("bob", "13800138000", "other", "gw9", march, 61*time.Second),
			"unrated", "0.116", "retail@v1", "86138", 66, "", "", "", 0},
		{"number without a rate", call("bob", "+33123456789", "cm", "gw1", march, 61*time.Second),
			"unrated", "", "", "", 61, "", "", "", 0},
		{"not a number through a trunk", call("bob", "x-y", "cm", "gw1", march, 61*time.Second),
			"unrated", "", "", "", 61, "", "", "", 0},
		{"on-net call to a name", call("bob", "alice", "", "", march, 61*time.Second),
			"not_billable", "", "", "", 61, "", "", "", 0},
		{"unanswered", call("bob", "13800138000", "cm", "gw1", march, -1),
			"not_billable", "", "", "", 0, "", "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cdr
			r.Rate(&c)
			g := c.Rating
			if g.RatingStatus != tt.status || g.Price != tt.price || g.RateDeck != tt.deck || g.RatePrefix != tt.prefix || c.BillableS != tt.billable {
				t.Errorf("sell: %s %q %q %q billable %d; want %s %q %q %q billable %d",
					g.RatingStatus, g.Price, g.RateDeck, g.RatePrefix, c.BillableS, tt.status, tt.price, tt.deck, tt.prefix, tt.billable)
			}
			if g.Cost != tt.cost || g.CostDeck != tt.costDeck || g.CostPrefix != tt.costPref || g.CostBillableS != tt.costBillable {
				t.Errorf("buy: %q %q %q billable %d; want %q %q %q billable %d",
					g.Cost, g.CostDeck, g.CostPrefix, g.CostBillableS, tt.cost, tt.costDeck, tt.costPref, tt.costBillable)
			}
			if tt.price != "" && g.Currency != "CNY" || tt.cost != "" && g.CostCurrency != "CNY" {
				t.Errorf("currencies %q %q", g.Currency, g.CostCurrency)
			}
			if g.RatingVersion != 1 {
				t.Errorf("rating version %d, want 1", g.RatingVersion)
			}
		})
	}
}

func TestBillable(t *testing.T) {
	tests := []struct {
		ms                 int64
		first, next, minim int
		want               int64
	}{
		{0, 60, 60, 0, 0},
		{1, 60, 60, 0, 60},
		{60_000, 60, 60, 0, 60},
		{60_001, 60, 60, 0, 120},
		{1, 6, 6, 0, 6},
		{6_001, 6, 6, 0, 12},
		{1, 1, 1, 0, 1},
		{1_001, 1, 1, 0, 2},
		{29_999, 30, 6, 0, 30},
		{30_001, 30, 6, 0, 36},
		{36_000, 30, 6, 0, 36},
		{36_001, 30, 6, 0, 42},
		{5_000, 1, 1, 60, 60},
		{61_000, 1, 1, 60, 61},
		{0, 1, 1, 60, 60},
		{90_000, 60, 60, 90, 120},
		{-5, 6, 6, 0, 0},
	}
	for _, tt := range tests {
		row := Row{IncrementFirstS: tt.first, IncrementNextS: tt.next, MinDurationS: tt.minim}
		if got := Billable(tt.ms, &row); got != tt.want {
			t.Errorf("Billable(%d ms, %d/%d min %d) = %d, want %d", tt.ms, tt.first, tt.next, tt.minim, got, tt.want)
		}
	}
}

// TestReRate: a corrected deck for the same period is published as v2;
// rating the CDR again gives a new rating version with the new price.
func TestReRate(t *testing.T) {
	v1 := deck(t, "retail", 1, Sell, DefaultAccount, "86,0.10,0,60,60,0,"+from+",,CNY")
	v2 := deck(t, "retail", 2, Sell, DefaultAccount, "86,0.08,0,60,60,0,"+from+",,CNY")
	// v3 is next month's price list: in force only from July.
	v3 := deck(t, "retail", 3, Sell, DefaultAccount, "86,0.07,0,60,60,0,2025-07-01T00:00:00Z,,CNY")
	c := call("bob", "13900139000", "", "", at("2025-03-01T10:00:00Z"), 90*time.Second)
	rater(t, v1).Rate(&c)
	first := c.Rating
	if first.Price != "0.20" || first.RateDeck != "retail@v1" || first.RatingVersion != 1 {
		t.Fatalf("v1 rating %+v", first)
	}
	r := rater(t, v1, v2, v3)
	r.Rate(&c)
	if c.Price != "0.16" || c.RateDeck != "retail@v2" || c.RatingVersion != 2 || SameRating(first, c.Rating) {
		t.Fatalf("re-rating %+v", c.Rating)
	}
	again := c
	r.Rate(&again)
	if again.RatingVersion != 3 || !SameRating(c.Rating, again.Rating) {
		t.Fatalf("re-rating with the same decks: %+v", again.Rating)
	}
	july := call("bob", "13900139000", "", "", at("2025-07-01T00:00:00Z"), 90*time.Second)
	r.Rate(&july)
	if july.Price != "0.14" || july.RateDeck != "retail@v3" {
		t.Fatalf("July call %+v", july.Rating)
	}
}

func TestRateNilRater(t *testing.T) {
	var r *Rater
	c := call("bob", "13900139000", "", "", at("2025-03-01T10:00:00Z"), time.Second)
	r.Rate(&c)
	if c.RatingStatus != domain.RatingUnrated {
		t.Fatalf("status %s", c.RatingStatus)
	}
}

func TestSellRate(t *testing.T) {
	r := testRater(t)
	row, d, ok := r.SellRate("alice", "13800138000", at("2025-03-01T10:00:00Z"))
	if !ok || row.Prefix != "86138" || d.Ref != "alice-special@v1" || row.RatePerMin != MustMoney("0.01") {
		t.Fatalf("SellRate = %+v %+v %v", row, d, ok)
	}
	if _, _, ok := r.SellRate("alice", "+33123456789", at("2025-03-01T10:00:00Z")); ok {
		t.Fatal("a number without a rate has a sell rate")
	}
	row, d, ok = r.BuyRate("cm", "gw-special", "+8613800138000", at("2025-03-01T10:00:00Z"))
	if !ok || d.Ref != "gw-special@v1" || row.Prefix != "86138" {
		t.Fatalf("BuyRate = %+v %+v %v", row, d, ok)
	}
}

func TestMaxDuration(t *testing.T) {
	tests := []struct {
		name    string
		balance string
		fee     string
		rate    string
		first   int
		next    int
		minim   int
		want    time.Duration
	}{
		{"60/60: two whole minutes", "0.25", "0", "0.10", 60, 60, 0, 120 * time.Second},
		{"60/60: exactly two minutes", "0.20", "0", "0.10", 60, 60, 0, 120 * time.Second},
		{"60/60: not the first block", "0.09", "0", "0.10", 60, 60, 0, 0},
		{"1/1", "0.10", "0", "0.06", 1, 1, 0, 100 * time.Second},
		{"1/1 with fee", "0.10", "0.04", "0.06", 1, 1, 0, 60 * time.Second},
		{"fee not covered", "0.03", "0.04", "0.06", 1, 1, 0, 0},
		{"30/6", "0.31", "0", "0.50", 30, 6, 0, 36 * time.Second},
		{"30/6 below the first block", "0.24", "0", "0.50", 30, 6, 0, 0},
		{"minimum not covered", "0.10", "0", "0.06", 1, 1, 120, 0},
		{"minimum covered", "0.13", "0", "0.06", 1, 1, 120, 130 * time.Second},
		// 0.000001/min: the rounding half-up lets 30 s cost 0.000001.
		{"half-up rounding", "0.000001", "0", "0.000001", 1, 1, 0, 89 * time.Second},
		{"free rate", "0", "0", "0", 60, 60, 0, Unlimited},
		{"negative balance", "-1", "0", "0", 60, 60, 0, 0},
		{"huge balance", "9223372036854", "0", "0.000001", 1, 1, 0, 9223372036 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := Row{ConnectFee: MustMoney(tt.fee), RatePerMin: MustMoney(tt.rate), IncrementFirstS: tt.first, IncrementNextS: tt.next, MinDurationS: tt.minim}
			bal := MustMoney(tt.balance)
			got := MaxDuration(bal, row)
			if got != tt.want {
				t.Fatalf("MaxDuration = %v, want %v", got, tt.want)
			}
			// The property behind it: a call cut at the answer costs no
			// more than the balance, and one second more would.
			if got > 0 && got != Unlimited && got < time.Hour*24*365 {
				_, amt, ok := row.Charge(got.Milliseconds())
				if !ok || amt > bal {
					t.Fatalf("a call of %v costs %s > %s", got, amt, bal)
				}
				_, more, _ := row.Charge(got.Milliseconds() + 1)
				if more <= bal && more != amt {
					t.Fatalf("a call of %v + 1 ms costs %s, still within %s", got, more, bal)
				}
			}
		})
	}
}
