//go:build e2e

package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"softswitch/internal/itest"
)

// keptNames are the metric names /metrics had before it moved to
// prometheus/client_golang (issue 16): dashboards and alerts built on
// them keep working. softswitch_kafka_* and softswitch_cdr_store_up are
// there only with Kafka and while the CDR store is down.
var keptNames = strings.Fields(`softswitch_active_calls softswitch_auth_bans_total softswitch_auth_challenges_total
softswitch_auth_failures_total softswitch_auth_table_evictions_total softswitch_auth_table_untracked_total
softswitch_auth_tracked_sources softswitch_banned_drops_total softswitch_bindings_refused_total softswitch_calls_answered_total
softswitch_calls_ended_total softswitch_calls_rejected_total softswitch_calls_started_total softswitch_cdr_buffered
softswitch_cdr_duplicates_total softswitch_cdr_end_to_stored_seconds softswitch_cdr_events_total softswitch_cdr_flush_errors_total
softswitch_cdr_open_calls softswitch_cdr_rated_total softswitch_cdr_records_total softswitch_cdr_stored_total
softswitch_cdr_unrated_total softswitch_disk_free_bytes softswitch_disk_low softswitch_inbound_trunk_calls_total
softswitch_journal_append_batches_total softswitch_journal_append_errors_total softswitch_journal_append_events_total
softswitch_journal_append_seconds_total softswitch_journal_head softswitch_low_disk_refusals_total softswitch_media_no_ports_total
softswitch_media_port_bind_failures_total softswitch_media_port_exhaustions_total softswitch_media_ports_capacity
softswitch_media_ports_in_use softswitch_media_timeouts_total softswitch_orphan_calls_closed_total softswitch_overload_shed_total
softswitch_preferred_identity_refused_total softswitch_rate_decks softswitch_registered_aors softswitch_registered_contacts
softswitch_registration_expirations_total softswitch_registrations_refused_total softswitch_registrations_total
softswitch_scanner_drops_total softswitch_sdp_refused_total softswitch_session_expiries_total softswitch_session_refreshes_total
softswitch_sip_edge_acks_absorbed_total softswitch_sip_error_answers_suppressed_total softswitch_sip_error_answers_total
softswitch_sip_malformed_total softswitch_sip_oversize_total softswitch_sip_requests_total softswitch_sip_responses_total
softswitch_sip_stray_in_dialog_total softswitch_sip_tcp_accept_errors_total softswitch_sip_tcp_framing_closed_total
softswitch_sip_tcp_idle_closed_total softswitch_sip_tcp_refused_total softswitch_trunk_attempts_total softswitch_trunk_failovers_total
softswitch_unregistrations_total go_goroutines go_memstats_heap_alloc_bytes`)

// TestE2EMetrics: after a call, /metrics parses as the Prometheus text
// format; it keeps every earlier name, has the call setup, journal append
// and MOS histograms with the call in them, the Go runtime and process
// collectors, and every series the Grafana dashboard plots.
func TestE2EMetrics(t *testing.T) {
	itest.RequireSIPp(t)
	sw := itest.Start(t, itest.Options{})
	uas := startUAS(t, sw, "uas", callee)
	if res := call(t, sw, "uac", callee); !res.OK() {
		t.Fatalf("call: %s", res)
	}
	uas.Wait(10 * time.Second)
	waitNoActiveCalls(t, sw)
	var fams map[string]*dto.MetricFamily
	itest.Eventually(t, 10*time.Second, "the call in the setup histogram", func() bool {
		var err error
		if fams, err = textParser().TextToMetricFamilies(strings.NewReader(sw.Metrics(t))); err != nil {
			t.Fatalf("/metrics does not parse: %v", err)
		}
		h := fams["softswitch_call_setup_seconds"]
		return h != nil && h.GetMetric()[0].GetHistogram().GetSampleCount() >= 1
	})
	for _, n := range append(keptNames, "softswitch_call_setup_seconds", "softswitch_journal_append_latency_seconds",
		"softswitch_call_mos", "process_cpu_seconds_total", "go_gc_duration_seconds") {
		if fams[n] == nil {
			t.Errorf("/metrics has no %s", n)
		}
	}
	if h := fams["softswitch_journal_append_latency_seconds"].GetMetric()[0].GetHistogram(); h.GetSampleCount() == 0 || h.GetSampleSum() <= 0 {
		t.Errorf("journal append histogram empty: %v", h)
	}

	b, err := os.ReadFile("../../deploy/grafana/softswitch-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil || len(dash.Panels) == 0 {
		t.Fatalf("dashboard: %v (%d panels)", err, len(dash.Panels))
	}
	series := regexp.MustCompile(`\b((?:softswitch|go|process)_[a-z_]+)`)
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, m := range series.FindAllStringSubmatch(tg.Expr, -1) {
				n := strings.TrimSuffix(m[1], "_bucket")
				if fams[n] == nil && !strings.HasPrefix(n, "softswitch_kafka_") {
					t.Errorf("panel %q plots %s, which /metrics does not have", p.Title, n)
				}
			}
		}
	}
}

// textParser reads the text format with Prometheus' classic name rules,
// which every name here follows.
func textParser() *expfmt.TextParser {
	p := expfmt.NewTextParser(model.LegacyValidation)
	return &p
}
