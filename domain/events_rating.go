package domain

// Rating events (issue 5). A rate deck is published whole: one event per
// version, so the deck a CDR was rated with ("name@vN") can always be
// read back from the log. The aggregate is "deck:<name>"; versions of one
// name count 1, 2, … in publication order. Amounts are exact decimal
// strings (billing/rating's Money), never floats.

const TypeRateDeckPublished = "rates.deck_published"

// DeckKey is the aggregate key of a rate deck.
func DeckKey(name string) string { return "deck:" + name }

// Rate deck sides.
const (
	SideBuy  = "buy"  // what a carrier charges us
	SideSell = "sell" // what we charge an account
)

// Rating statuses of a CDR (Rating.RatingStatus).
const (
	RatingRated       = "rated"
	RatingUnrated     = "unrated"
	RatingNotBillable = "not_billable"
)

// RateDeckPublished is one version of a rate deck, rows included.
type RateDeckPublished struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
	// Side is SideBuy or SideSell; Owner is whose prices these are:
	// "carrier:<name>" or "trunk:<name>" (buy), "account:<user>" or the
	// default "account:*" (sell).
	Side  string `json:"side"`
	Owner string `json:"owner"`
	// Currency is ISO 4217; one per deck.
	Currency string        `json:"currency"`
	Rows     []RateDeckRow `json:"rows"`
}

func (RateDeckPublished) EventType() string      { return TypeRateDeckPublished }
func (RateDeckPublished) SchemaVersion() int     { return 1 }
func (e RateDeckPublished) AggregateKey() string { return DeckKey(e.Name) }

// RateDeckRow is one rate: the CSV row of `softswitch rates import`.
type RateDeckRow struct {
	Prefix          string `json:"prefix"`
	RatePerMin      string `json:"rate_per_min"`
	ConnectFee      string `json:"connect_fee"`
	IncrementFirstS int    `json:"increment_first_s"`
	IncrementNextS  int    `json:"increment_next_s"`
	MinDurationS    int    `json:"min_duration_s"`
	// EffectiveFrom is inclusive; EffectiveTo exclusive, null when the
	// rate is open-ended.
	EffectiveFrom Timestamp `json:"effective_from"`
	EffectiveTo   Timestamp `json:"effective_to"`
}
