package rating

import (
	"errors"
	"fmt"
)

var (
	// ErrMoneySyntax: the text is not a plain decimal ("12", "-0.5").
	ErrMoneySyntax = errors.New("rating: not a decimal amount")
	// ErrMoneyPrecision: more decimals than Money keeps (6). Rates are
	// authored data: rounding one silently would be a billing dispute.
	ErrMoneyPrecision = errors.New("rating: more than 6 decimals")
	// ErrMoneyRange: outside ±MaxMoney.
	ErrMoneyRange = errors.New("rating: amount out of range")
	// ErrInvalidDeck: a deck or one of its rows breaks a rule; the
	// *DeckError names which.
	ErrInvalidDeck = errors.New("rating: invalid deck")
	// ErrCSVHeader: the first CSV line is not exactly CSVHeader.
	ErrCSVHeader = errors.New("rating: CSV header must be " + CSVHeader)
)

// DeckError is a deck rule broken by row Row (0-based, -1 for the deck
// itself) in field Field (a CSV column name, or a deck field: name,
// version, side, owner).
type DeckError struct {
	Row   int
	Field string
	Err   error
}

func (e *DeckError) Error() string {
	if e.Row < 0 {
		return fmt.Sprintf("rating: deck %s: %v", e.Field, e.Err)
	}
	return fmt.Sprintf("rating: row %d, %s: %v", e.Row, e.Field, e.Err)
}

func (e *DeckError) Unwrap() []error { return []error{ErrInvalidDeck, e.Err} }

// CSVError is a bad CSV cell or row: Line is 1-based as an editor shows
// it (the header is line 1), Column the header name ("" for the whole
// line).
type CSVError struct {
	Line   int
	Column string
	Err    error
}

func (e *CSVError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return fmt.Sprintf("line %d, column %s: %v", e.Line, e.Column, e.Err)
}

func (e *CSVError) Unwrap() error { return e.Err }
