package compliance

import (
	"strconv"

	"softswitch/interconnect/number"
)

// A number's key is its E.164 digits read as an integer: at most 15 digits
// (ITU-T E.164 §6.1), so below 10^15 < 2^50, and never with a leading zero
// (no country code starts with 0), so the mapping is one-to-one. Eight
// bytes instead of a string header and its bytes is what lets the DNC list
// hold 10M numbers in about 80 MB.

// Key returns n's key; ok is false for the zero Number.
func Key(n number.Number) (k uint64, ok bool) {
	d := n.E164()
	if d == "" || len(d) > 15 {
		return 0, false
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		k = k*10 + uint64(c-'0')
	}
	return k, true
}

// ParseKey normalizes s with number.Normalize (China as the home country)
// and returns its key. Errors are number's *NumberError.
func ParseKey(s string) (uint64, error) {
	n, err := number.Normalize(s)
	if err != nil {
		return 0, err
	}
	k, _ := Key(n)
	return k, nil
}

// FormatKey writes a key back as "+" and its E.164 digits, for logs.
func FormatKey(k uint64) string { return "+" + strconv.FormatUint(k, 10) }
