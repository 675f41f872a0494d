package routing

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// Compile validates p and builds its Table. Every problem found is
// reported (errors.Join of *PlanError, each naming its field), not just
// the first.
func Compile(p Plan) (*Table, error) {
	c := compiler{t: &Table{cost: p.Cost}}
	c.carriers(p.Carriers)
	c.trunks(p.Trunks)
	c.routes(p.Routes)
	c.segments(p.Segments)
	c.ported(p.Ported)
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	return c.t, nil
}

type compiler struct {
	t          *Table
	errs       []error
	carrierIdx map[string]int32
	trunkIdx   map[string]int32
}

func (c *compiler) fail(field string, err error) {
	c.errs = append(c.errs, &PlanError{Field: field, Err: err})
}

func wrapQ(sentinel error, v string) error { return fmt.Errorf("%w %q", sentinel, v) }

func (c *compiler) carriers(cs []Carrier) {
	c.carrierIdx = make(map[string]int32, len(cs))
	for i, cr := range cs {
		f := "carriers[" + strconv.Itoa(i) + "]"
		if cr.Name == "" {
			c.fail(f+".name", fmt.Errorf("%w: empty", ErrInvalidValue))
		} else if _, dup := c.carrierIdx[cr.Name]; dup {
			c.fail(f+".name", wrapQ(ErrDuplicate, cr.Name))
		}
		c.carrierIdx[cr.Name] = int32(i)
		c.t.carriers = append(c.t.carriers, carrier{name: cr.Name, mvno: cr.Kind == KindMVNO, host: -1})
	}
	for i, cr := range cs {
		f := "carriers[" + strconv.Itoa(i) + "]"
		switch cr.Kind {
		case KindMNO:
			if cr.Host != "" {
				c.fail(f+".host", fmt.Errorf("%w: an mno has no host (got %q)", ErrInvalidValue, cr.Host))
			}
		case KindMVNO:
			h, ok := c.carrierIdx[cr.Host]
			switch {
			case cr.Host == "":
				c.fail(f+".host", fmt.Errorf("%w: an mvno needs its host mno", ErrInvalidValue))
			case !ok:
				c.fail(f+".host", wrapQ(ErrUnknownCarrier, cr.Host))
			case cs[h].Kind != KindMNO:
				c.fail(f+".host", fmt.Errorf("%w: host %q is not an mno", ErrInvalidValue, cr.Host))
			default:
				c.t.carriers[i].host = h
			}
		default:
			c.fail(f+".kind", fmt.Errorf("%w %q (want mno or mvno)", ErrInvalidValue, cr.Kind))
		}
	}
}

func (c *compiler) trunks(ts []Trunk) {
	c.trunkIdx = make(map[string]int32, len(ts))
	c.t.trunksOf = make([][]int32, len(c.t.carriers))
	for i, tr := range ts {
		f := "trunks[" + strconv.Itoa(i) + "]"
		if tr.Name == "" {
			c.fail(f+".name", fmt.Errorf("%w: empty", ErrInvalidValue))
		} else if _, dup := c.trunkIdx[tr.Name]; dup {
			c.fail(f+".name", wrapQ(ErrDuplicate, tr.Name))
		}
		c.trunkIdx[tr.Name] = int32(i)
		ci, ok := c.carrierIdx[tr.Carrier]
		if !ok {
			c.fail(f+".carrier", wrapQ(ErrUnknownCarrier, tr.Carrier))
			ci = -1
		} else {
			c.t.trunksOf[ci] = append(c.t.trunksOf[ci], int32(i))
		}
		if tr.MaxChannels < 0 {
			c.fail(f+".max_channels", fmt.Errorf("%w: %d < 0", ErrInvalidValue, tr.MaxChannels))
		}
		if tr.MaxCPS < 0 {
			c.fail(f+".max_cps", fmt.Errorf("%w: %d < 0", ErrInvalidValue, tr.MaxCPS))
		}
		c.t.trunks = append(c.t.trunks, trunk{name: tr.Name, carrier: ci, maxCh: tr.MaxChannels, maxCPS: tr.MaxCPS})
	}
}

func (c *compiler) routes(rs []Route) {
	entries := make([]PrefixEntry[int32], 0, len(rs))
	seen := make(map[string]int, len(rs))
	for i, r := range rs {
		f := "routes[" + strconv.Itoa(i) + "]"
		if !isDigits(r.Prefix) || len(r.Prefix) > 15 {
			c.fail(f+".prefix", fmt.Errorf("%w %q (E.164 digits, at most 15)", ErrInvalidPrefix, r.Prefix))
			continue
		}
		if j, dup := seen[r.Prefix]; dup {
			c.fail(f+".prefix", fmt.Errorf("%w %q (also routes[%d])", ErrDuplicatePrefix, r.Prefix, j))
			continue
		}
		seen[r.Prefix] = i
		rt := route{prefix: r.Prefix, byCarrier: r.ByCarrier}
		switch r.Order {
		case "", OrderListed:
		case OrderCost:
			rt.byCost = true
			if len(r.Weights) > 0 {
				c.fail(f+".order", fmt.Errorf("%w: order cost and weights exclude each other", ErrInvalidValue))
			}
		default:
			c.fail(f+".order", fmt.Errorf("%w %q (want listed or cost)", ErrInvalidValue, r.Order))
		}
		if r.ByCarrier {
			if len(r.Trunks) > 0 || len(r.Weights) > 0 {
				c.fail(f+".trunks", fmt.Errorf("%w: a by_carrier route lists no trunks or weights", ErrInvalidValue))
			}
		} else {
			c.routeTrunks(f, &rt, r)
		}
		// Value == entry index: Decide relies on it (PrefixTable.index).
		entries = append(entries, PrefixEntry[int32]{Prefix: r.Prefix, Value: int32(len(c.t.rts))})
		c.t.rts = append(c.t.rts, rt)
	}
	if len(c.errs) == 0 {
		t, err := NewPrefixTable(entries)
		if err != nil { // unreachable: prefixes were checked above
			c.fail("routes", err)
			return
		}
		c.t.routes = t
	}
}

