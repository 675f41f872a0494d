package rating

import (
	"time"

	"softswitch/domain"
	"softswitch/interconnect/number"
)

// Owners are the parties a call is rated for: the sell side's account
// and the buy side's carrier and trunk.
type Owners struct {
	Account string
	Carrier string
	Trunk   string
}

// OwnersOf are a CDR's own parties: the caller is the account, and the
// carrier and trunk are the answered leg's (domain.CDR.Carrier/Trunk).
func OwnersOf(c *domain.CDR) Owners {
	return Owners{Account: c.Caller, Carrier: c.Carrier, Trunk: c.Trunk}
}

// Rate fills c's Rating in place for the parties of OwnersOf(c); see
// RateFor. In place because the pipeline rates whole batches
// (for i := range batch { r.Rate(&batch[i]) }): a CDR is ~500 bytes and
// its copies would cost more than the rating.
func (r *Rater) Rate(c *domain.CDR) { r.RateFor(c, OwnersOf(c)) }

// RateFor fills c's Rating for the given parties and adds one to its
// RatingVersion, so rating a CDR again (with corrected decks) yields a
// new version. The rules (docs/rating.md):
//
//   - not answered: not_billable, no amounts;
//   - answered: the sell side from the account's deck in force at the
//     call's start, else the default deck (account:*) in force; the buy
//     side, when the call left through a trunk, from the trunk's deck in
//     force, else the carrier's. The longest prefix of the callee's
//     E.164 form with a row in force at the start wins;
//   - rated when every side that applies found a rate, else unrated (the
//     sides that did are still filled); an on-net call whose callee is
//     not a number (a subscriber's name) is not_billable.
//
// BillableS becomes the sell side's billable seconds, or the answered
// seconds rounded up when the sell side has no rate. A nil Rater rates
// everything unrated.
func (r *Rater) RateFor(c *domain.CDR, o Owners) {
	version := c.RatingVersion + 1
	c.Rating = domain.Rating{RatingVersion: version}
	if c.Answer.Time().IsZero() || c.End.Time().IsZero() {
		c.RatingStatus = domain.RatingNotBillable
		c.BillableS = 0
		return
	}
	answeredMS := c.End.Time().Sub(c.Answer.Time()).Milliseconds()
	c.BillableS = (max(answeredMS, 0) + 999) / 1000
	trunked := o.Carrier != "" || o.Trunk != ""
	n, err := number.Normalize(c.Callee)
	if err != nil {
		c.RatingStatus = domain.RatingUnrated
		if !trunked {
			c.RatingStatus = domain.RatingNotBillable
		}
		return
	}
	e164, start := n.E164(), c.Start.Time().UnixMilli()
	c.RatingStatus = domain.RatingRated
	if s, ok := r.sell(o.Account, e164, start, answeredMS); ok {
		c.Price, c.Currency, c.RateDeck, c.RatePrefix, c.BillableS = s.Amount.String(), s.deck.Currency, s.deck.Ref, s.row.Prefix, s.BillableS
	} else {
		c.RatingStatus = domain.RatingUnrated
	}
	if !trunked {
		return
	}
	if b, ok := r.buy(o.Carrier, o.Trunk, e164, start, answeredMS); ok {
		c.Cost, c.CostCurrency, c.CostDeck, c.CostPrefix, c.CostBillableS = b.Amount.String(), b.deck.Currency, b.deck.Ref, b.row.Prefix, b.BillableS
	} else {
		c.RatingStatus = domain.RatingUnrated
	}
}

// charge is one side's rating, before any formatting.
type charge struct {
	Amount    Money
	BillableS int64
	deck      *DeckInfo
	row       *compiledRow
}

func (r *Rater) sell(account, e164 string, start, answeredMS int64) (charge, bool) {
	row, d := r.sellRow(account, e164, start)
	return price(row, d, answeredMS)
}

func (r *Rater) buy(carrier, trunk, e164 string, start, answeredMS int64) (charge, bool) {
	row, d := r.buyRow(carrier, trunk, e164, start)
	return price(row, d, answeredMS)
}

func price(row *compiledRow, d *compiled, answeredMS int64) (charge, bool) {
	if row == nil {
		return charge{}, false
	}
	b := Billable(answeredMS, &row.Row)
	amt, ok := Amount(row.ConnectFee, row.RatePerMin, b)
	if !ok {
		return charge{}, false
	}
	return charge{Amount: amt, BillableS: b, deck: &d.info, row: row}, true
}

