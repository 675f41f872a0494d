package main

import (
	"context"
	"embed"
	"io/fs"
	"net/http"
	"slices"
	"strings"

	"softswitch/domain"
)

// The web console (docs/console.md) is plain HTML, CSS and JavaScript
// modules embedded in the binary: `softswitch run` serves it with no build
// step and no file beside the binary.
//
//go:embed console
var consoleFiles embed.FS

// consolePrefix is where the console's pages and scripts are served.
const consolePrefix = "/console/"

// isConsoleAsset tells the guard (adminauth.go) that a GET is for one of
// the console's static files, open without a token: they are the same
// for everyone and hold no data; every piece of data the pages show comes
// from the API with the bearer token the operator types in. A path with
// ".." is not one, whatever ServeMux would make of it.
func isConsoleAsset(r *http.Request) bool {
	p := r.URL.Path
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		(p == "/console" || strings.HasPrefix(p, consolePrefix)) && !strings.Contains(p, "..")
}

// consoleRoutes adds the console and the endpoints only it needs to the
// admin API's mux.
func (a *admin) consoleRoutes(mux *routeMux) {
	sub, err := fs.Sub(consoleFiles, "console")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.StripPrefix(consolePrefix, http.FileServerFS(sub))
	mux.Handle("GET "+consolePrefix, consoleHeaders(files))
	mux.Handle("GET /console", http.RedirectHandler(consolePrefix, http.StatusMovedPermanently))
	mux.HandleFunc("GET /api/v1/whoami", a.whoami)
	mux.HandleFunc("GET /api/v1/calls/stream", a.streamCalls)
	mux.HandleFunc("GET /api/v1/route", a.simulateRoute)
	mux.HandleFunc("GET /api/v1/calls/{id}/ladder", a.callLadder)
	mux.HandleFunc("GET /api/v1/settlement", a.settlement)
	mux.HandleFunc("GET /api/v1/audit", a.auditLog)
}

// consoleHeaders makes the pages hard to abuse: scripts only from this
// origin and never inline (an injected <script> or onclick= does not
// run, so a CDR field holding markup cannot steal the token from
// sessionStorage), no framing (clickjacking), no referrer, no sniffing.
func consoleHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "+
			"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// Pages change with the binary: a cached copy of an older
		// switch's script would talk to endpoints that moved.
		h.Set("Cache-Control", "no-cache")
		next.ServeHTTP(w, r)
	})
}

// apiCaller is who made an API request: the token's name and scope, never
// the token (the guard puts it in the request's context).
type apiCaller struct {
	Name  string `json:"name"`
	Scope string `json:"scope"`
}

type callerKey struct{}

// withCaller records the authenticated token on the request; open is a
// switch with no token configured, where everything is allowed.
func withCaller(r *http.Request, tok adminToken, open bool) *http.Request {
	c := apiCaller{Name: tok.name, Scope: "read"}
	if tok.write || open {
		c.Scope = "write"
	}
	return r.WithContext(context.WithValue(r.Context(), callerKey{}, c))
}

func callerOf(ctx context.Context) apiCaller {
	c, _ := ctx.Value(callerKey{}).(apiCaller)
	return c
}

// whoami is GET /api/v1/whoami: the console's login check, and how it
// knows whether to offer writes (pause, resume) at all.
func (a *admin) whoami(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, callerOf(r.Context()))
}

// fieldError answers a request whose field is wrong with 400 and
// {"field","error"}, the shape the dialer's API already uses, so a form
// can show the message next to the field it names.
func fieldError(w http.ResponseWriter, field, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"field": field, "error": field + ": " + msg})
}

// dispositions are the values a CDR's disposition takes.
var dispositions = []string{domain.DispositionAnswered, domain.DispositionBusy, domain.DispositionNoAnswer,
	domain.DispositionCancelled, domain.DispositionFailed}

// dispositionError says why d is not a disposition to search by; "" when
// it is one, or empty (any).
func dispositionError(d string) string {
	if d == "" || slices.Contains(dispositions, d) {
		return ""
	}
	return "one of " + strings.Join(dispositions, ", ")
}
