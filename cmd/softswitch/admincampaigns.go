package main

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"softswitch/dialer"
	"softswitch/domain"

	"gopkg.in/yaml.v3"
)

// The campaign API (docs/dialer.md): definitions as JSON, leads and DNC
// numbers as CSV, state changes and agent log-in as POSTs.

func (a *admin) needDialer(w http.ResponseWriter) bool {
	if a.dialer == nil {
		http.Error(w, "dialer: not enabled (dialer.enabled)", http.StatusNotFound)
		return false
	}
	return true
}

// dialerError maps the dialer's errors to HTTP: a field error is 400
// naming the field, an unknown campaign 404, a state change the state does
// not allow 409.
func dialerError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, dialer.ErrNotFound):
		http.Error(w, err.Error(), http.StatusNotFound)
	case errors.Is(err, dialer.ErrConflict):
		http.Error(w, err.Error(), http.StatusConflict)
	case errors.Is(err, dialer.ErrInvalid):
		var fe *dialer.FieldError
		if errors.As(err, &fe) {
			writeJSON(w, http.StatusBadRequest, map[string]string{"field": fe.Field, "error": fe.Msg})
			return
		}
		http.Error(w, err.Error(), http.StatusBadRequest)
	default:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// defineCampaign is POST /api/v1/campaigns: a JSON definition; an unknown
// field is refused by name.
func (a *admin) defineCampaign(w http.ResponseWriter, r *http.Request) {
	if !a.needDialer(w) {
		return
	}
	spec, err := decodeSpec(http.MaxBytesReader(w, r.Body, 1<<20), r.Header.Get("Content-Type"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"field": "body", "error": err.Error()})
		return
	}
	spec, err = a.dialer.DefineCampaign(r.Context(), spec)
	if err != nil {
		dialerError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, spec)
}

// decodeSpec reads a campaign definition as JSON or, by its media type,
// YAML: the same fields either way, and an unknown one is an error naming
// it (with its line, in YAML). In YAML a number may be written unquoted
// where the field is text (a caller ID, a date): it is read as written.
func decodeSpec(body io.Reader, contentType string) (domain.CampaignSpec, error) {
	var spec domain.CampaignSpec
	if isYAML(contentType) {
		dec := yaml.NewDecoder(body)
		dec.KnownFields(true)
		return spec, dec.Decode(&spec)
	}
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	return spec, dec.Decode(&spec)
}

// yamlTypes are the media types a YAML body is sent with (RFC 9512
// registered application/yaml; the others are in the wild).
var yamlTypes = map[string]bool{"application/yaml": true, "application/x-yaml": true, "text/yaml": true}

func isYAML(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && yamlTypes[mt]
}

func (a *admin) listCampaigns(w http.ResponseWriter, r *http.Request) {
	if !a.needDialer(w) {
		return
	}
	out := []dialer.CampaignView{}
	for _, n := range a.dialer.Campaigns().Names() {
		v, _ := a.dialer.Campaigns().View(n)
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *admin) getCampaign(w http.ResponseWriter, r *http.Request) {
	if !a.needDialer(w) {
		return
	}
	v, ok := a.dialer.Campaigns().View(r.PathValue("name"))
	if !ok {
		http.Error(w, "dialer: no such campaign", http.StatusNotFound)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// loadLeads is POST /api/v1/campaigns/{name}/leads with a CSV body.
func (a *admin) loadLeads(w http.ResponseWriter, r *http.Request) {
	if !a.needDialer(w) {
		return
	}
	n, rejected, err := a.dialer.LoadLeads(r.Context(), r.PathValue("name"), http.MaxBytesReader(w, r.Body, 64<<20))
	if err != nil {
		dialerError(w, err)
		return
	}
	if rejected == nil {
		rejected = []dialer.LeadRowError{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"loaded": n, "rejected": rejected})
}

// campaignAction is POST /api/v1/campaigns/{name}/{action}: start, pause,
// resume, stop.
func (a *admin) campaignAction(w http.ResponseWriter, r *http.Request) {
	if !a.needDialer(w) {
		return
	}
	state, err := a.dialer.SetState(r.Context(), r.PathValue("name"), r.PathValue("action"), "api")
	if err != nil {
		dialerError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"state": state})
}

// campaignAgent is POST /api/v1/campaigns/{name}/agents/{agent}/{login|logout}.
func (a *admin) campaignAgent(w http.ResponseWriter, r *http.Request) {
	if !a.needDialer(w) {
		return
	}
	var in bool
	switch r.PathValue("action") {
	case "login":
		in = true
	case "logout":
	case "next":
		// Preview mode: the agent's next lead, dialled now.
		lead, dec, err := a.dialer.PreviewNext(r.Context(), r.PathValue("name"), r.PathValue("agent"))
		if err != nil {
			dialerError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"lead": lead, "decision": dec})
		return
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"field": "action", "error": "must be login, logout or next"})
		return
	}
	if err := a.dialer.SetAgent(r.Context(), r.PathValue("name"), r.PathValue("agent"), in); err != nil {
		dialerError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// updateDNC is POST /api/v1/dnc with a CSV body: the numbers become a new
// version of the list, checked at every later dialing decision.
func (a *admin) updateDNC(w http.ResponseWriter, r *http.Request) {
	if !a.needDialer(w) {
		return
	}
	v, added, rejected, err := a.dialer.UpdateDNC(r.Context(), http.MaxBytesReader(w, r.Body, 256<<20))
	if err != nil {
		dialerError(w, err)
		return
	}
	if rejected == nil {
		rejected = []dialer.LeadRowError{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": v, "added": added, "rejected": rejected})
}
