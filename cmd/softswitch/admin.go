package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"runtime"
	"strconv"
	"time"

	"softswitch/api"
	"softswitch/billing/cdr"
	"softswitch/dialer"
	"softswitch/domain"
	"softswitch/eventstore"
	"softswitch/internal/config"
	"softswitch/projections"
	"softswitch/switching"
	"softswitch/switching/auth"
)

// admin is the HTTP admin API: health, metrics, registrations, calls,
// CDRs and subscriber provisioning.
type admin struct {
	cfg *config.Config
	// guard is handler()'s guard, whose refusals /metrics counts.
	guard *adminGuard
	ready <-chan struct{}
	m     *switching.Metrics
	loc   *projections.Location
	calls *projections.Calls
	subs  *projections.Subscribers
	prov  *switching.Provisioner
	pipe  *pipeline
	// ic, load and icProv serve the interconnect API.
	ic     *projections.Interconnect
	load   *projections.TrunkLoad
	icProv *switching.InterconnectProvisioner
	// x decides routes for the console's route simulation.
	x *switching.Interconnect
	// decks publishes rate decks (POST /api/v1/rates/decks).
	decks    *deckPublisher
	balances *projections.Balances
	// journal finds a call's events through its aggregate index.
	journal interface {
		ReadAggregate(ctx context.Context, aggregate string, fn func(domain.Envelope) error) error
	}
	store eventstore.Store
	b2b   *switching.B2BUA
	// disk reports the journal disk's floor to /healthz and /metrics;
	// bans the failed-auth table's size to /metrics.
	disk *switching.DiskGuard
	bans *auth.Limiter
	// dialer places click-to-call attempts; nil when not enabled.
	dialer *dialer.Dialer
	log    *slog.Logger
}

// handler is what the admin listener serves: routes behind the guard
// (adminauth.go: Host check, bearer tokens, CSRF and content types).
func (a *admin) handler() http.Handler {
	a.guard = newAdminGuard(a.cfg.HTTP, a.log, a.auditWrites(a.routes()))
	return a.guard
}

// routes is the API without its guard: serve handler(), not this.
func (a *admin) routes() http.Handler {
	mux := newRouteMux()
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET "+api.Path, a.openAPI)
	mux.Handle("GET /metrics", a.metricsHandler())
	mux.HandleFunc("GET /api/v1/registrations", a.registrations)
	mux.HandleFunc("GET /api/v1/calls", a.activeCalls)
	mux.HandleFunc("GET /api/v1/cdrs", a.listCDRs)
	mux.HandleFunc("GET /api/v1/events", a.events)
	mux.HandleFunc("GET /api/v1/calls/{id}/events", a.callEvents)
	mux.HandleFunc("GET /api/v1/interconnect", a.getInterconnect)
	mux.HandleFunc("PUT /api/v1/interconnect", a.putInterconnect)
	mux.Handle("POST "+ratesDecksPath, a.decks)
	mux.HandleFunc("POST /api/v1/rates/rerate", a.rerate)
	mux.HandleFunc("GET /api/v1/accounts/{user}", a.getAccount)
	mux.HandleFunc("GET /api/v1/subscribers", a.listSubscribers)
	mux.HandleFunc("POST /api/v1/subscribers", a.addSubscriber)
	mux.HandleFunc("DELETE /api/v1/subscribers/{user}", a.removeSubscriber)
	mux.HandleFunc("POST /api/v1/click-to-call", a.clickToCall)
	mux.HandleFunc("GET /api/v1/click-to-call/{id}", a.getClickToCall)
	mux.HandleFunc("DELETE /api/v1/click-to-call/{id}", a.hangupClickToCall)
	mux.HandleFunc("POST /api/v1/campaigns", a.defineCampaign)
	mux.HandleFunc("GET /api/v1/campaigns", a.listCampaigns)
	mux.HandleFunc("GET /api/v1/campaigns/{name}", a.getCampaign)
	mux.HandleFunc("POST /api/v1/campaigns/{name}/leads", a.loadLeads)
	mux.HandleFunc("POST /api/v1/campaigns/{name}/agents/{agent}/{action}", a.campaignAgent)
	mux.HandleFunc("POST /api/v1/campaigns/{name}/{action}", a.campaignAction)
	mux.HandleFunc("POST /api/v1/dnc", a.updateDNC)
	a.consoleRoutes(mux)
	// Profiles are how performance targets get met: measured, not guessed.
	// The guard asks a write token for everything under /debug/.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("POST /debug/gc", func(w http.ResponseWriter, r *http.Request) {
		// Memory benchmarks read the live heap after a forced collection.
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		writeJSON(w, http.StatusOK, map[string]uint64{"heap_alloc_bytes": ms.HeapAlloc, "heap_objects": ms.HeapObjects})
	})
	return mux
}

func (a *admin) healthz(w http.ResponseWriter, r *http.Request) {
	select {
	case <-a.ready:
	default:
		http.Error(w, "sip not listening yet", http.StatusServiceUnavailable)
		return
	}
	// Below the disk floor the node takes no new calls or registrations:
	// a load balancer must send them elsewhere.
	if ok, reason := a.disk.Health(); !ok {
		http.Error(w, reason, http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ok\n"))
}

func (a *admin) registrations(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, a.loc.All(time.Now()))
}

func (a *admin) activeCalls(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, a.calls.List())
}

func (a *admin) listCDRs(w http.ResponseWriter, r *http.Request) {
	f := cdr.Filter{Caller: r.URL.Query().Get("caller"), Callee: r.URL.Query().Get("callee"), Disposition: r.URL.Query().Get("disposition"),
		Number: r.URL.Query().Get("number"), Trunk: r.URL.Query().Get("trunk")}
	if msg := dispositionError(f.Disposition); msg != "" {
		fieldError(w, "disposition", msg)
		return
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			http.Error(w, "limit: must be a non-negative integer", http.StatusBadRequest)
			return
		}
		f.Limit = n
	}
	// from/to bound the start, so settle and reconcile beside a running
	// switch fetch one period, not the whole store.
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.Since}, {"to", &f.Until}} {
		if v := r.URL.Query().Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				http.Error(w, p.name+": want an RFC 3339 time", http.StatusBadRequest)
				return
			}
			*p.dst = t
		}
	}
	store := a.pipe.store()
	if store == nil {
		http.Error(w, "CDR store not open yet (unreachable?)", http.StatusServiceUnavailable)
		return
	}
	list, err := store.List(r.Context(), f)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if list == nil {
		list = []domain.CDR{} // no CDRs is [], as the contract says, not null
	}
	writeJSON(w, http.StatusOK, list)
}

func (a *admin) listSubscribers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, a.subs.Users())
}

func (a *admin) addSubscriber(w http.ResponseWriter, r *http.Request) {
	var body struct {
		User     string `json:"user"`
		Password string `json:"password"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&body); err != nil {
		http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if body.User == "" || body.Password == "" {
		http.Error(w, "user and password are required", http.StatusBadRequest)
		return
	}
	changed, err := a.prov.Provision(r.Context(), body.User, body.Password)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	code := http.StatusCreated
	if !changed {
		code = http.StatusOK
	}
	writeJSON(w, code, map[string]any{"user": body.User, "changed": changed})
}

func (a *admin) removeSubscriber(w http.ResponseWriter, r *http.Request) {
	err := a.prov.Remove(r.Context(), r.PathValue("user"))
	switch {
	case errors.Is(err, switching.ErrNoSuchSubscriber):
		http.Error(w, err.Error(), http.StatusNotFound)
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
