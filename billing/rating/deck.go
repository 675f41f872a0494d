package rating

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"softswitch/domain"
)

// Side is whose price a deck holds.
type Side string

const (
	Buy  Side = domain.SideBuy  // what a carrier (or one of its trunks) charges us
	Sell Side = domain.SideSell // what we charge an account
)

// Owner kinds, the part of an owner before ':'.
const (
	OwnerCarrier = "carrier"
	OwnerTrunk   = "trunk"
	OwnerAccount = "account"
	// DefaultAccount is the owner of the sell deck used for an account
	// that has none of its own.
	DefaultAccount = "account:*"
)

// Bounds of a row's numbers. A rate above MaxRatePerMin is a typo (a
// million a minute), and a second of call at it still fits Amount.
var (
	MaxRatePerMin = 1_000_000 * Unit
	MaxConnectFee = 1_000_000 * Unit
)

// MaxIncrementS bounds increments and minimums: a day.
const MaxIncrementS = 86_400

// Row is one rate of a deck.
type Row struct {
	// Prefix is E.164 digits without '+' ("86138"); the longest one
	// matching the called number wins.
	Prefix     string
	RatePerMin Money
	ConnectFee Money
	// IncrementFirstS is the first billing block, IncrementNextS every
	// block after it (60/60, 6/6, 1/1, 30/6); MinDurationS the least an
	// answered call is billed. See Billable.
	IncrementFirstS int
	IncrementNextS  int
	MinDurationS    int
	// From is inclusive, To exclusive; a zero To is open-ended.
	From, To time.Time
}

// in tells whether the row is in force at t.
func (r *Row) in(t time.Time) bool {
	return !t.Before(r.From) && (r.To.IsZero() || t.Before(r.To))
}

// Deck is one version of a rate deck.
type Deck struct {
	Name     string
	Version  int
	Side     Side
	Owner    string
	Currency string
	Rows     []Row
}

// Ref is how a CDR names the deck: "name@vN".
func (d *Deck) Ref() string { return DeckRef(d.Name, d.Version) }

// DeckRef formats "name@vN".
func DeckRef(name string, version int) string { return name + "@v" + strconv.Itoa(version) }

// Validate checks the deck and every row: a name of [A-Za-z0-9._-],
// version >= 1, a side, an owner of the side's kinds (sell: account:USER
// or account:*; buy: carrier:NAME or trunk:NAME), an ISO 4217 currency
// (three capital letters, one per deck), digit prefixes, non-negative
// amounts within bounds, increments >= 1, minimum >= 0, From < To, and
// no two rows of one prefix in force at the same instant. Errors are
// *DeckError naming the row and field.
func (d *Deck) Validate() error {
	if err := validName(d.Name); err != nil {
		return &DeckError{Row: -1, Field: "name", Err: err}
	}
	if d.Version < 1 {
		return &DeckError{Row: -1, Field: "version", Err: fmt.Errorf("%d, want >= 1", d.Version)}
	}
	if err := validOwner(d.Side, d.Owner); err != nil {
		return err
	}
	if !validCurrency(d.Currency) {
		return &DeckError{Row: -1, Field: "currency", Err: fmt.Errorf("%q is not an ISO 4217 code (3 capital letters)", d.Currency)}
	}
	if len(d.Rows) == 0 {
		return &DeckError{Row: -1, Field: "rows", Err: errors.New("no rows")}
	}
	for i := range d.Rows {
		if err := d.Rows[i].validate(); err != nil {
			err.Row = i
			return err
		}
	}
	if i, j, ok := overlap(d.Rows); ok {
		return &DeckError{Row: j, Field: "effective_from", Err: fmt.Errorf("prefix %s overlaps the period of row %d", d.Rows[j].Prefix, i)}
	}
	return nil
}

func (r *Row) validate() *DeckError {
	bad := func(field, format string, a ...any) *DeckError {
		return &DeckError{Field: field, Err: fmt.Errorf(format, a...)}
	}
	switch {
	case r.Prefix == "" || !isDigits(r.Prefix):
		return bad("prefix", "%q is not E.164 digits", r.Prefix)
	case len(r.Prefix) > 15:
		return bad("prefix", "%q is longer than an E.164 number (15 digits)", r.Prefix)
	case r.RatePerMin < 0 || r.RatePerMin > MaxRatePerMin:
		return bad("rate_per_min", "%s is outside 0..%s", r.RatePerMin, MaxRatePerMin)
	case r.ConnectFee < 0 || r.ConnectFee > MaxConnectFee:
		return bad("connect_fee", "%s is outside 0..%s", r.ConnectFee, MaxConnectFee)
	case r.IncrementFirstS < 1 || r.IncrementFirstS > MaxIncrementS:
		return bad("increment_first_s", "%d is outside 1..%d", r.IncrementFirstS, MaxIncrementS)
	case r.IncrementNextS < 1 || r.IncrementNextS > MaxIncrementS:
		return bad("increment_next_s", "%d is outside 1..%d", r.IncrementNextS, MaxIncrementS)
	case r.MinDurationS < 0 || r.MinDurationS > MaxIncrementS:
		return bad("min_duration_s", "%d is outside 0..%d", r.MinDurationS, MaxIncrementS)
	case r.From.IsZero():
		return bad("effective_from", "missing")
	case !r.To.IsZero() && !r.From.Before(r.To):
		return bad("effective_to", "%s is not after effective_from %s", r.To.Format(time.RFC3339), r.From.Format(time.RFC3339))
	}
	return nil
}

