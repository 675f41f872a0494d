package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"softswitch/api"
	"softswitch/internal/config"
	"softswitch/internal/metrics"
)

// healthzPath is the one path open without a token: a liveness/readiness
// probe (Kubernetes httpGet) sends no credentials, and the answer ("ok",
// or 503 before SIP listens) tells nothing about subscribers, calls or
// the log. /metrics is not open: it names trunks and accounts' activity,
// and Prometheus sends a bearer token (`authorization:` in a scrape
// config) as easily.
const healthzPath = "/healthz"

// The API's contract (api.Path, /api/openapi.json) is open as /healthz is:
// it describes the endpoints and holds no secret, and a client or a
// contract fuzzer reads it before it is handed a token.

// bearerChallenge is the WWW-Authenticate value of a 401 (RFC 6750 §3).
const bearerChallenge = `Bearer realm="softswitch admin"`

// adminGuard is the admin API's front door, in this order:
//
//  1. the Host header must name this API (the listen address, or a name
//     in http.hostnames), else 421: a web page that rebinds its own DNS
//     name to the switch's address (DNS rebinding) still sends its own
//     name, so it never reaches a handler;
//  2. /healthz is open, and so are the web console's static files
//     (console.go: no data in them; the pages ask for a token);
//  3. a bearer token from http.tokens or $SOFTSWITCH_ADMIN_TOKEN, compared
//     in constant time, else 401; a read token may only read (GET, HEAD),
//     else 403; /debug/ (pprof, forced GC) needs a write token even to GET,
//     as a profile or trace slows the switch while it runs. With no token
//     configured this step is skipped, and config validation has kept the
//     listen address on loopback;
//  4. a cross-origin request from a browser (Sec-Fetch-Site or Origin) that
//     changes anything is refused with 403 (http.CrossOriginProtection);
//  5. a request body must be the endpoint's type, else 415: JSON, or CSV on
//     POST /api/v1/rates/decks. Neither is a CORS "simple" type, so a web
//     page cannot send one cross-origin without a preflight, which this API
//     never answers with CORS headers: the form and text/plain posts CSRF
//     is made of are refused before they reach a handler.
type adminGuard struct {
	tokens []adminToken
	hosts  hostPolicy
	csrf   *http.CrossOriginProtection
	next   http.Handler
	log    *slog.Logger
	// lastRefusal (unix ns) limits refusal log lines to one a second, so
	// a token-guessing client cannot flood the log.
	lastRefusal atomic.Int64
	// refused counts every refusal by reason (refusalReasons), logged or
	// not: softswitch_admin_refused_total.
	refused [len(refusalReasons)]atomic.Uint64
}

// refusalReasons are the guard's refusals: the why of refuse and the
// reason label of softswitch_admin_refused_total.
var refusalReasons = [...]struct{ why, label string }{
	{"host not this API's", "host"},
	{"no valid token", "no_token"},
	{"invalid token", "invalid_token"},
	{"read token on a write", "read_only"},
	{"cross-origin browser request", "cross_origin"},
	{"content type", "content_type"},
}

// emit reports the refusals for /metrics.
func (g *adminGuard) emit(emit metrics.Emit) {
	for i, r := range refusalReasons {
		emit(metrics.Counter, "softswitch_admin_refused_total",
			"Admin API requests refused by the guard (421 host, 401 token, 403 scope or cross-origin, 415 content type), by reason.",
			float64(g.refused[i].Load()), "reason", r.label)
	}
}

// adminToken keeps a token's SHA-256 only: comparing fixed-size digests
// in constant time does not leak the token's length, and the token itself
// is not kept in memory.
type adminToken struct {
	name  string
	sum   [sha256.Size]byte
	write bool
}

// newAdminGuard wraps next with the checks above, for a validated http
// section, and says at start how the API is guarded.
func newAdminGuard(h config.HTTP, log *slog.Logger, next http.Handler) *adminGuard {
	g := &adminGuard{hosts: newHostPolicy(h), csrf: http.NewCrossOriginProtection(), next: next, log: log}
	var names []string
	for _, t := range h.Credentials() {
		g.tokens = append(g.tokens, adminToken{name: t.Name, sum: sha256.Sum256([]byte(t.Token)), write: t.Scope == config.ScopeWrite})
		names = append(names, t.Name+":"+t.Scope)
	}
	if len(g.tokens) == 0 {
		log.Warn("admin http: no token configured (http.tokens, $"+config.AdminTokenEnv+"): the API asks for none, so it listens on loopback only",
			"listen", h.Listen, "open", "every path, to local processes")
	} else {
		log.Info("admin http: bearer token required", "listen", h.Listen, "tokens", names, "open", healthzPath)
	}
	return g
}

