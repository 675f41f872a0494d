package main

import (
	"net/http/httptest"
	"testing"
)

// TestConsoleFieldChecks: each form's server-side check names the field
// at fault, so the page can show the message next to it.
func TestConsoleFieldChecks(t *testing.T) {
	subs := map[string]bool{"6000": true}
	lookup := func(u string) (bool, bool) { return subs[u], subs[u] }
	routeTests := []struct {
		number, caller, field string
	}{
		{"13800138000", "6000", ""},
		{"", "6000", "number"},
		{"123456789012345678901234567890123", "6000", "number"},
		{"13800138000", "", "caller"},
		{"13800138000", "nobody", "caller"},
	}
	for _, tc := range routeTests {
		if f, msg := routeQueryError(tc.number, tc.caller, lookup); f != tc.field {
			t.Errorf("route(%q, %q): field %q (%s), want %q", tc.number, tc.caller, f, msg, tc.field)
		}
	}
	for _, tc := range []struct {
		in string
		ok bool
	}{{"2026-03-01", true}, {"2026-03-01T10:00:00Z", true}, {"2026-03-01T10:00", true}, {"", false}, {"yesterday", false}, {"2026-13-01", false}} {
		if _, err := parseWhen(tc.in); (err == nil) != tc.ok {
			t.Errorf("parseWhen(%q) error %v, want ok=%v", tc.in, err, tc.ok)
		}
	}
	for _, tc := range []struct {
		in string
		ok bool
	}{{"", true}, {"answered", true}, {"no_answer", true}, {"bogus", false}, {"Answered", false}} {
		if msg := dispositionError(tc.in); (msg == "") != tc.ok {
			t.Errorf("dispositionError(%q) = %q, want ok=%v", tc.in, msg, tc.ok)
		}
	}
	if got := safeFileName(`a/b"c d-1_2`); got != "a_b_c_d-1_2" {
		t.Errorf("safeFileName = %q", got)
	}
}

// TestConsoleAssetPaths: only GETs of the console's own files pass the
// guard without a token.
func TestConsoleAssetPaths(t *testing.T) {
	tests := []struct {
		method, path string
		open         bool
	}{
		{"GET", "/console/", true},
		{"GET", "/console/app.js", true},
		{"HEAD", "/console/pages/calls.js", true},
		{"GET", "/console", true},
		{"POST", "/console/", false},
		{"GET", "/console/../api/v1/calls", false},
		{"GET", "/consoleX", false},
		{"GET", "/api/v1/calls", false},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(tc.method, "http://127.0.0.1"+tc.path, nil)
		r.URL.Path = tc.path // as sent, not cleaned
		if got := isConsoleAsset(r); got != tc.open {
			t.Errorf("%s %s: open %v, want %v", tc.method, tc.path, got, tc.open)
		}
	}
}
