package routing

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"softswitch/interconnect/number"
)

// The benchmarks share one table of 1M route prefixes plus China's segment
// table, built once per test binary (building takes about a second).
const benchPrefixes = 1_000_000

type benchFixture struct {
	table    *Table
	prefixes []string
	nums     []number.Number // lookup inputs, mostly under some prefix
}

var bigFixture = sync.OnceValue(func() *benchFixture {
	rng := rand.New(rand.NewPCG(4, 4))
	prefixes := realisticPrefixes(rng, benchPrefixes)
	trunks := []Trunk{
		{Name: "cm-1", Carrier: "china-mobile", MaxChannels: 1000, MaxCPS: 100},
		{Name: "cm-2", Carrier: "china-mobile", MaxChannels: 1000, MaxCPS: 100},
		{Name: "cu-1", Carrier: "china-unicom", MaxChannels: 1000},
		{Name: "ct-1", Carrier: "china-telecom", MaxCPS: 50},
		{Name: "t-1", Carrier: "transit"}, {Name: "t-2", Carrier: "transit"}, {Name: "t-3", Carrier: "transit"},
	}
	routes := make([]Route, len(prefixes))
	for i, p := range prefixes {
		switch {
		case len(p) >= 4 && p[:3] == "861" && p[3] >= '3':
			routes[i] = Route{Prefix: p, ByCarrier: true}
		case i%3 == 0:
			routes[i] = Route{Prefix: p, Trunks: []string{"t-1", "t-2", "t-3"}, Weights: []int{5, 3, 2}}
		default:
			routes[i] = Route{Prefix: p, Trunks: []string{"t-2", "t-3"}}
		}
	}
	tab, err := Compile(Plan{
		Carriers: []Carrier{
			{Name: "china-mobile", Kind: KindMNO}, {Name: "china-unicom", Kind: KindMNO},
			{Name: "china-telecom", Kind: KindMNO}, {Name: "transit", Kind: KindMNO},
		},
		Trunks:   trunks,
		Routes:   routes,
		Segments: DefaultSegments(),
	})
	if err != nil {
		panic(err)
	}
	// Inputs: a random prefix completed to a whole number, and home
	// mobiles; shuffled so consecutive lookups share nothing.
	nums := make([]number.Number, 0, 1<<20)
	for len(nums) < cap(nums) {
		var s string
		if rng.IntN(4) == 0 {
			s = "+86" + string(rune('3'+rng.IntN(7))) + randDigits(rng, 9)
			s = "+861" + s[3:]
		} else {
			p := prefixes[rng.IntN(len(prefixes))]
			s = "+" + p + randDigits(rng, max(0, 12-len(p))+rng.IntN(2))
		}
		if n, err := number.Normalize(s); err == nil {
			nums = append(nums, n)
		}
	}
	return &benchFixture{table: tab, prefixes: prefixes, nums: nums}
})

// realisticPrefixes returns n distinct prefixes of 3–12 digits shaped like
// an operator's rate/route table: a country code (China about a third of
// them, with mobile ranges 13–19 and area codes), then digits.
func realisticPrefixes(rng *rand.Rand, n int) []string {
	ccs := []string{"1", "7", "20", "27", "30", "31", "33", "34", "39", "44", "49", "52", "55", "60", "61",
		"62", "63", "65", "66", "81", "82", "84", "90", "91", "92", "98", "212", "234", "254", "351",
		"353", "358", "380", "852", "853", "855", "856", "880", "886", "966", "971", "972", "977", "998"}
	seen := make(map[string]struct{}, n)
	out := make([]string, 0, n)
	for len(out) < n {
		var p string
		if rng.IntN(3) == 0 {
			switch rng.IntN(3) {
			case 0, 1:
				p = "861" + strconv.Itoa(3+rng.IntN(7))
			default:
				p = "86" + strconv.Itoa(2+rng.IntN(8))
			}
		} else {
			p = ccs[rng.IntN(len(ccs))]
		}
		l := 3 + rng.IntN(10)
		if l > len(p) {
			p += randDigits(rng, l-len(p))
		}
		if _, dup := seen[p]; !dup {
			seen[p] = struct{}{}
			out = append(out, p)
		}
	}
	return out
}

// lookupBoth is the route lookup of Decide: the route's longest prefix on the
// E.164 digits and, for a home mobile, the segment's on the national ones.
func (t *Table) lookupBoth(n number.Number) (int32, int32) {
	ri, _ := t.routes.index(n.E164())
	si := int32(-1)
	if n.Kind() == number.Mobile {
		si, _ = t.segments.index(n.National())
	}
	return ri, si
}

