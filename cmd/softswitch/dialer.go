package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"softswitch/dialer"
	"softswitch/domain"
	"softswitch/internal/config"
	"softswitch/internal/ids"
	"softswitch/projections"
	"softswitch/switching"
)

// newDialer starts the dialer when the config enables it (nil otherwise).
// It calls the switch's own SIP port: on the dialer's IP when sip.listen
// is a wildcard.
func newDialer(cfg *config.Config, switchFrom netip.AddrPort, rec *switching.Recorder, subs *projections.Subscribers, loc *projections.Location,
	calls *projections.Calls, campaigns *dialer.Campaigns, log *slog.Logger) (*dialer.Dialer, error) {
	d := cfg.Dialer
	if !d.Enabled {
		return nil, nil
	}
	host, port, err := net.SplitHostPort(cfg.SIP.Listen)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = d.BindAddr.String()
	}
	var password string
	var policy domain.CallingPolicy
	for i, s := range cfg.Subscribers {
		if s.User == d.Account {
			password, policy = s.Password, cfg.Subscribers[i].CallingPolicy()
		}
	}
	var anns []dialer.Announcement
	for i, a := range d.Announcements {
		pcm, err := dialer.ReadWAV(a.File)
		if err != nil {
			return nil, fmt.Errorf("dialer.announcements[%d].file: %w", i, err)
		}
		anns = append(anns, dialer.Announcement{Label: a.Label, Outcome: a.Outcome, PCM: pcm})
	}
	prompts := map[string][]int16{}
	for i, p := range d.Prompts {
		pcm, err := dialer.ReadWAV(p.File)
		if err != nil {
			return nil, fmt.Errorf("dialer.prompts[%d].file: %w", i, err)
		}
		prompts[p.Name] = pcm
	}
	gen := ids.New(rec.Node()+"-d", rec.Now)
	return dialer.New(dialer.Config{Switch: net.JoinHostPort(host, port), Bind: d.BindAddr, SIPPort: d.SIPPort, SwitchFrom: []netip.AddrPort{switchFrom}, Account: d.Account, Password: password,
		MayPresent: policy.MayPresent,
		Realm:      cfg.SIP.Realm, PortMin: d.PortMin, PortMax: d.PortMax, RingTimeout: d.RingTimeout, MaxDuration: cfg.SIP.MaxCallDuration,
		IsSubscriber: func(u string) bool { _, ok := subs.Lookup(u); return ok },
		IsRegistered: func(u string) bool { return len(loc.Lookup(u, time.Now())) > 0 },
		OnCall: func(u string) bool {
			for _, c := range calls.List() {
				if c.Caller == u || c.Callee == u {
					return true
				}
			}
			return false
		},
		Campaigns: campaigns, Announcements: anns, Prompts: prompts, NewID: gen.Next}, rec, log)
}

// clickToCall is POST /api/v1/click-to-call {agent, number}: 202 with the
// attempt's id once its request is durable.
func (a *admin) clickToCall(w http.ResponseWriter, r *http.Request) {
	if a.dialer == nil {
		http.Error(w, "dialer: not enabled (dialer.enabled)", http.StatusNotFound)
		return
	}
	var body struct {
		Agent  string `json:"agent"`
		Number string `json:"number"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
		return
	}
	id, err := a.dialer.ClickToCall(r.Context(), body.Agent, body.Number, "api")
	switch {
	case errors.Is(err, dialer.ErrInvalid):
		http.Error(w, err.Error(), http.StatusBadRequest)
	case errors.Is(err, dialer.ErrStopped):
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	default:
		w.Header().Set("Location", "/api/v1/click-to-call/"+id)
		writeJSON(w, http.StatusAccepted, map[string]string{"id": id})
	}
}

// getClickToCall is GET /api/v1/click-to-call/{id}: the attempt's steps
// and outcome.
func (a *admin) getClickToCall(w http.ResponseWriter, r *http.Request) {
	if a.dialer == nil {
		http.Error(w, "dialer: not enabled (dialer.enabled)", http.StatusNotFound)
		return
	}
	st, err := a.dialer.Get(r.PathValue("id"))
	if errors.Is(err, dialer.ErrNotFound) {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// hangupClickToCall is DELETE /api/v1/click-to-call/{id}: the attempt's
// legs are cancelled or hung up; 202, as the BYEs go out after.
func (a *admin) hangupClickToCall(w http.ResponseWriter, r *http.Request) {
	if a.dialer == nil {
		http.Error(w, "dialer: not enabled (dialer.enabled)", http.StatusNotFound)
		return
	}
	if err := a.dialer.Hangup(r.PathValue("id")); errors.Is(err, dialer.ErrNotFound) {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// runDialer paces the campaigns until ctx ends, then ends the dialer's
// attempts while the switch still carries their BYEs.
func runDialer(ctx context.Context, d *dialer.Dialer) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if d == nil {
			return
		}
		d.Run(ctx)
		d.Close()
	}()
	return done
}