func (g *adminGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !g.hosts.allows(r.Host) {
		g.refuse(r, "host not this API's", "")
		http.Error(w, "Host "+r.Host+" is not this admin API's (http.listen or http.hostnames)", http.StatusMisdirectedRequest)
		return
	}
	if (r.URL.Path == healthzPath || r.URL.Path == api.Path) && (r.Method == http.MethodGet || r.Method == http.MethodHead) || isConsoleAsset(r) {
		g.next.ServeHTTP(w, r)
		return
	}
	write := needsWrite(r)
	var tok adminToken
	if len(g.tokens) > 0 {
		var status int
		tok, status = g.authenticate(r.Header.Get("Authorization"))
		switch {
		case status == http.StatusUnauthorized:
			g.refuse(r, "no valid token", "")
			w.Header().Set("WWW-Authenticate", bearerChallenge)
			http.Error(w, "a bearer token is required: Authorization: Bearer TOKEN (http.tokens)", http.StatusUnauthorized)
			return
		case status == http.StatusForbidden:
			// Presented, but not accepted as a bearer token.
			g.refuse(r, "invalid token", "")
			w.Header().Set("WWW-Authenticate", bearerChallenge+`, error="invalid_token"`)
			http.Error(w, "the bearer token is not one of http.tokens", http.StatusUnauthorized)
			return
		case write && !tok.write:
			g.refuse(r, "read token on a write", tok.name)
			w.Header().Set("WWW-Authenticate", bearerChallenge+`, error="insufficient_scope", scope="write"`)
			http.Error(w, "token "+tok.name+" has read scope; "+r.Method+" "+r.URL.Path+" needs a write token", http.StatusForbidden)
			return
		}
	}
	if write {
		if err := g.csrf.Check(r); err != nil {
			g.refuse(r, "cross-origin browser request", "")
			http.Error(w, "cross-origin requests are not accepted", http.StatusForbidden)
			return
		}
		if want, ok := mediaTypeOK(r); !ok {
			g.refuse(r, "content type", "")
			http.Error(w, "Content-Type must be "+want, http.StatusUnsupportedMediaType)
			return
		}
		// Who changed what: the token's name (empty with no tokens),
		// never the token.
		g.log.Info("admin http: write", "token", tok.name, "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
	}
	g.next.ServeHTTP(w, withCaller(r, tok, len(g.tokens) == 0))
}

// authenticate finds the token of an Authorization header: 200 and the
// token, 401 when there is no bearer token, 403 when the one presented is
// unknown (answered 401 with error="invalid_token", RFC 6750 §3.1). Every
// configured token is compared, each in constant time.
func (g *adminGuard) authenticate(header string) (adminToken, int) {
	scheme, cred, _ := strings.Cut(strings.TrimSpace(header), " ")
	cred = strings.TrimSpace(cred)
	if !strings.EqualFold(scheme, "Bearer") || cred == "" {
		return adminToken{}, http.StatusUnauthorized
	}
	sum := sha256.Sum256([]byte(cred))
	var found adminToken
	ok := false
	for _, t := range g.tokens {
		if subtle.ConstantTimeCompare(sum[:], t.sum[:]) == 1 && (!ok || t.write) {
			found, ok = t, true
		}
	}
	if !ok {
		return adminToken{}, http.StatusForbidden
	}
	return found, http.StatusOK
}

// refuse logs a refused request, at most once a second.
func (g *adminGuard) refuse(r *http.Request, why, token string) {
	for i, rr := range refusalReasons {
		if rr.why == why {
			g.refused[i].Add(1)
		}
	}
	now := time.Now().UnixNano()
	last := g.lastRefusal.Load()
	if now-last < int64(time.Second) || !g.lastRefusal.CompareAndSwap(last, now) {
		return
	}
	g.log.Warn("admin http: request refused (logged at most once a second)", "why", why, "token", token,
		"method", r.Method, "path", r.URL.Path, "host", r.Host, "remote", r.RemoteAddr)
}

// needsWrite says whether a request needs a write token: anything but a
// read, and everything under /debug/ (profiles and traces cost the
// switch CPU while they run; a forced GC stalls it).
func needsWrite(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/debug/") {
		return true
	}
	return r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
}

// mediaTypeOK checks a write's body type: text/csv for a rate deck, a
// campaign's leads and the DNC list, application/json or YAML for a
// campaign's definition, application/json everywhere else. A write with no
// body and no Content-Type (re-rate, DELETE, forced GC, a campaign's
// start) passes.
func mediaTypeOK(r *http.Request) (string, bool) {
	want := "application/json"
	p := r.URL.Path
	if p == ratesDecksPath || p == "/api/v1/dnc" ||
		strings.HasPrefix(p, "/api/v1/campaigns/") && strings.HasSuffix(p, "/leads") {
		want = "text/csv"
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" && r.ContentLength == 0 {
		return want, true
	}
	if p == "/api/v1/campaigns" && isYAML(ct) {
		return want, true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return want, err == nil && mt == want
}

// hostPolicy is which Host headers name this API.
type hostPolicy struct {
	// anyIP: the API listens on every address, so any address literal
	// names it (a DNS rebinding attack sends a name, never an address).
	anyIP bool
	ip    net.IP
	names map[string]bool
}

// newHostPolicy accepts the listen address; "localhost" when it is a
// loopback or every address; and http.hostnames.
func newHostPolicy(h config.HTTP) hostPolicy {
	p := hostPolicy{names: map[string]bool{}}
	host, _, _ := net.SplitHostPort(h.Listen)
	p.ip = net.ParseIP(host)
	if p.ip == nil || p.ip.IsUnspecified() {
		p.anyIP, p.ip = true, nil
	}
	if p.anyIP || p.ip.IsLoopback() {
		p.names["localhost"] = true
	}
	for _, n := range h.Hostnames {
		p.names[normalHost(n)] = true
	}
	return p
}

// allows reports whether a Host header (with or without port) names this
// API. The port is not compared: a port forward or a load balancer may
// front the API on another.
func (p hostPolicy) allows(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = normalHost(host)
	if host == "" {
		return false
	}
	if ip := net.ParseIP(host); ip != nil {
		return p.anyIP || ip.Equal(p.ip) || p.names[ip.String()]
	}
	return p.names[host]
}

func normalHost(h string) string {
	h = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(h, "]"), "["), ".")
	if ip := net.ParseIP(h); ip != nil {
		return ip.String()
	}
	return strings.ToLower(h)
}
