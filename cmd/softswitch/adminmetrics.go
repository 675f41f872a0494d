package main

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"softswitch/internal/metrics"
	"softswitch/switching"
)

// metricsHandler is GET /metrics: prometheus/client_golang's exposition
// (text or OpenMetrics by the scraper's Accept) of the switch's own
// figures, its histograms, and the Go runtime and process collectors. The
// registry is the handler's own, not the package-global default. It is
// built at the first scrape, when every part it reads is wired.
func (a *admin) metricsHandler() http.Handler {
	var once sync.Once
	var h http.Handler
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() {
			reg := prometheus.NewRegistry()
			reg.MustRegister(
				collectors.NewGoCollector(),
				collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
				&metrics.Collector{Sources: []metrics.Source{a.emitSwitch, a.pipe.emitMetrics, a.emitDialer, a.emitGuard},
					Histograms: a.m.Histograms(), Summaries: []func() metrics.Quantiles{a.pipe.cdrLatency}, Log: a.log},
			)
			h = promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slogPromLogger{a}, ErrorHandling: promhttp.ContinueOnError})
		})
		h.ServeHTTP(w, r)
	})
}

// emitSwitch reports the switch's counters with the gauges read now.
func (a *admin) emitSwitch(emit metrics.Emit) {
	aors, bindings := a.loc.Count()
	evicted, untracked := a.bans.Evicted()
	a.m.Emit(emit, switching.Gauges{ActiveCalls: a.b2b.Active(), AORs: aors, Bindings: bindings, JournalHead: a.store.Head(),
		RateDecks: a.decks.decks.Rater().Decks(), DiskFreeBytes: a.disk.Free(), DiskLow: a.disk.Low(),
		BanTracked: a.bans.Len(), BanEvicted: evicted, BanUntracked: untracked,
		Media: a.b2b.MediaStats(), Overload: a.b2b.OverloadState()})
}

// emitDialer reports the dialer's figures, when it runs.
func (a *admin) emitDialer(emit metrics.Emit) {
	if a.dialer == nil {
		return
	}
	emit(metrics.Counter, "softswitch_dialer_foreign_datagrams_total",
		"Datagrams the dialer's SIP socket dropped for coming from anywhere but the switch.", float64(a.dialer.ForeignDropped()))
}

// emitGuard reports the admin guard's refusals.
func (a *admin) emitGuard(emit metrics.Emit) {
	if a.guard != nil {
		a.guard.emit(emit)
	}
}

// slogPromLogger hands promhttp's error lines to the switch's logger.
type slogPromLogger struct{ a *admin }

func (l slogPromLogger) Println(v ...any) { l.a.log.Error("metrics: scrape", "error", v) }
