package rating

import (
	"math"
	"math/bits"
	"strconv"
)

// Money is an exact amount in micro-units: 1 currency unit = 1,000,000.
// Six decimals hold every published per-minute rate (carriers quote to 4
// or 5) and a per-call amount without loss; int64 bounds it to about
// ±9.22e12 units (MaxMoney), far beyond any balance or statement. It
// never passes through a float.
type Money int64

const (
	// Scale is the number of decimals Money keeps.
	Scale = 6
	// Unit is one currency unit (1.000000).
	Unit Money = 1_000_000
	// MaxMoney is the largest amount: 9223372036854.775807.
	MaxMoney Money = math.MaxInt64
	// MinMoney is the smallest: -MaxMoney (MinInt64 is excluded so that
	// negation never overflows).
	MinMoney Money = -math.MaxInt64
)

// Micros returns the amount in micro-units, the unit ClickHouse sums
// (price_micro, cost_micro).
func (m Money) Micros() int64 { return int64(m) }

// ParseMoney reads a plain decimal: an optional sign, digits, and
// optionally a point followed by 1 to 6 digits ("1", "0.0123", "-0.5",
// "+2.50"). It rejects exponents, thousands separators, spaces, a bare
// point (".5", "5.") and more than 6 decimals (ErrMoneyPrecision: a
// price is never rounded on the way in).
func ParseMoney(s string) (Money, error) {
	i, neg := 0, false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	var v uint64
	intDigits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if v > (math.MaxInt64-9)/10 {
			return 0, ErrMoneyRange
		}
		v = v*10 + uint64(s[i]-'0')
		intDigits++
	}
	if intDigits == 0 {
		return 0, ErrMoneySyntax
	}
	if v > uint64(MaxMoney/Unit) {
		return 0, ErrMoneyRange
	}
	v *= uint64(Unit)
	if i < len(s) {
		if s[i] != '.' {
			return 0, ErrMoneySyntax
		}
		i++
		frac, scale := uint64(0), uint64(Unit)
		n := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			n++
			if n > Scale {
				// Trailing zeros beyond the scale lose nothing.
				if s[i] != '0' {
					return 0, ErrMoneyPrecision
				}
				continue
			}
			scale /= 10
			frac += uint64(s[i]-'0') * scale
		}
		if n == 0 || i < len(s) {
			return 0, ErrMoneySyntax
		}
		if v+frac > math.MaxInt64 {
			return 0, ErrMoneyRange
		}
		v += frac
	}
	if neg {
		return -Money(v), nil
	}
	return Money(v), nil
}

// MustMoney is ParseMoney for constants in code and tests; it panics on
// an error.
func MustMoney(s string) Money {
	m, err := ParseMoney(s)
	if err != nil {
		panic("rating.MustMoney(" + strconv.Quote(s) + "): " + err.Error())
	}
	return m
}

// String is the canonical text of the amount, the form CDR JSON and
// ClickHouse carry: no exponent, no '+', a '-' when negative, trailing
// zeros trimmed but at least 2 decimals ("0.00", "1.50", "0.0123",
// "-0.000001"). It parses back to the same Money, and never changes:
// stored CDRs compare by it.
func (m Money) String() string {
	var b [32]byte
	return string(m.Append(b[:0]))
}

// Append appends String's text to dst without allocating.
func (m Money) Append(dst []byte) []byte {
	u := uint64(m)
	if m < 0 {
		dst = append(dst, '-')
		u = uint64(-m)
	}
	dst = strconv.AppendUint(dst, u/uint64(Unit), 10)
	frac := u % uint64(Unit)
	var d [Scale]byte
	for i := Scale - 1; i >= 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := Scale
	for n > 2 && d[n-1] == '0' {
		n--
	}
	dst = append(dst, '.')
	return append(dst, d[:n]...)
}

// Round rounds to places decimals (0 to 6), half away from zero: 0.125
// is 0.13 and -0.125 is -0.13. It is the display rounding of statements
// (Round(2)). Half-up is what invoices and carriers' statements use, so
// totals reconcile to the cent; banker's rounding only pays off when
// many already-rounded values are summed, and a statement rounds each
// figure once, from exact micro-unit sums. Rounding that would pass
// ±MaxMoney saturates.
func (m Money) Round(places int) Money {
	if places >= Scale {
		return m
	}
	if places < 0 {
		places = 0
	}
	step := Money(1)
	for range Scale - places {
		step *= 10
	}
	neg := m < 0
	u := m
	if neg {
		u = -m
	}
	r := u % step
	u -= r
	if r*2 >= step {
		if u > MaxMoney-step {
			u = MaxMoney / step * step
		} else {
			u += step
		}
	}
	if neg {
		return -u
	}
	return u
}

// StringFixed is the amount rounded (Round) to places decimals and
// printed with exactly that many ("12.30" for places 2): a statement's
// display form.
func (m Money) StringFixed(places int) string {
	places = max(0, min(places, Scale))
	s := m.Round(places).String()
	// String keeps at least 2 decimals and trims zeros; pad or cut to
	// places (only zeros are cut: Round cleared the rest).
	dot := len(s)
	for i := range s {
		if s[i] == '.' {
			dot = i
			break
		}
	}
	have := len(s) - dot - 1
	switch {
	case places == 0:
		return s[:dot]
	case have > places:
		return s[:dot+1+places]
	}
	for ; have < places; have++ {
		s += "0"
	}
	return s
}

// Amount is what a call of billableS seconds costs at ratePerMin plus
// connectFee: connectFee + ratePerMin × billableS / 60, the product taken
// exactly in 128-bit integers and the division rounded half-up at the
// 6th decimal (the only rounding of a call's amount). ok is false when
// the result passes MaxMoney, or for a negative input.
func Amount(connectFee, ratePerMin Money, billableS int64) (m Money, ok bool) {
	if connectFee < 0 || ratePerMin < 0 || billableS < 0 {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(ratePerMin), uint64(billableS))
	if hi >= 60 {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, 60)
	if r >= 30 {
		q++
	}
	if q > uint64(MaxMoney-connectFee) {
		return 0, false
	}
	return connectFee + Money(q), true
}