// overlap finds two rows of one prefix whose periods share an instant
// (which of them applies would be a guess): it returns the later row j
// and the earlier i, or ok false.
func overlap(rows []Row) (i, j int, ok bool) {
	order := make([]int, len(rows))
	for k := range order {
		order[k] = k
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := strings.Compare(rows[a].Prefix, rows[b].Prefix); c != 0 {
			return c
		}
		return rows[a].From.Compare(rows[b].From)
	})
	for k := 1; k < len(order); k++ {
		p, q := &rows[order[k-1]], &rows[order[k]]
		if p.Prefix == q.Prefix && (p.To.IsZero() || q.From.Before(p.To)) {
			return min(order[k-1], order[k]), max(order[k-1], order[k]), true
		}
	}
	return 0, 0, false
}

func validName(s string) error {
	if s == "" || len(s) > 64 {
		return errors.New("must be 1 to 64 characters")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%q: only letters, digits, '.', '_' and '-'", s)
		}
	}
	return nil
}

// validOwner checks the owner's kind against the side: a carrier never
// buys from us and an account never sells to us.
func validOwner(side Side, owner string) error {
	kind, name, ok := strings.Cut(owner, ":")
	if !ok || name == "" {
		return &DeckError{Row: -1, Field: "owner", Err: fmt.Errorf("%q, want carrier:NAME, trunk:NAME or account:USER", owner)}
	}
	switch side {
	case Sell:
		if kind != OwnerAccount {
			return &DeckError{Row: -1, Field: "owner", Err: fmt.Errorf("%q: a sell deck belongs to an account (account:USER or account:*)", owner)}
		}
	case Buy:
		if kind != OwnerCarrier && kind != OwnerTrunk {
			return &DeckError{Row: -1, Field: "owner", Err: fmt.Errorf("%q: a buy deck belongs to a carrier or a trunk (carrier:NAME, trunk:NAME)", owner)}
		}
		if name == "*" {
			return &DeckError{Row: -1, Field: "owner", Err: fmt.Errorf("%q: only the sell side has a default deck", owner)}
		}
	default:
		return &DeckError{Row: -1, Field: "side", Err: fmt.Errorf("%q, want buy or sell", side)}
	}
	return nil
}

func validCurrency(s string) bool {
	return len(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] >= 'A' && s[2] <= 'Z'
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Event is the deck as the rates.deck_published event that publishes it.
func (d *Deck) Event() domain.RateDeckPublished {
	e := domain.RateDeckPublished{
		Name: d.Name, Version: d.Version, Side: string(d.Side), Owner: d.Owner, Currency: d.Currency,
		Rows: make([]domain.RateDeckRow, len(d.Rows)),
	}
	for i, r := range d.Rows {
		e.Rows[i] = domain.RateDeckRow{
			Prefix: r.Prefix, RatePerMin: r.RatePerMin.String(), ConnectFee: r.ConnectFee.String(),
			IncrementFirstS: r.IncrementFirstS, IncrementNextS: r.IncrementNextS, MinDurationS: r.MinDurationS,
			EffectiveFrom: domain.Timestamp(r.From), EffectiveTo: domain.Timestamp(r.To),
		}
	}
	return e
}

// DeckFromEvent reads a published deck back and validates it.
func DeckFromEvent(e domain.RateDeckPublished) (Deck, error) {
	d := Deck{Name: e.Name, Version: e.Version, Side: Side(e.Side), Owner: e.Owner, Currency: e.Currency, Rows: make([]Row, len(e.Rows))}
	for i, r := range e.Rows {
		rate, err := ParseMoney(r.RatePerMin)
		if err != nil {
			return Deck{}, &DeckError{Row: i, Field: "rate_per_min", Err: err}
		}
		fee, err := ParseMoney(r.ConnectFee)
		if err != nil {
			return Deck{}, &DeckError{Row: i, Field: "connect_fee", Err: err}
		}
		d.Rows[i] = Row{
			Prefix: r.Prefix, RatePerMin: rate, ConnectFee: fee,
			IncrementFirstS: r.IncrementFirstS, IncrementNextS: r.IncrementNextS, MinDurationS: r.MinDurationS,
			From: r.EffectiveFrom.Time(), To: r.EffectiveTo.Time(),
		}
	}
	return d, d.Validate()
}
