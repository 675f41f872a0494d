package main

import (
	"fmt"
	"io"

	"softswitch/billing/cdr"
)

// writeMetrics adds the pipeline's figures to /metrics in the Prometheus
// text format: Kafka shipping progress, the CDR consumer, and how long a
// call's end takes to become a stored CDR.
func (p *pipeline) writeMetrics(w io.Writer) {
	gauge := func(name, help string, v any) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %v\n", name, help, name, name, v)
	}
	counter := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	if p.shipper != nil {
		s := p.shipper.Stats()
		counter("softswitch_kafka_shipped_total", "Envelopes acknowledged by Kafka, redeliveries included.", s.Shipped)
		gauge("softswitch_kafka_ship_next_position", "First journal position not yet acknowledged by Kafka.", s.Next)
		gauge("softswitch_kafka_ship_backlog", "Journal envelopes waiting to be shipped to Kafka.", s.Backlog)
		gauge("softswitch_kafka_ship_lag_seconds", "Age of the oldest event not yet on Kafka.", s.Lag.Seconds())
		gauge("softswitch_kafka_ship_failures", "Consecutive failed writes to Kafka; 0 when healthy.", s.Failures)
	}
	if sink := p.cdrs.Load(); sink != nil {
		s := sink.stats()
		counter("softswitch_cdr_events_total", "Events seen by the CDR consumer.", s.Events)
		counter("softswitch_cdr_records_total", "CDRs produced.", s.CDRs)
		counter("softswitch_cdr_stored_total", "CDRs written to the CDR store, rewrites included.", s.Stored)
		counter("softswitch_cdr_flush_errors_total", "Failed writes to the CDR store (retried).", s.FlushErrors)
		counter("softswitch_cdr_duplicates_total", "Redelivered call events skipped by sequence.", s.Duplicates)
		gauge("softswitch_cdr_open_calls", "Calls the CDR consumer holds open.", s.OpenCalls)
		gauge("softswitch_cdr_buffered", "CDRs waiting for the next flush.", s.Buffered)
	} else {
		gauge("softswitch_cdr_store_up", "Whether the CDR store is open.", 0)
	}
	counter("softswitch_cdr_rated_total", "CDRs rated on both sides that apply.", p.rated.Load())
	counter("softswitch_cdr_unrated_total", "CDRs stored without a rate on a side that needs one (flagged, never dropped).", p.unrated.Load())
	n, sum := p.latency.Count()
	fmt.Fprintf(w, "# HELP softswitch_cdr_end_to_stored_seconds Time from a call's end (BYE) to its CDR being stored and queryable.\n# TYPE softswitch_cdr_end_to_stored_seconds summary\n")
	for _, q := range []float64{0.5, 0.9, 0.99} {
		d, ok := p.latency.Quantile(q)
		switch {
		case !ok:
		case d == cdr.Overflow:
			fmt.Fprintf(w, "softswitch_cdr_end_to_stored_seconds{quantile=\"%g\"} +Inf\n", q)
		default:
			fmt.Fprintf(w, "softswitch_cdr_end_to_stored_seconds{quantile=\"%g\"} %g\n", q, d.Seconds())
		}
	}
	fmt.Fprintf(w, "softswitch_cdr_end_to_stored_seconds_sum %g\nsoftswitch_cdr_end_to_stored_seconds_count %d\n", sum.Seconds(), n)
}
