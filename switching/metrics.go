package switching

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"softswitch/internal/metrics"
	"softswitch/media"
)

// Metrics are the switch's counters and distributions, emitted at scrape
// time to internal/metrics' collector (Prometheus, docs/metrics.md). Atomic
// counters keep the hot path free of locks.
type Metrics struct {
	requests        [methodCount]atomic.Uint64
	responses       [7]atomic.Uint64 // by class: 1xx..6xx
	malformed       atomic.Uint64
	authChallenges  atomic.Uint64
	authFailures    atomic.Uint64
	authBans        atomic.Uint64
	bannedDrops     atomic.Uint64
	scannerDrops    atomic.Uint64
	registrations   atomic.Uint64
	unregistrations atomic.Uint64
	expirations     atomic.Uint64
	callsStarted    atomic.Uint64
	callsAnswered   atomic.Uint64
	callsEnded      atomic.Uint64
	callsRejected   atomic.Uint64
	trunkAttempts   atomic.Uint64
	trunkFailovers  atomic.Uint64
	inboundCalls    atomic.Uint64
	appendErrors    atomic.Uint64
	appendBatches   atomic.Uint64
	appendEvents    atomic.Uint64
	appendNanos     atomic.Uint64
	// strayInDialog counts in-dialog requests (BYE, re-INVITE, UPDATE,
	// ACK) that matched no dialog: a wrong tag, a forged or late request.
	strayInDialog    atomic.Uint64
	sessionRefreshes atomic.Uint64
	sessionExpiries  atomic.Uint64
	orphansClosed    atomic.Uint64
	// edge counts what the SIP edge refuses (edge_metrics.go).
	edge edgeMetrics
	// registrationsRefused counts REGISTERs refused for where they came
	// from or where their Contact points; bindingsRefused the bindings a
	// call would have reached at a trunk's or a forbidden address.
	registrationsRefused atomic.Uint64
	bindingsRefused      atomic.Uint64
	lowDiskRefusals      atomic.Uint64
	// Media: calls refused for want of a port pair, SDP bodies refused
	// (400/488), calls ended for dead media.
	mediaNoPorts  atomic.Uint64
	sdpRefused    atomic.Uint64
	mediaTimeouts atomic.Uint64
	histOnce      sync.Once
	hist          histograms
	// identitiesRefused counts P-Preferred-Identity wishes not among the
	// subscriber's identities (identity.go).
	identitiesRefused atomic.Uint64
}

const methodCount = 9

var methodNames = [methodCount]string{"REGISTER", "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "UPDATE", "INFO", "OTHER"}

func methodIndex(m string) int {
	for i, n := range methodNames[:methodCount-1] {
		if n == m {
			return i
		}
	}
	return methodCount - 1
}

func (m *Metrics) request(method string) { m.requests[methodIndex(method)].Add(1) }

func (m *Metrics) response(code int) {
	if c := code / 100; c >= 1 && c <= 6 {
		m.responses[c].Add(1)
	}
}

func (m *Metrics) observeAppend(d time.Duration, n int) {
	m.appendBatches.Add(1)
	m.appendEvents.Add(uint64(n))
	m.appendNanos.Add(uint64(d.Nanoseconds()))
	m.hists().appendLatency.Observe(d.Seconds())
}

// histograms are the distributions /metrics shows (docs/metrics.md).
type histograms struct {
	setup, appendLatency, mos *metrics.Histogram
}

// hists makes the histograms on first use: Metrics' zero value is ready.
func (m *Metrics) hists() *histograms {
	m.histOnce.Do(func() {
		m.hist = histograms{
			setup: metrics.NewHistogram("softswitch_call_setup_seconds",
				"Answered calls: from the INVITE's arrival to the answer sent to the caller (durable first).", setupBounds()),
			appendLatency: metrics.NewHistogram("softswitch_journal_append_latency_seconds",
				"Durable appends: from the call to its fsync'd acknowledgement (group commit included).", metrics.LatencyBounds()),
			mos: metrics.NewHistogram("softswitch_call_mos",
				"Final MOS estimate per leg of anchored calls that carried RTP (E-model, 1.0–4.5; docs/media.md).",
				[]float64{1.5, 2, 2.5, 3, 3.5, 3.8, 4, 4.2, 4.3, 4.4, 4.5}),
		}
	})
	return &m.hist
}

// setupBounds are call setup's buckets: a callee rings for seconds, a
// trunk answers in tens of milliseconds to a minute.
func setupBounds() []float64 { return []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120} }

