// Package rating prices calls: exact decimal money, versioned rate decks
// imported from CSV, and a compiled Rater that fills a CDR's
// domain.Rating for the sell side (what the account pays) and the buy
// side (what the carrier charges us). docs/rating.md has the rules:
// scale, rounding, increments, effective dates, matching and re-rating.
//
// Everything here is pure: no clock, no I/O beyond the io.Reader of
// ParseCSV. The Rater is immutable and safe for concurrent readers; the
// projection (projections.RateDecks) builds a new one when a deck is
// published.
package rating
