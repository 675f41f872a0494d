// Package metrics is how the switch's figures reach Prometheus. The hot
// paths keep their own atomic counters and this package's Histogram (no
// locks, no allocation); at scrape time each part emits what it has
// through an Emit function, and Collector turns those into
// prometheus/client_golang metrics, registered beside the Go runtime and
// process collectors (docs/metrics.md). The switch's packages depend on
// this small package, not on client_golang.
package metrics

import (
	"math"
	"sync/atomic"
)

// Kind is a metric's type.
type Kind int

const (
	Counter Kind = iota
	Gauge
)

// Emit reports one sample at scrape time: a counter or gauge named name
// with its help text, value and label pairs (name, value, name, value…).
// Samples of one name must share help, kind and label names.
type Emit func(kind Kind, name, help string, value float64, labels ...string)

// Source emits a part's samples.
type Source func(Emit)

// Histogram counts observations into fixed upper bounds (Prometheus'
// cumulative buckets are computed at scrape time). Safe for concurrent
// use; Observe is a few atomic adds.
type Histogram struct {
	name, help string
	bounds     []float64
	counts     []atomic.Uint64 // per bound, then +Inf
	count      atomic.Uint64
	sumBits    atomic.Uint64 // float64 bits, added by CAS
}

// NewHistogram returns a histogram with the given upper bounds, ascending.
func NewHistogram(name, help string, bounds []float64) *Histogram {
	return &Histogram{name: name, help: help, bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
}

// Observe adds v.
func (h *Histogram) Observe(v float64) {
	i := 0
	for i < len(h.bounds) && v > h.bounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.count.Add(1)
	for {
		old := h.sumBits.Load()
		if h.sumBits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// snapshot returns the cumulative bucket counts by upper bound, the count
// and the sum.
func (h *Histogram) snapshot() (map[float64]uint64, uint64, float64) {
	buckets := make(map[float64]uint64, len(h.bounds))
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i].Load()
		buckets[b] = cum
	}
	cum += h.counts[len(h.bounds)].Load()
	return buckets, cum, math.Float64frombits(h.sumBits.Load())
}
