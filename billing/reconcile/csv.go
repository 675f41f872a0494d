package reconcile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"softswitch/billing/settle"
	"softswitch/interconnect/number"
)

// ErrCSV is wrapped by every error reading a carrier file.
var ErrCSV = errors.New("reconcile: carrier file")

// Columns of the carrier file, by header name in any order. start, callee
// and duration_s are required; caller, amount and currency may be absent.
var requiredColumns = []string{"start", "callee", "duration_s"}

// ReadCSV reads a carrier's CDR file (docs/settlement.md): a header line,
// then one answered call per line. Times are RFC 3339; duration_s is
// seconds with up to three decimals; amount a decimal string. Callees are
// normalized to E.164 digits like ours.
func ReadCSV(r io.Reader) ([]Call, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrCSV, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, c := range requiredColumns {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("%w: header has no %q column (need start, callee, duration_s; optional caller, amount, currency)", ErrCSV, c)
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []Call
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCSV, err)
		}
		c, err := parseRow(rec, get)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrCSV, line, err)
		}
		c.Line = line
		out = append(out, c)
	}
}

func parseRow(rec []string, get func([]string, string) string) (Call, error) {
	start, err := time.Parse(time.RFC3339Nano, get(rec, "start"))
	if err != nil {
		return Call{}, fmt.Errorf("start: %v", err)
	}
	dur, err := settle.ParseMicros(get(rec, "duration_s"))
	if err != nil || dur < 0 || dur%1000 != 0 {
		return Call{}, fmt.Errorf("duration_s %q: want seconds with at most 3 decimals", get(rec, "duration_s"))
	}
	amount, err := settle.ParseMicros(get(rec, "amount"))
	if err != nil {
		return Call{}, fmt.Errorf("amount: %v", err)
	}
	callee := get(rec, "callee")
	if callee == "" {
		return Call{}, errors.New("callee is empty")
	}
	return Call{Callee: Normalize(callee), Start: start.UnixMilli(), DurationMS: dur / 1000, Amount: amount, Currency: get(rec, "currency")}, nil
}

// Normalize is the callee key both sides are compared on: E.164 digits
// when the number reads as one, else the input without spaces, so an
// unusual number still matches itself.
func Normalize(s string) string {
	if n, err := number.Normalize(s); err == nil {
		return n.E164()
	}
	return strings.ReplaceAll(s, " ", "")
}