func BenchmarkLookup(b *testing.B) {
	f := bigFixture()
	b.ReportAllocs()
	mask := len(f.nums) - 1
	var sink int32
	for i := 0; b.Loop(); i++ {
		ri, si := f.table.lookupBoth(f.nums[i&mask])
		sink += ri + si
	}
	_ = sink
}

// BenchmarkLookupLatency times every lookup on its own with the monotonic
// clock and reports the distribution. The figures include one
// time.Now/time.Since pair; timer-p50-ns is that pair's cost alone.
func BenchmarkLookupLatency(b *testing.B) {
	f := bigFixture()
	mask := len(f.nums) - 1
	var lookups, timer histogram
	var sink int32
	for i := 0; b.Loop(); i++ {
		n := f.nums[i&mask]
		t0 := time.Now()
		ri, si := f.table.lookupBoth(n)
		lookups.add(time.Since(t0))
		sink += ri + si
		t1 := time.Now()
		timer.add(time.Since(t1))
	}
	_ = sink
	b.ReportMetric(lookups.quantile(0.50), "p50-ns")
	b.ReportMetric(lookups.quantile(0.99), "p99-ns")
	b.ReportMetric(lookups.quantile(0.999), "p999-ns")
	b.ReportMetric(timer.quantile(0.50), "timer-p50-ns")
}

func BenchmarkPrefixTableLookup(b *testing.B) {
	f := bigFixture()
	mask := len(f.nums) - 1
	b.ReportAllocs()
	var sink int32
	for i := 0; b.Loop(); i++ {
		v, _, _ := f.table.routes.Lookup(f.nums[i&mask].E164())
		sink += v
	}
	_ = sink
}

func BenchmarkDecide(b *testing.B) {
	f := bigFixture()
	st := fakeState{
		down:     map[string]bool{"t-2": true},
		channels: map[string]int{"cm-1": 1000, "cu-1": 10},
		cps:      map[string]float64{"ct-1": 12.5},
	}
	mask := len(f.nums) - 1
	b.ReportAllocs()
	routed := 0
	for i := 0; b.Loop(); i++ {
		if d := f.table.Decide(f.nums[i&mask], st, uint64(i)); len(d.Candidates) > 0 {
			routed++
		}
	}
	if routed == 0 {
		b.Fatal("nothing routed")
	}
}

// BenchmarkDecideParallel runs Decide from every P at once on the shared
// table, as the SIP side will.
func BenchmarkDecideParallel(b *testing.B) {
	f := bigFixture()
	mask := len(f.nums) - 1
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := rand.IntN(mask)
		for pb.Next() {
			f.table.Decide(f.nums[i&mask], nil, uint64(i))
			i++
		}
	})
}

func BenchmarkCompile1M(b *testing.B) {
	f := bigFixture()
	routes := make([]Route, len(f.prefixes))
	for i, p := range f.prefixes {
		routes[i] = Route{Prefix: p, Trunks: []string{"t"}}
	}
	p := Plan{Carriers: []Carrier{{Name: "c", Kind: KindMNO}}, Trunks: []Trunk{{Name: "t", Carrier: "c"}}, Routes: routes, Segments: DefaultSegments()}
	var ms runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.HeapAlloc
		tab, err := Compile(p)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapAlloc-before)/(1<<20), "table-MiB")
		runtime.KeepAlive(tab)
	}
}

// histogram counts durations in 1 ns buckets up to 8 µs (64 KiB, small
// enough not to push the table out of cache itself).
type histogram struct {
	counts [8192]uint64
	total  uint64
}

func (h *histogram) add(d time.Duration) {
	ns := min(max(int64(d), 0), int64(len(h.counts)-1))
	h.counts[ns]++
	h.total++
}

func (h *histogram) quantile(q float64) float64 {
	target := uint64(q * float64(h.total))
	var acc uint64
	for ns, c := range h.counts {
		acc += c
		if acc > target {
			return float64(ns)
		}
	}
	return float64(len(h.counts) - 1)
}

func TestHistogram(t *testing.T) {
	var h histogram
	for i := range 1000 {
		h.add(time.Duration(i))
	}
	h.add(time.Hour)
	if got := []float64{h.quantile(0.5), h.quantile(0.99)}; !slices.Equal(got, []float64{500, 990}) {
		t.Fatal(got)
	}
	if h.quantile(1) != 8191 {
		t.Fatal(h.quantile(1))
	}
}
