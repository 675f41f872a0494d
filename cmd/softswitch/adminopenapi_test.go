package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"softswitch/api"
	"softswitch/internal/config"
	"softswitch/switching"
)

// openAPIDoc is the part of the contract these tests read; the rest is
// walked as plain JSON.
type openAPIDoc struct {
	OpenAPI string                                `json:"openapi"`
	Info    struct{ Title, Version string }       `json:"info"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

// httpMethods are the keys of an OpenAPI path item that are operations.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func loadContract(t *testing.T) (openAPIDoc, any) {
	t.Helper()
	var doc openAPIDoc
	var raw any
	if err := json.Unmarshal(api.OpenAPI, &doc); err != nil {
		t.Fatalf("api/openapi.json: %v", err)
	}
	if err := json.Unmarshal(api.OpenAPI, &raw); err != nil {
		t.Fatal(err)
	}
	return doc, raw
}

// TestOpenAPIStructure: the document is OpenAPI 3.1 as far as a client
// generator or a fuzzer relies on it: the version, every operation with an
// operationId of its own and at least one response, every $ref resolving,
// and every path template's parameters declared as path parameters.
func TestOpenAPIStructure(t *testing.T) {
	doc, raw := loadContract(t)
	if doc.OpenAPI != "3.1.0" || doc.Info.Title == "" || doc.Info.Version == "" || len(doc.Paths) == 0 {
		t.Fatalf("openapi %q, info %+v, %d paths: want 3.1.0, a title, a version and paths", doc.OpenAPI, doc.Info, len(doc.Paths))
	}

	var refs []string
	walkJSON(raw, func(k string, v any) {
		if s, ok := v.(string); ok && k == "$ref" {
			refs = append(refs, s)
		}
	})
	if len(refs) == 0 {
		t.Fatal("no $ref at all: the walk is broken")
	}
	for _, ref := range refs {
		if _, err := resolvePointer(raw, ref); err != nil {
			t.Errorf("$ref %s: %v", ref, err)
		}
	}

	ids := map[string]string{}
	template := regexp.MustCompile(`\{([^}]+)\}`)
	for path, item := range doc.Paths {
		for method, opRaw := range item {
			if !slices.Contains(httpMethods, method) {
				t.Errorf("%s: %q is not an operation", path, method)
				continue
			}
			var op struct {
				OperationID string                     `json:"operationId"`
				Responses   map[string]json.RawMessage `json:"responses"`
				Parameters  []json.RawMessage          `json:"parameters"`
			}
			if err := json.Unmarshal(opRaw, &op); err != nil {
				t.Errorf("%s %s: %v", method, path, err)
				continue
			}
			where := strings.ToUpper(method) + " " + path
			if len(op.Responses) == 0 {
				t.Errorf("%s: no responses", where)
			}
			if op.OperationID == "" {
				t.Errorf("%s: no operationId", where)
			} else if other, dup := ids[op.OperationID]; dup {
				t.Errorf("%s: operationId %s is %s's too", where, op.OperationID, other)
			}
			ids[op.OperationID] = where
			declared := map[string]bool{}
			for _, p := range op.Parameters {
				var param struct{ Name, In string }
				if err := json.Unmarshal(resolveRaw(t, raw, p), &param); err != nil {
					t.Errorf("%s: parameter: %v", where, err)
				}
				if param.In == "path" {
					declared[param.Name] = true
				}
			}
			for _, m := range template.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s: {%s} is not a declared path parameter", where, m[1])
				}
				delete(declared, m[1])
			}
			for name := range declared {
				t.Errorf("%s: path parameter %s is not in the path", where, name)
			}
		}
	}
}

// TestOpenAPICoversRoutes: every pattern routes() registers is described
// (its method and path), and every described operation reaches a route
// of its own through the real mux, with its path parameters filled in.
func TestOpenAPICoversRoutes(t *testing.T) {
	doc, raw := loadContract(t)
	mux := bareAdmin().routes().(*routeMux)
	if len(mux.patterns) < 20 {
		t.Fatalf("routes() registered %d patterns: the recording mux missed some", len(mux.patterns))
	}
	for _, p := range mux.patterns {
		method, path, ok := strings.Cut(p, " ")
		if !ok || method == "" {
			t.Errorf("route %q has no method: give it one, so the contract can say what it does", p)
			continue
		}
		// "{rest...}" matches the remaining segments; OpenAPI has no
		// such template, so the spec names it {rest} and says so.
		path = strings.ReplaceAll(path, "...}", "}")
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %q is not described in api/openapi.json", p)
		}
	}

	template := regexp.MustCompile(`\{([^}]+)\}`)
	for path, item := range doc.Paths {
		for method, opRaw := range item {
			var op struct {
				Parameters []json.RawMessage `json:"parameters"`
			}
			if err := json.Unmarshal(opRaw, &op); err != nil {
				t.Fatal(err)
			}
			values := map[string]string{}
			for _, p := range op.Parameters {
				var param struct {
					Name, In string
					Example  any
					Schema   struct {
						Enum []any `json:"enum"`
					}
				}
				json.Unmarshal(resolveRaw(t, raw, p), &param)
				switch {
				case param.Example != nil:
					values[param.Name] = fmt.Sprint(param.Example)
				case len(param.Schema.Enum) > 0:
					values[param.Name] = fmt.Sprint(param.Schema.Enum[0])
				default:
					values[param.Name] = "x1"
				}
			}
			concrete := template.ReplaceAllStringFunc(path, func(m string) string { return values[m[1:len(m)-1]] })
			r := httptest.NewRequest(strings.ToUpper(method), concrete, nil)
			_, pattern := mux.Handler(r)
			pm, pp, _ := strings.Cut(pattern, " ")
			pp = strings.ReplaceAll(pp, "...}", "}")
			// A subtree route ("/debug/pprof/") serves the paths below it
			// that the contract spells out ("/debug/pprof/{profile}").
			same := pp == path || strings.HasSuffix(pp, "/") && strings.HasPrefix(path, pp) && slices.Contains(mux.patterns, pattern)
			if !strings.EqualFold(pm, method) || !same {
				t.Errorf("%s %s (as %s): routed to %q, want its own route", strings.ToUpper(method), path, concrete, pattern)
			}
		}
	}
}

// TestOpenAPIServed: the switch serves the very document the tests check,
// as JSON, without a token (like /healthz), while the API it describes
// still asks for one.
func TestOpenAPIServed(t *testing.T) {
	h := newAdminGuard(config.HTTP{Listen: "127.0.0.1:8080", Tokens: []config.Token{{Name: "ops", Token: testWriteToken, Scope: "write"}}},
		slog.New(slog.DiscardHandler), bareAdmin().routes())
	tests := []struct {
		name, method, path, auth string
		want                     int
		body                     []byte
	}{
		{name: "contract without a token", method: "GET", path: api.Path, want: 200, body: api.OpenAPI},
		{name: "contract with a token", method: "GET", path: api.Path, auth: "Bearer " + testWriteToken, want: 200, body: api.OpenAPI},
		{name: "contract HEAD", method: "HEAD", path: api.Path, want: 200},
		{name: "not a write", method: "POST", path: api.Path, want: 401},
		{name: "the API still asks", method: "GET", path: "/api/v1/subscribers", want: 401},
		{name: "nothing beside it opens", method: "GET", path: api.Path + "x", want: 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, nil)
			r.Host = "127.0.0.1:8080"
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("%d %q, want %d", w.Code, w.Body, tc.want)
			}
			if tc.body != nil {
				if ct := w.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
				if !bytes.Equal(w.Body.Bytes(), tc.body) {
					t.Error("served a document other than api.OpenAPI")
				}
			}
		})
	}
}

// bareAdmin is an admin with what routes() itself reads while it builds
// the mux (the metrics collector's histograms), and nothing else: enough to
// route, not to serve the data endpoints.
func bareAdmin() *admin { return &admin{m: &switching.Metrics{}} }

// walkJSON calls fn with every key and value below v.
func walkJSON(v any, fn func(key string, v any)) {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			fn(k, c)
			walkJSON(c, fn)
		}
	case []any:
		for _, c := range v {
			walkJSON(c, fn)
		}
	}
}

// resolvePointer follows a local $ref ("#/components/schemas/CDR").
func resolvePointer(doc any, ref string) (any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("not a local reference")
	}
	cur := doc
	for _, tok := range strings.Split(rest, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s is not an object", tok)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("no %s", tok)
		}
	}
	return cur, nil
}

// resolveRaw is a parameter or response, its $ref followed.
func resolveRaw(t *testing.T, doc any, msg json.RawMessage) json.RawMessage {
	t.Helper()
	var r struct {
		Ref string `json:"$ref"`
	}
	json.Unmarshal(msg, &r)
	if r.Ref == "" {
		return msg
	}
	v, err := resolvePointer(doc, r.Ref)
	if err != nil {
		t.Fatalf("$ref %s: %v", r.Ref, err)
	}
	b, _ := json.Marshal(v)
	return b
}
