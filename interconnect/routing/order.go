package routing

import "softswitch/interconnect/number"

// weightedFirst moves to the front a weighted choice among the usable
// candidates, keeping the others in listed order. Choosing among usable
// trunks only keeps the configured shares when one trunk is down or full
// (choosing first and then failing over would hand the skipped trunk's
// share to whichever trunk is listed next). When no weighted trunk is
// usable the listed order stands. The choice is a pure function of seed.
func weightedFirst(cs []Candidate, weights []int, seed uint64) {
	total := 0
	for k, c := range cs {
		if c.Skip == SkipNone {
			total += weights[k]
		}
	}
	if total == 0 {
		return
	}
	r := int(mix64(seed) % uint64(total))
	for k, c := range cs {
		if c.Skip != SkipNone || weights[k] == 0 {
			continue
		}
		if r < weights[k] {
			chosen := cs[k]
			copy(cs[1:k+1], cs[:k])
			cs[0] = chosen
			return
		}
		r -= weights[k]
	}
}

// mix64 is the SplitMix64 finalizer: it spreads consecutive seeds (a call
// counter, say) evenly over the weights.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// byCost is the least-cost-routing seam: a stable sort of the candidates
// by Plan.Cost, priced trunks before unpriced ones, ties and unpriced
// trunks in listed order. Skip reasons are untouched, so a cheap trunk
// that is full is still skipped. An insertion sort: routes list a handful
// of trunks, and it needs no allocation beyond the prices.
func (t *Table) byCost(cs []Candidate, n number.Number) {
	type priced struct {
		c    Candidate
		cost int64
		ok   bool
	}
	var buf [8]priced
	ps := buf[:0]
	for _, c := range cs {
		cost, ok := t.cost(c.Trunk, n)
		ps = append(ps, priced{c, cost, ok})
	}
	less := func(a, b priced) bool {
		if a.ok != b.ok {
			return a.ok
		}
		return a.ok && a.cost < b.cost
	}
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && less(ps[j], ps[j-1]); j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
	for i := range ps {
		cs[i] = ps[i].c
	}
}