// sellRow finds the account's row, else the default deck's
// (account:*): the account's deck in force at start is asked first, and
// the default deck when it has none in force or no rate for the number.
// So an account's deck may list only its special prices, and a gap in
// it is priced at list price rather than left unrated.
func (r *Rater) sellRow(account, e164 string, start int64) (*compiledRow, *compiled) {
	if r == nil {
		return nil, nil
	}
	return r.first(e164, start, ownerKey{Sell, OwnerAccount, account}, ownerKey{Sell, OwnerAccount, "*"})
}

// buyRow finds the trunk's row, else the carrier's, in the same way: a
// trunk's own deck (a gateway with its own prices) beats its carrier's.
func (r *Rater) buyRow(carrier, trunk, e164 string, start int64) (*compiledRow, *compiled) {
	if r == nil {
		return nil, nil
	}
	var tk, ck ownerKey
	if trunk != "" {
		tk = ownerKey{Buy, OwnerTrunk, trunk}
	}
	if carrier != "" {
		ck = ownerKey{Buy, OwnerCarrier, carrier}
	}
	return r.first(e164, start, tk, ck)
}

// first is the row of the first owner (in order) whose deck in force has
// a rate for e164; a zero key is skipped.
func (r *Rater) first(e164 string, start int64, keys ...ownerKey) (*compiledRow, *compiled) {
	for _, k := range keys {
		if k.side == "" {
			continue
		}
		if d := r.inForce(k, start); d != nil {
			if row := d.match(e164, start); row != nil {
				return row, d
			}
		}
	}
	return nil, nil
}

// SellRate is the rate an account pays to call number (national or
// E.164) at instant at, and the deck it comes from: what spend control
// needs at call setup (MaxDuration). ok is false when the number is not
// a number or has no rate: the call must be refused.
func (r *Rater) SellRate(account, num string, at time.Time) (Row, DeckInfo, bool) {
	n, err := number.Normalize(num)
	if err != nil {
		return Row{}, DeckInfo{}, false
	}
	row, d := r.sellRow(account, n.E164(), at.UnixMilli())
	if row == nil {
		return Row{}, DeckInfo{}, false
	}
	return row.Row, d.info, true
}

// BuyRate is what the trunk (else its carrier) charges us for number at
// at; for margin checks and least-cost routing.
func (r *Rater) BuyRate(carrier, trunk, num string, at time.Time) (Row, DeckInfo, bool) {
	n, err := number.Normalize(num)
	if err != nil {
		return Row{}, DeckInfo{}, false
	}
	row, d := r.buyRow(carrier, trunk, n.E164(), at.UnixMilli())
	if row == nil {
		return Row{}, DeckInfo{}, false
	}
	return row.Row, d.info, true
}

// Billable is the seconds a call answered for answeredMS is billed under
// row's increments: the answered time rounded up to the first increment,
// then up to whole next increments, and at least the minimum. 60/60
// bills 61 s as 120; 30/6 bills 31 s as 36; 1/1 bills 0.2 s as 1. A call
// answered for 0 ms is billed only the minimum (and the connect fee).
func Billable(answeredMS int64, row *Row) int64 {
	minimum := int64(row.MinDurationS)
	if answeredMS <= 0 {
		return minimum
	}
	first, next := int64(row.IncrementFirstS), int64(row.IncrementNextS)
	s := (answeredMS + 999) / 1000
	b := first
	if s > first {
		b = first + (s-first+next-1)/next*next
	}
	return max(b, minimum)
}

// Charge is what a call answered for answeredMS costs at row: its
// billable seconds and amount (connect fee + rate × billable / 60).
func (row *Row) Charge(answeredMS int64) (billableS int64, amount Money, ok bool) {
	b := Billable(answeredMS, row)
	amount, ok = Amount(row.ConnectFee, row.RatePerMin, b)
	return b, amount, ok
}

// SameRating tells whether two ratings price a call the same way, their
// versions aside: a re-rating that changes nothing need not be written.
func SameRating(a, b domain.Rating) bool {
	a.RatingVersion, b.RatingVersion = 0, 0
	return a == b
}
