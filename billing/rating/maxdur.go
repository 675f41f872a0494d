package rating

import (
	"math"
	"math/bits"
	"time"
)

// Unlimited is MaxDuration's answer for a free rate: no balance limit.
const Unlimited = time.Duration(math.MaxInt64)

// MaxDuration is the longest answered duration a balance pays for at
// row: the largest billable length B on the increment grid (first, then
// first + k × next, and at least the minimum) whose Amount is within the
// balance. A call cut at exactly B (whole seconds) is billed B, so it
// never costs more than the balance; the switch must cut no later. It is
// 0 when the balance does not cover the connect fee and the first block
// (refuse the call), and Unlimited when the rate is 0 and the fee is
// covered.
func MaxDuration(balance Money, row Row) time.Duration {
	first, next, minimum := int64(row.IncrementFirstS), int64(row.IncrementNextS), int64(row.MinDurationS)
	if first < 1 || next < 1 || row.RatePerMin < 0 || row.ConnectFee < 0 {
		return 0
	}
	avail := balance - row.ConnectFee
	if balance < 0 || avail < 0 {
		return 0
	}
	if row.RatePerMin == 0 {
		return Unlimited
	}
	// Amount rounds rate × B / 60 half-up, so it is within avail exactly
	// when rate × B / 60 < avail + 1/2, i.e. 2 × rate × B <= 120 × avail
	// + 59 (all in micro-units, integers): B <= (120 avail + 59) / (2 rate).
	hi, lo := bits.Mul64(uint64(avail), 120)
	lo, carry := bits.Add64(lo, 59, 0)
	hi += carry
	den := 2 * uint64(row.RatePerMin)
	var bmax uint64
	if hi >= den {
		bmax = math.MaxInt64 // more seconds than a Duration holds
	} else {
		bmax, _ = bits.Div64(hi, lo, den)
	}
	b := int64(min(bmax, math.MaxInt64/uint64(time.Second)))
	if b < first || b < minimum {
		return 0
	}
	// The last grid point within b. A longer call reaches the next
	// point, past b; a minimum off the grid changes nothing, since the
	// billable time is max(minimum, grid point) and both are within b.
	g := first + (b-first)/next*next
	return time.Duration(g) * time.Second
}
