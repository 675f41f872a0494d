package routing

import "softswitch/interconnect/number"

// Decide picks the trunks to try for n. st is the projected trunk state;
// nil means every trunk is up and idle. seed drives the weighted choice
// (pass a per-call random value; a test pins it). Decide does not fail:
// a number that cannot be routed gets a Decision with no candidates and a
// Reason saying why.
func (t *Table) Decide(n number.Number, st State, seed uint64) Decision {
	if st == nil {
		st = idle{}
	}
	d := Decision{Number: n, Reason: ReasonNoRoute}
	if t.routes == nil {
		return d
	}
	// The routes' values are their entry indexes (see Compile), so index
	// saves Lookup's load of the value.
	ri, plen := t.routes.index(n.E164())
	if ri < 0 {
		return d
	}
	r := &t.rts[ri]
	d.Prefix = n.E164()[:plen]
	list := r.trunks
	if r.byCarrier {
		var reason string
		list, reason = t.carrierTrunks(n, &d)
		if reason != "" {
			d.Reason = reason
			return d
		}
	} else {
		d.CarrierSource = SourceRoute
	}
	d.Candidates = make([]Candidate, len(list))
	for k, ti := range list {
		tr := &t.trunks[ti]
		d.Candidates[k] = Candidate{Trunk: tr.name, Carrier: t.carriers[tr.carrier].name, Skip: skip(st, tr)}
	}
	switch {
	case r.weights != nil:
		weightedFirst(d.Candidates, r.weights, seed)
	case r.byCost && t.cost != nil:
		t.byCost(d.Candidates, n)
	}
	d.Reason = reasonOf(d.Candidates)
	return d
}

// carrierTrunks resolves the number's carrier (portability first, then
// the segment table for home mobiles) and returns its trunks, or the host
// MNO's for an MVNO with none of its own. The reason is "" on success.
func (t *Table) carrierTrunks(n number.Number, d *Decision) ([]int32, string) {
	if ci, ok := t.ported[n.E164()]; ok {
		d.Carrier, d.CarrierSource = t.carriers[ci].name, SourcePorted
		if list := t.trunksOf[ci]; len(list) > 0 {
			return list, ""
		}
		if h := t.carriers[ci].host; h >= 0 && len(t.trunksOf[h]) > 0 {
			d.MVNOFallback = true
			return t.trunksOf[h], ""
		}
		return nil, ReasonNoTrunk
	}
	if n.Kind() != number.Mobile {
		return nil, ReasonNoCarrier
	}
	si, _ := t.segments.index(n.National())
	if si < 0 {
		return nil, ReasonNoCarrier
	}
	s := &t.segs[si]
	d.Carrier, d.CarrierSource = s.carrier, SourceSegment
	if s.carrierIdx >= 0 && len(t.trunksOf[s.carrierIdx]) > 0 {
		return t.trunksOf[s.carrierIdx], ""
	}
	if s.mvno && s.hostIdx >= 0 && len(t.trunksOf[s.hostIdx]) > 0 {
		d.MVNOFallback = true
		return t.trunksOf[s.hostIdx], ""
	}
	return nil, ReasonNoTrunk
}

// skip checks health before load: a down trunk is reported down whatever
// its counters say.
func skip(st State, tr *trunk) string {
	switch {
	case !st.Up(tr.name):
		return SkipDown
	case tr.maxCh > 0 && st.Channels(tr.name) >= tr.maxCh:
		return SkipChannelsFull
	case tr.maxCPS > 0 && st.CPS(tr.name) >= float64(tr.maxCPS):
		return SkipCPSFull
	}
	return SkipNone
}

func reasonOf(cs []Candidate) string {
	down := false
	for _, c := range cs {
		switch c.Skip {
		case SkipNone:
			return ReasonRouted
		case SkipDown:
			down = true
		}
	}
	if down {
		return ReasonUnavailable
	}
	return ReasonAllFull
}
