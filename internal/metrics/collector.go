package metrics

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// Quantiles is a summary sample: quantile → value, with count and sum.
type Quantiles struct {
	Name, Help string
	Count      uint64
	Sum        float64
	Values     map[float64]float64
}

// Collector is a prometheus.Collector over Sources, Histograms and
// Summaries. It is "unchecked" (Describe sends nothing): the samples a
// part has depend on its state (no media pool without anchoring, no Kafka
// shipper without Kafka), which Prometheus allows for such collectors.
type Collector struct {
	Sources    []Source
	Histograms []*Histogram
	Summaries  []func() Quantiles
	Log        *slog.Logger
}

var _ prometheus.Collector = (*Collector)(nil)

func (c *Collector) Describe(chan<- *prometheus.Desc) {}

func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	descs := map[string]*prometheus.Desc{}
	desc := func(name, help string, labels []string) *prometheus.Desc {
		if d, ok := descs[name]; ok {
			return d
		}
		var names []string
		for i := 0; i+1 < len(labels); i += 2 {
			names = append(names, labels[i])
		}
		d := prometheus.NewDesc(name, help, names, nil)
		descs[name] = d
		return d
	}
	emit := func(kind Kind, name, help string, value float64, labels ...string) {
		var values []string
		for i := 1; i < len(labels); i += 2 {
			values = append(values, labels[i])
		}
		t := prometheus.CounterValue
		if kind == Gauge {
			t = prometheus.GaugeValue
		}
		m, err := prometheus.NewConstMetric(desc(name, help, labels), t, value, values...)
		if err != nil {
			// A programming error (labels not matching the first sample's):
			// logged, the scrape goes on without it.
			if c.Log != nil {
				c.Log.Error("metrics: sample dropped", "name", name, "error", err)
			}
			return
		}
		ch <- m
	}
	for _, s := range c.Sources {
		s(emit)
	}
	for _, h := range c.Histograms {
		b, n, sum := h.snapshot()
		ch <- prometheus.MustNewConstHistogram(prometheus.NewDesc(h.name, h.help, nil, nil), n, sum, b)
	}
	for _, f := range c.Summaries {
		q := f()
		ch <- prometheus.MustNewConstSummary(prometheus.NewDesc(q.Name, q.Help, nil, nil), q.Count, q.Sum, q.Values)
	}
}

// LatencyBounds are a Histogram's bucket bounds for latencies, in
// seconds: 0.5 ms to 10 s.
func LatencyBounds() []float64 {
	return []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
}
