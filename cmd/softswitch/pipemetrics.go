package main

import (
	"math"

	"softswitch/billing/cdr"
	"softswitch/internal/metrics"
)

// emitMetrics reports the pipeline's figures: Kafka shipping progress and
// the CDR consumer.
func (p *pipeline) emitMetrics(emit metrics.Emit) {
	gauge := func(name, help string, v float64) { emit(metrics.Gauge, name, help, v) }
	counter := func(name, help string, v uint64) { emit(metrics.Counter, name, help, float64(v)) }
	if p.shipper != nil {
		s := p.shipper.Stats()
		counter("softswitch_kafka_shipped_total", "Envelopes acknowledged by Kafka, redeliveries included.", s.Shipped)
		gauge("softswitch_kafka_ship_next_position", "First journal position not yet acknowledged by Kafka.", float64(s.Next))
		gauge("softswitch_kafka_ship_backlog", "Journal envelopes waiting to be shipped to Kafka.", float64(s.Backlog))
		gauge("softswitch_kafka_ship_lag_seconds", "Age of the oldest event not yet on Kafka.", s.Lag.Seconds())
		gauge("softswitch_kafka_ship_failures", "Consecutive failed writes to Kafka; 0 when healthy.", float64(s.Failures))
	}
	if sink := p.cdrs.Load(); sink != nil {
		s := sink.stats()
		counter("softswitch_cdr_events_total", "Events seen by the CDR consumer.", s.Events)
		counter("softswitch_cdr_records_total", "CDRs produced.", s.CDRs)
		counter("softswitch_cdr_stored_total", "CDRs written to the CDR store, rewrites included.", s.Stored)
		counter("softswitch_cdr_flush_errors_total", "Failed writes to the CDR store (retried).", s.FlushErrors)
		counter("softswitch_cdr_duplicates_total", "Redelivered call events skipped by sequence.", s.Duplicates)
		gauge("softswitch_cdr_open_calls", "Calls the CDR consumer holds open.", float64(s.OpenCalls))
		gauge("softswitch_cdr_buffered", "CDRs waiting for the next flush.", float64(s.Buffered))
	} else {
		gauge("softswitch_cdr_store_up", "Whether the CDR store is open.", 0)
	}
	counter("softswitch_cdr_rated_total", "CDRs rated on both sides that apply.", p.rated.Load())
	counter("softswitch_cdr_unrated_total", "CDRs stored without a rate on a side that needs one (flagged, never dropped).", p.unrated.Load())
}

// cdrLatency is the time from a call's end (BYE) to its CDR being stored
// and queryable, as a summary (cdr.Latency keeps exact quantiles).
func (p *pipeline) cdrLatency() metrics.Quantiles {
	n, sum := p.latency.Count()
	q := metrics.Quantiles{Name: "softswitch_cdr_end_to_stored_seconds",
		Help:  "Time from a call's end (BYE) to its CDR being stored and queryable.",
		Count: n, Sum: sum.Seconds(), Values: map[float64]float64{}}
	for _, x := range []float64{0.5, 0.9, 0.99} {
		d, ok := p.latency.Quantile(x)
		switch {
		case !ok:
		case d == cdr.Overflow:
			q.Values[x] = math.Inf(1)
		default:
			q.Values[x] = d.Seconds()
		}
	}
	return q
}