// Histograms returns the distributions for the collector.
func (m *Metrics) Histograms() []*metrics.Histogram {
	h := m.hists()
	return []*metrics.Histogram{h.setup, h.appendLatency, h.mos}
}

// observeSetup records an answered call's setup time.
func (m *Metrics) observeSetup(d time.Duration) { m.hists().setup.Observe(d.Seconds()) }

// observeMOS records a leg's final MOS; legs without RTP (MOS 0) are not
// a quality figure.
func (m *Metrics) observeMOS(mos float64) {
	if mos > 0 {
		m.hists().mos.Observe(mos)
	}
}

// Malformed counts a message the parser rejected.
func (m *Metrics) Malformed() { m.malformed.Add(1) }

// MalformedCount is the number of malformed messages seen.
func (m *Metrics) MalformedCount() uint64 { return m.malformed.Load() }

// Gauges are values read at scrape time from elsewhere.
type Gauges struct {
	ActiveCalls int
	AORs        int
	Bindings    int
	JournalHead uint64
	// RateDecks is how many rate decks the node's rater holds.
	RateDecks int
	// DiskFreeBytes is the journal disk's free space at the last check;
	// DiskLow tells whether it is below journal.min_free_bytes.
	DiskFreeBytes uint64
	DiskLow       bool
	// BanTracked, BanEvicted and BanUntracked describe the failed-auth
	// table: sources tracked now, entries forgotten because it was full,
	// and failures that found no room at all.
	BanTracked               int
	BanEvicted, BanUntracked uint64
	// Media is the RTP port pool's state; nil without anchoring.
	Media *media.PoolStats
	// Overload is the shedding state; nil without it.
	Overload *Overload
}

