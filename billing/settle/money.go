package settle

import (
	"errors"
	"fmt"
	"strings"

	"softswitch/billing/rating"
)

// ErrAmount is returned for an amount rating.ParseMoney rejects.
var ErrAmount = errors.New("settle: invalid amount")

// ParseMicros reads a CDR amount into micro-units, the unit of the cdr
// table's cost_micro column, so a sum in ClickHouse and a fold in Go add
// the same integers. The empty string is zero: an unrated or unanswered
// call has no cost.
func ParseMicros(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	m, err := rating.ParseMoney(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %q: %v", ErrAmount, s, err)
	}
	return m.Micros(), nil
}

// FormatMicros is rating.Money's canonical text: at least two decimals,
// nothing rounded ("12.50", "0.000001").
func FormatMicros(v int64) string { return rating.Money(v).String() }

// ratio is a/b as a decimal string with places fractional digits, rounded
// half up, in integer arithmetic so that both backends print the same
// figure; "0" when b is 0.
func ratio(a, b int64, places int) string {
	if b == 0 || a == 0 {
		return "0"
	}
	scale := int64(1)
	for range places {
		scale *= 10
	}
	q := (a*scale*2 + b) / (2 * b) // half up, for a, b >= 0
	s := fmt.Sprintf("%d.%0*d", q/scale, places, q%scale)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
