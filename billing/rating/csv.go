package rating

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// CSVHeader is the exact first line of a deck CSV (issue 5's contract).
const CSVHeader = "prefix,rate_per_min,connect_fee,increment_first_s,increment_next_s,min_duration_s,effective_from,effective_to,currency"

var csvColumns = strings.Split(CSVHeader, ",")

// Column indexes in CSVHeader.
const (
	colPrefix = iota
	colRate
	colFee
	colFirst
	colNext
	colMin
	colFrom
	colTo
	colCurrency
	numColumns
)

// ParseCSV reads a deck's rows from CSV (RFC 4180, comma separated, the
// header exactly CSVHeader) and validates them as Deck.Validate does,
// except the deck's own fields: currency must be the same on every row
// and is returned. Errors are *CSVError naming the line and column;
// blank lines are skipped.
func ParseCSV(r io.Reader) (rows []Row, currency string, err error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // counted here, to name the line
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err == io.EOF {
		return nil, "", &CSVError{Line: 1, Err: ErrCSVHeader}
	}
	if err != nil {
		return nil, "", csvReadError(err)
	}
	if strings.Join(head, ",") != CSVHeader {
		return nil, "", &CSVError{Line: 1, Err: fmt.Errorf("%w, got %q", ErrCSVHeader, strings.Join(head, ","))}
	}
	var lines []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", csvReadError(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != numColumns {
			return nil, "", &CSVError{Line: line, Err: fmt.Errorf("%d fields, want %d", len(rec), numColumns)}
		}
		row, cur, cerr := parseRow(rec)
		if cerr != nil {
			cerr.Line = line
			return nil, "", cerr
		}
		if currency == "" {
			currency = cur
		} else if cur != currency {
			return nil, "", &CSVError{Line: line, Column: "currency", Err: fmt.Errorf("%s, but the deck is in %s (one currency per deck)", cur, currency)}
		}
		if err := row.validate(); err != nil {
			return nil, "", &CSVError{Line: line, Column: err.Field, Err: err.Err}
		}
		rows = append(rows, row)
		lines = append(lines, line)
	}
	if len(rows) == 0 {
		return nil, "", &CSVError{Line: 2, Err: errors.New("no rows after the header")}
	}
	if i, j, ok := overlap(rows); ok {
		return nil, "", &CSVError{Line: lines[j], Column: "effective_from", Err: fmt.Errorf("prefix %s overlaps the period of line %d", rows[j].Prefix, lines[i])}
	}
	return rows, currency, nil
}

func csvReadError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		col := ""
		if pe.Column > 0 && pe.Column <= numColumns {
			col = csvColumns[pe.Column-1]
		}
		return &CSVError{Line: pe.Line, Column: col, Err: pe.Err}
	}
	return err
}

// parseRow reads the cells of one record; Line is filled by the caller.
func parseRow(rec []string) (Row, string, *CSVError) {
	var r Row
	bad := func(col int, err error) (Row, string, *CSVError) {
		return Row{}, "", &CSVError{Column: csvColumns[col], Err: err}
	}
	r.Prefix = rec[colPrefix]
	var err error
	if r.RatePerMin, err = ParseMoney(rec[colRate]); err != nil {
		return bad(colRate, fmt.Errorf("%q: %w", rec[colRate], err))
	}
	if r.ConnectFee, err = ParseMoney(rec[colFee]); err != nil {
		return bad(colFee, fmt.Errorf("%q: %w", rec[colFee], err))
	}
	for _, f := range []struct {
		col int
		dst *int
	}{{colFirst, &r.IncrementFirstS}, {colNext, &r.IncrementNextS}, {colMin, &r.MinDurationS}} {
		n, err := strconv.Atoi(rec[f.col])
		if err != nil {
			return bad(f.col, fmt.Errorf("%q is not a whole number of seconds", rec[f.col]))
		}
		*f.dst = n
	}
	if r.From, err = parseTime(rec[colFrom]); err != nil {
		return bad(colFrom, err)
	}
	if rec[colTo] != "" {
		if r.To, err = parseTime(rec[colTo]); err != nil {
			return bad(colTo, err)
		}
	}
	if !validCurrency(rec[colCurrency]) {
		return bad(colCurrency, fmt.Errorf("%q is not an ISO 4217 code (3 capital letters)", rec[colCurrency]))
	}
	return r, rec[colCurrency], nil
}

// parseTime reads RFC 3339, kept in UTC. Sub-millisecond instants are
// refused: the event and the CDR carry milliseconds, and a boundary that
// moved on the way would rate a call with the wrong row.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("missing (RFC 3339)")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not RFC 3339", s)
	}
	if t.Nanosecond()%int(time.Millisecond) != 0 {
		return time.Time{}, fmt.Errorf("%q: finer than a millisecond", s)
	}
	return t.UTC(), nil
}