// Emit reports the metrics, with the gauges read at scrape time.
func (m *Metrics) Emit(emit metrics.Emit, g Gauges) {
	counter := func(name, help string, v uint64) { emit(metrics.Counter, name, help, float64(v)) }
	gauge := func(name, help string, v uint64) { emit(metrics.Gauge, name, help, float64(v)) }
	for i, n := range methodNames {
		emit(metrics.Counter, "softswitch_sip_requests_total", "SIP requests received, by method.", float64(m.requests[i].Load()), "method", n)
	}
	for c := 1; c <= 6; c++ {
		emit(metrics.Counter, "softswitch_sip_responses_total", "SIP responses sent, by class.", float64(m.responses[c].Load()), "class", fmt.Sprintf("%dxx", c))
	}
	counter("softswitch_sip_malformed_total", "SIP messages that failed to parse or lacked mandatory headers.", m.malformed.Load())
	counter("softswitch_auth_challenges_total", "Digest challenges sent (401/407).", m.authChallenges.Load())
	counter("softswitch_auth_failures_total", "Requests with invalid credentials.", m.authFailures.Load())
	counter("softswitch_auth_bans_total", "Sources banned for failed authentication.", m.authBans.Load())
	counter("softswitch_banned_drops_total", "Requests dropped because their source is banned.", m.bannedDrops.Load())
	counter("softswitch_scanner_drops_total", "Requests dropped for a scanner User-Agent.", m.scannerDrops.Load())
	counter("softswitch_registrations_total", "Contacts bound or refreshed.", m.registrations.Load())
	counter("softswitch_unregistrations_total", "Contacts unbound on request.", m.unregistrations.Load())
	counter("softswitch_registration_expirations_total", "Contacts unbound by expiry.", m.expirations.Load())
	counter("softswitch_calls_started_total", "Authenticated calls started.", m.callsStarted.Load())
	counter("softswitch_calls_answered_total", "Calls answered.", m.callsAnswered.Load())
	counter("softswitch_calls_ended_total", "Calls ended.", m.callsEnded.Load())
	counter("softswitch_preferred_identity_refused_total", "P-Preferred-Identity headers naming no identity of the calling subscriber; the account was presented (RFC 3325 §9.2).", m.identitiesRefused.Load())
	counter("softswitch_calls_rejected_total", "INVITEs answered with a final failure before a call started.", m.callsRejected.Load())
	counter("softswitch_trunk_attempts_total", "Call attempts through carriers' trunks, failovers included.", m.trunkAttempts.Load())
	counter("softswitch_trunk_failovers_total", "Attempts moved to the next trunk after a retryable failure.", m.trunkFailovers.Load())
	counter("softswitch_inbound_trunk_calls_total", "Calls accepted from carriers' trunks by source address.", m.inboundCalls.Load())
	counter("softswitch_registrations_refused_total", "REGISTERs refused for their source or Contact (a trunk's address, outside security.registration_networks).", m.registrationsRefused.Load())
	counter("softswitch_bindings_refused_total", "Registered bindings a call did not reach because they pointed at a trunk's or a forbidden address.", m.bindingsRefused.Load())
	counter("softswitch_low_disk_refusals_total", "New calls and registrations answered 503 because the journal's disk was below its floor.", m.lowDiskRefusals.Load())
	counter("softswitch_sip_stray_in_dialog_total", "In-dialog requests that matched no dialog (RFC 3261 §12.2.2: Call-ID and both tags).", m.strayInDialog.Load())
	counter("softswitch_session_refreshes_total", "Session refreshes the switch sent that were answered (RFC 4028).", m.sessionRefreshes.Load())
	counter("softswitch_session_expiries_total", "Calls ended because a session refresh failed or was not received.", m.sessionExpiries.Load())
	counter("softswitch_media_no_ports_total", "Calls answered 503 because no RTP port pair was free.", m.mediaNoPorts.Load())
	counter("softswitch_sdp_refused_total", "SDP bodies refused: 400 for malformed, 488 for unsupported media or no common codec.", m.sdpRefused.Load())
	counter("softswitch_media_timeouts_total", "Answered calls ended because no RTP came from either side within media.timeout.", m.mediaTimeouts.Load())
	counter("softswitch_orphan_calls_closed_total", "Calls a previous run left open, closed at start with BYE to each confirmed leg.", m.orphansClosed.Load())
	m.edge.emit(emit)
	counter("softswitch_journal_append_errors_total", "Failed event appends.", m.appendErrors.Load())
	counter("softswitch_journal_append_batches_total", "Event append calls.", m.appendBatches.Load())
	counter("softswitch_journal_append_events_total", "Events appended.", m.appendEvents.Load())
	emit(metrics.Counter, "softswitch_journal_append_seconds_total", "Time spent waiting for durable appends.", float64(m.appendNanos.Load())/1e9)
	gauge("softswitch_active_calls", "Calls in progress.", uint64(g.ActiveCalls))
	gauge("softswitch_registered_aors", "AORs held by the location service.", uint64(g.AORs))
	gauge("softswitch_registered_contacts", "Bindings held by the location service.", uint64(g.Bindings))
	gauge("softswitch_journal_head", "Position of the last durable event.", g.JournalHead)
	low := uint64(0)
	if g.DiskLow {
		low = 1
	}
	gauge("softswitch_disk_free_bytes", "Free bytes on the journal's disk at the last check.", g.DiskFreeBytes)
	gauge("softswitch_disk_low", "1 while the journal's disk is below journal.min_free_bytes: new calls and registrations get 503.", low)
	gauge("softswitch_auth_tracked_sources", "Sources and networks the failed-auth table tracks.", uint64(g.BanTracked))
	counter("softswitch_auth_table_evictions_total", "Failed-auth entries forgotten because the table was full (security.max_tracked_sources).", g.BanEvicted)
	counter("softswitch_auth_table_untracked_total", "Failed authentications that found no room in a full table.", g.BanUntracked)
	if p := g.Media; p != nil {
		gauge("softswitch_media_ports_capacity", "RTP/RTCP port pairs in media.port_min..port_max.", uint64(p.Capacity))
		gauge("softswitch_media_ports_in_use", "RTP/RTCP port pairs held by calls.", uint64(p.InUse))
		counter("softswitch_media_port_exhaustions_total", "Port pair requests refused because the pool was empty.", p.Exhaustions)
		counter("softswitch_media_port_bind_failures_total", "Port pairs skipped because another process held a port.", p.BindFailures)
	}
	if o := g.Overload; o != nil {
		emit(metrics.Gauge, "softswitch_sip_queue_delay_seconds", "Average wait of SIP datagrams in the receive queue (overload measure).", o.Delay().Seconds())
		counter("softswitch_overload_shed_total", "New INVITEs answered 503 because the receive queue was over sip.overload_queue_delay.", o.ShedCount())
	}
	gauge("softswitch_rate_decks", "Rate decks (versions) the node rates with, its own and other nodes' publications.", uint64(g.RateDecks))
}
