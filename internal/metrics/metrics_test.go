package metrics_test

import (
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"softswitch/internal/metrics"
)

// TestHistogram: observations land in the first bucket whose bound is at
// or above them (Prometheus' le), cumulatively, with count and sum, also
// under concurrent observers.
func TestHistogram(t *testing.T) {
	// Binary fractions: the sum is exact whatever the order of additions.
	h := metrics.NewHistogram("x_seconds", "x", []float64{0.25, 1, 8})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, v := range []float64{0.125, 0.25, 0.5, 1, 4, 32} {
				h.Observe(v)
			}
		})
	}
	wg.Wait()
	c := &metrics.Collector{Histograms: []*metrics.Histogram{h}}
	want := `# HELP x_seconds x
# TYPE x_seconds histogram
x_seconds_bucket{le="0.25"} 8
x_seconds_bucket{le="1"} 16
x_seconds_bucket{le="8"} 20
x_seconds_bucket{le="+Inf"} 24
x_seconds_sum 151.5
x_seconds_count 24
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(c); n != 1 {
		t.Fatalf("%d metrics, want 1", n)
	}
}

// TestCollector: emitted counters and gauges, labelled or not, and a
// summary come out as Prometheus metrics with their names, help and
// types; a sample whose labels disagree with its name's first is dropped
// and the scrape goes on.
func TestCollector(t *testing.T) {
	c := &metrics.Collector{
		Sources: []metrics.Source{func(emit metrics.Emit) {
			emit(metrics.Counter, "a_total", "A.", 3)
			emit(metrics.Counter, "req_total", "Requests.", 1, "method", "INVITE")
			emit(metrics.Counter, "req_total", "Requests.", 2, "method", "BYE")
			emit(metrics.Gauge, "g", "G.", 1.5)
			emit(metrics.Gauge, "g", "G.", 9, "extra", "label") // inconsistent: dropped
		}},
		Summaries: []func() metrics.Quantiles{func() metrics.Quantiles {
			return metrics.Quantiles{Name: "lat_seconds", Help: "L.", Count: 2, Sum: 3, Values: map[float64]float64{0.5: 1, 0.99: math.Inf(1)}}
		}},
	}
	want := `# HELP a_total A.
# TYPE a_total counter
a_total 3
# HELP g G.
# TYPE g gauge
g 1.5
# HELP lat_seconds L.
# TYPE lat_seconds summary
lat_seconds{quantile="0.5"} 1
lat_seconds{quantile="0.99"} +Inf
lat_seconds_sum 3
lat_seconds_count 2
# HELP req_total Requests.
# TYPE req_total counter
req_total{method="BYE"} 2
req_total{method="INVITE"} 1
`
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
}
