package rating

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"softswitch/interconnect/routing"
)

// Rater is a compiled, immutable set of published decks, safe for
// concurrent use. Build one with NewRater (projections.RateDecks does, on
// every publication); rate with Rate.
type Rater struct {
	// owners maps (side, owner) to its decks, newest publication first.
	owners map[ownerKey][]*compiled
	decks  int
}

// ownerKey is a deck's side and owner, split so that a lookup of
// "account:"+caller needs no concatenation (no allocation).
type ownerKey struct {
	side       Side
	kind, name string
}

// compiled is one deck version ready for lookups.
type compiled struct {
	info DeckInfo
	// from and to bound the deck in force, in Unix ms: the earliest row
	// start and the latest row end (math.MaxInt64 when a row is
	// open-ended).
	from, to int64
	// table maps each prefix to its rows' span in rows.
	table *routing.PrefixTable[span]
	rows  []compiledRow
}

type span struct{ lo, hi int32 }

type compiledRow struct {
	from, to int64 // Unix ms, [from, to)
	Row
}

// DeckInfo identifies the deck a rate came from.
type DeckInfo struct {
	Name     string
	Version  int
	Ref      string // "name@vN", what a CDR's rate_deck/cost_deck hold
	Currency string
	Side     Side
	Owner    string
}

// NewRater compiles decks, given in publication order (oldest first):
// where two decks of one side and owner are both in force, the later
// publication wins. Every deck is validated.
func NewRater(decks []Deck) (*Rater, error) {
	r := &Rater{owners: map[ownerKey][]*compiled{}}
	for i := range decks {
		d := &decks[i]
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("deck %s: %w", d.Ref(), err)
		}
		c, err := compile(d)
		if err != nil {
			return nil, fmt.Errorf("deck %s: %w", d.Ref(), err)
		}
		kind, name, _ := strings.Cut(d.Owner, ":")
		k := ownerKey{side: d.Side, kind: kind, name: name}
		// Newest first: the lookup stops at the first deck in force.
		r.owners[k] = slices.Insert(r.owners[k], 0, c)
		r.decks++
	}
	return r, nil
}

func compile(d *Deck) (*compiled, error) {
	c := &compiled{
		info: DeckInfo{Name: d.Name, Version: d.Version, Ref: d.Ref(), Currency: d.Currency, Side: d.Side, Owner: d.Owner},
		from: math.MaxInt64, to: math.MinInt64,
		rows: make([]compiledRow, len(d.Rows)),
	}
	for i, row := range d.Rows {
		cr := compiledRow{from: row.From.UnixMilli(), to: math.MaxInt64, Row: row}
		if !row.To.IsZero() {
			cr.to = row.To.UnixMilli()
		}
		c.rows[i] = cr
		c.from, c.to = min(c.from, cr.from), max(c.to, cr.to)
	}
	slices.SortFunc(c.rows, func(a, b compiledRow) int {
		if x := strings.Compare(a.Prefix, b.Prefix); x != 0 {
			return x
		}
		switch {
		case a.from < b.from:
			return -1
		case a.from > b.from:
			return 1
		}
		return 0
	})
	var entries []routing.PrefixEntry[span]
	for lo := 0; lo < len(c.rows); {
		hi := lo + 1
		for hi < len(c.rows) && c.rows[hi].Prefix == c.rows[lo].Prefix {
			hi++
		}
		entries = append(entries, routing.PrefixEntry[span]{Prefix: c.rows[lo].Prefix, Value: span{int32(lo), int32(hi)}})
		lo = hi
	}
	t, err := routing.NewPrefixTable(entries)
	if err != nil {
		return nil, err
	}
	c.table = t
	return c, nil
}

// Decks is the number of deck versions compiled.
func (r *Rater) Decks() int {
	if r == nil {
		return 0
	}
	return r.decks
}

// inForce returns the newest deck of k whose period holds t (Unix ms).
func (r *Rater) inForce(k ownerKey, t int64) *compiled {
	for _, c := range r.owners[k] {
		if c.from <= t && t < c.to {
			return c
		}
	}
	return nil
}

// match returns the row of the longest prefix of e164 that is in force
// at t: when the longest prefix has no row in force then (its rate
// ended, or starts later), the next shorter prefix is tried.
func (c *compiled) match(e164 string, t int64) *compiledRow {
	s := e164
	for {
		sp, n, ok := c.table.Lookup(s)
		if !ok {
			return nil
		}
		for i := sp.lo; i < sp.hi; i++ {
			if r := &c.rows[i]; r.from <= t && t < r.to {
				return r
			}
		}
		if n == 0 {
			return nil
		}
		s = s[:n-1]
	}
}
