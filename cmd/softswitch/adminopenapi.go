package main

import (
	"net/http"

	"softswitch/api"
)

// openAPI serves the API's contract (api/openapi.json). The guard lets it
// through without a token, as it does /healthz: it describes the API and
// holds no secret, and a client or a fuzzer reads it before it has one.
func (a *admin) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(api.OpenAPI)
}

// routeMux is the admin API's ServeMux, keeping the patterns registered on
// it so that a test can hold them against the contract (every route
// described, every described path routed) without parsing Go source.
type routeMux struct {
	*http.ServeMux
	patterns []string
}

func newRouteMux() *routeMux { return &routeMux{ServeMux: http.NewServeMux()} }

func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.HandleFunc(pattern, h)
}
