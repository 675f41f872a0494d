package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"softswitch/domain"
	"softswitch/projections"
)

// interconnectDoc is the admin API's view of carriers, trunks, routes and
// DIDs: the same definitions the config declares, as JSON.
type interconnectDoc struct {
	Carriers []domain.CarrierDefined `json:"carriers"`
	Trunks   []domain.TrunkDefined   `json:"trunks"`
	Routes   []domain.RouteDefined   `json:"routes"`
	DIDs     []domain.DIDAssigned    `json:"dids"`
	// Status is each trunk's live health and load (read only).
	Status []projections.TrunkStatus `json:"status,omitempty"`
}

// getInterconnect lists the definitions the switch routes by, with each
// trunk's health, channels and calls per second.
func (a *admin) getInterconnect(w http.ResponseWriter, r *http.Request) {
	d := a.ic.Definitions()
	// A switch with none of a kind answers [] for it, not null: the
	// contract (api/openapi.json) promises arrays.
	doc := interconnectDoc{Carriers: orEmpty(d.Carriers), Trunks: orEmpty(d.Trunks), Routes: orEmpty(d.Routes), DIDs: orEmpty(d.DIDs)}
	now := time.Now()
	for _, t := range d.Trunks {
		doc.Status = append(doc.Status, a.load.Status(t.Name, now))
	}
	writeJSON(w, http.StatusOK, doc)
}

// putInterconnect replaces the whole interconnect: the difference from the
// log becomes carrier/trunk/route/DID events, as a changed config file does
// at start. Secrets (trunk passwords) are not part of it: they stay in the
// config, by trunk name. The config file is applied again at the next
// start, so what is changed here belongs in the file too.
func (a *admin) putInterconnect(w http.ResponseWriter, r *http.Request) {
	var doc interconnectDoc
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
		return
	}
	want := domain.InterconnectDefinitions{Carriers: doc.Carriers, Trunks: doc.Trunks, Routes: doc.Routes, DIDs: doc.DIDs}
	n, err := a.icProv.Sync(r.Context(), want)
	var de *domain.DefinitionError
	switch {
	case errors.As(err, &de) || errors.Is(err, domain.ErrInvalidDefinition):
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"events": n})
}

// orEmpty is s, or an empty slice for nil (JSON [] rather than null).
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