func (c *compiler) routeTrunks(f string, rt *route, r Route) {
	if len(r.Trunks) == 0 {
		c.fail(f+".trunks", fmt.Errorf("%w: no trunks and not by_carrier", ErrInvalidValue))
	}
	for k, name := range r.Trunks {
		ti, ok := c.trunkIdx[name]
		switch {
		case !ok:
			c.fail(f+".trunks["+strconv.Itoa(k)+"]", wrapQ(ErrUnknownTrunk, name))
		case slices.Contains(rt.trunks, ti):
			c.fail(f+".trunks["+strconv.Itoa(k)+"]", wrapQ(ErrDuplicate, name))
		default:
			rt.trunks = append(rt.trunks, ti)
		}
	}
	if len(r.Weights) == 0 {
		return
	}
	if len(r.Weights) != len(r.Trunks) {
		c.fail(f+".weights", fmt.Errorf("%w: %d weights for %d trunks", ErrInvalidValue, len(r.Weights), len(r.Trunks)))
		return
	}
	sum := 0
	for k, w := range r.Weights {
		if w < 0 || w > 1_000_000 {
			c.fail(f+".weights["+strconv.Itoa(k)+"]", fmt.Errorf("%w: %d (want 0–1000000)", ErrInvalidValue, w))
		}
		sum += w
	}
	if sum <= 0 {
		c.fail(f+".weights", fmt.Errorf("%w: all weights are 0", ErrInvalidValue))
	}
	rt.weights = slices.Clone(r.Weights)
}

func (c *compiler) segments(ss []Segment) {
	entries := make([]PrefixEntry[int32], 0, len(ss))
	seen := make(map[string]int, len(ss))
	for i, s := range ss {
		f := "segments[" + strconv.Itoa(i) + "]"
		if s.Prefix == "" || !isDigits(s.Prefix) {
			c.fail(f+".prefix", fmt.Errorf("%w %q", ErrInvalidPrefix, s.Prefix))
			continue
		}
		if j, dup := seen[s.Prefix]; dup {
			c.fail(f+".prefix", fmt.Errorf("%w %q (also segments[%d])", ErrDuplicatePrefix, s.Prefix, j))
			continue
		}
		seen[s.Prefix] = i
		if s.Carrier == "" {
			c.fail(f+".carrier", fmt.Errorf("%w: empty", ErrInvalidValue))
		}
		seg := segment{carrier: s.Carrier, mvno: s.Kind == KindMVNO, host: s.Host, carrierIdx: -1, hostIdx: -1}
		switch s.Kind {
		case KindMNO:
			if s.Host != "" {
				c.fail(f+".host", fmt.Errorf("%w: an mno segment has no host (got %q)", ErrInvalidValue, s.Host))
			}
		case KindMVNO:
			if s.Host == "" {
				c.fail(f+".host", fmt.Errorf("%w: an mvno segment needs its host mno", ErrInvalidValue))
			}
		default:
			c.fail(f+".kind", fmt.Errorf("%w %q (want mno or mvno)", ErrInvalidValue, s.Kind))
		}
		// A segment may name carriers the plan does not connect to; when
		// it names one the plan defines, they must agree.
		if ci, ok := c.carrierIdx[s.Carrier]; ok {
			seg.carrierIdx = ci
			cr := c.t.carriers[ci]
			if cr.mvno != seg.mvno {
				c.fail(f+".kind", fmt.Errorf("%w: %q is %s in carriers", ErrInvalidValue, s.Carrier, kindOf(cr.mvno)))
			} else if cr.mvno && cr.host >= 0 && c.t.carriers[cr.host].name != s.Host {
				c.fail(f+".host", fmt.Errorf("%w: %q is hosted by %q in carriers", ErrInvalidValue, s.Carrier, c.t.carriers[cr.host].name))
			}
		}
		if hi, ok := c.carrierIdx[s.Host]; ok && seg.mvno {
			seg.hostIdx = hi
			if c.t.carriers[hi].mvno {
				c.fail(f+".host", fmt.Errorf("%w: host %q is not an mno", ErrInvalidValue, s.Host))
			}
		}
		// Value == entry index: Decide relies on it (PrefixTable.index).
		entries = append(entries, PrefixEntry[int32]{Prefix: s.Prefix, Value: int32(len(c.t.segs))})
		c.t.segs = append(c.t.segs, seg)
	}
	t, err := NewPrefixTable(entries)
	if err != nil { // unreachable: prefixes were checked above
		c.fail("segments", err)
		return
	}
	c.t.segments = t
}

func (c *compiler) ported(m map[string]string) {
	if len(m) == 0 {
		return
	}
	c.t.ported = make(map[string]int32, len(m))
	// Sorted so that the errors come out in a stable order.
	for _, num := range slices.Sorted(maps.Keys(m)) {
		f := "ported[" + strconv.Quote(num) + "]"
		if num == "" || !isDigits(num) || len(num) > 15 || num[0] == '0' {
			c.fail(f, fmt.Errorf("%w: not E.164 digits without '+'", ErrInvalidPrefix))
			continue
		}
		ci, ok := c.carrierIdx[m[num]]
		if !ok {
			c.fail(f, wrapQ(ErrUnknownCarrier, m[num]))
			continue
		}
		c.t.ported[num] = ci
	}
}

func kindOf(mvno bool) string {
	if mvno {
		return KindMVNO
	}
	return KindMNO
}
