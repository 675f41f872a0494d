package compliance

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"softswitch/interconnect/number"
)

// The benchmarks share a 10M-number DNC list and a cap table holding 1M
// callees, built once per test binary (a few seconds).
const (
	benchDNC     = 10_000_000
	benchCallees = 1_000_000
	benchLeads   = 1 << 18 // leads cycled through; a subset of the callees
)

type benchFixture struct {
	e     *Engine
	c     *Campaign
	leads []Lead
	now   time.Time
}

// randMobile returns the key of a random Chinese mobile, 861[3-9]xxxxxxxxx.
func randMobile(rng *rand.Rand) uint64 {
	return 8613_000_000_000 + rng.Uint64N(7_000_000_000)
}

var decideFixture = sync.OnceValue(func() *benchFixture {
	rng := rand.New(rand.NewPCG(15, 15))
	keys := make([]uint64, benchDNC)
	for i := range keys {
		keys[i] = randMobile(rng)
	}
	dnc := LoadDNC(1, keys)
	dnc.Apply(Batch{Add: []uint64{randMobile(rng), randMobile(rng)}}) // a delta, as in service
	caps, err := NewCaps(CapsConfig{})
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC)
	callees := make([]uint64, benchCallees)
	for i := range callees {
		callees[i] = randMobile(rng)
		for a := range 1 + rng.IntN(3) {
			caps.Record(callees[i], now.Add(-time.Duration(rng.IntN(86400)+a)*time.Second))
		}
	}
	nums := make([]string, 100)
	for i := range nums {
		nums[i] = "0101234" + strconv.Itoa(5000+i)
	}
	pool, err := NewPool(PoolConfig{Carrier: "china-mobile", Numbers: nums, DailyCap: 1 << 30, Rotation: RotationLeastUsed})
	if err != nil {
		panic(err)
	}
	e := NewEngine(dnc, caps, pool)
	c, err := e.Campaign(CampaignConfig{Name: "bench", Hours: HoursConfig{
		Windows: []WindowConfig{{Days: []string{"mon-sun"}, Start: "00:00", End: "24:00"}}}})
	if err != nil {
		panic(err)
	}
	leads := make([]Lead, benchLeads)
	for i := range leads {
		n, err := number.Normalize("+" + strconv.FormatUint(callees[rng.IntN(len(callees))], 10))
		if err != nil {
			panic(err)
		}
		leads[i] = Lead{Number: n, Carrier: "china-mobile"}
	}
	return &benchFixture{e: e, c: c, leads: leads, now: now}
})

// BenchmarkDecide: one decision per op on the 10M DNC and the 1M-callee
// cap table; the clock advances 10 ms per op, so callees come back within
// their caps' windows and some are refused.
func BenchmarkDecide(b *testing.B) {
	f := decideFixture()
	mask := len(f.leads) - 1
	allowed := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if d := f.e.Decide(f.now.Add(time.Duration(i)*10*time.Millisecond), f.leads[i&mask], f.c); d.Allowed {
			allowed++
		}
	}
	b.ReportMetric(float64(allowed)/float64(b.N), "allowed/op")
}

// BenchmarkDecideParallel runs Decide from every P at once.
func BenchmarkDecideParallel(b *testing.B) {
	f := decideFixture()
	mask := len(f.leads) - 1
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := rand.IntN(mask)
		for pb.Next() {
			f.e.Decide(f.now.Add(time.Duration(i)*10*time.Millisecond), f.leads[i&mask], f.c)
			i++
		}
	})
}

func BenchmarkDNCContains(b *testing.B) {
	f := decideFixture()
	rng := rand.New(rand.NewPCG(1, 2))
	probe := make([]uint64, 1<<16)
	for i := range probe {
		probe[i] = randMobile(rng)
	}
	b.ReportAllocs()
	hits := 0
	for i := 0; b.Loop(); i++ {
		if f.e.dnc.Contains(probe[i&(len(probe)-1)]) {
			hits++
		}
	}
	_ = hits
}

// BenchmarkDNCMemory builds a 10M list and reports the heap it holds per
// number (runtime.MemStats, after a GC) and the time an Apply takes.
func BenchmarkDNCMemory(b *testing.B) {
	for b.Loop() {
		rng := rand.New(rand.NewPCG(7, 7))
		before := heapAfterGC()
		keys := make([]uint64, benchDNC)
		for i := range keys {
			keys[i] = randMobile(rng)
		}
		d := LoadDNC(0, keys)
		keys = nil
		after := heapAfterGC()
		b.ReportMetric(float64(after-before)/float64(d.Len()), "B/number")
		t0 := time.Now()
		d.Apply(Batch{Add: []uint64{randMobile(rng)}, Remove: []uint64{randMobile(rng)}})
		b.ReportMetric(float64(time.Since(t0).Microseconds()), "apply-µs")
		d.SetDeltaMax(1)
		t0 = time.Now()
		d.Apply(Batch{Add: []uint64{randMobile(rng), randMobile(rng)}}) // forces a merge
		b.ReportMetric(float64(time.Since(t0).Milliseconds()), "merge-ms")
		runtime.KeepAlive(d)
	}
}

// BenchmarkCapsMemory fills a table with 1M callees (1–3 attempts each)
// and reports the heap held per callee.
func BenchmarkCapsMemory(b *testing.B) {
	for b.Loop() {
		rng := rand.New(rand.NewPCG(8, 8))
		now := time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC)
		before := heapAfterGC()
		c, _ := NewCaps(CapsConfig{})
		for range benchCallees {
			k := randMobile(rng)
			for a := range 1 + rng.IntN(3) {
				c.Record(k, now.Add(-time.Duration(rng.IntN(86400)+a)*time.Second))
			}
		}
		after := heapAfterGC()
		b.ReportMetric(float64(after-before)/float64(c.Len()), "B/callee")
		runtime.KeepAlive(c)
	}
}

func heapAfterGC() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
