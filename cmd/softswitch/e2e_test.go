//go:build e2e

// End-to-end tests: the real softswitch binary driven by SIPp over loopback.
// Each test starts its own switch (fresh data dir, free ports) and asserts on
// three things: the SIP outcome (SIPp's exit/statistics), the admin API and
// the CDRs (`softswitch cdr list --json`).
//
//	SOFTSWITCH_REQUIRE_SIPP=1 go test -tags e2e -count=1 -timeout 20m ./cmd/softswitch/
//
// Without sipp the tests skip, unless SOFTSWITCH_REQUIRE_SIPP=1.
package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"softswitch/internal/itest"
)

const (
	caller   = "6000"
	callee   = "6001"
	password = "1234"
)

// sippTimeout bounds every single SIPp run in these tests.
const sippTimeout = 30 * time.Second

func sippCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// register binds user to contact (host:port) with the given expiry.
func register(t *testing.T, sw *itest.Switch, scenario, user, pw, contact string, expires int) itest.SIPpResult {
	t.Helper()
	return itest.RunSIPp(t, sippCtx(t, sippTimeout), scenario, "-m", "1",
		"-au", user, "-ap", pw,
		"-key", "user", user, "-key", "contact", contact, "-key", "expires", itoa(expires),
		sw.SIPAddr)
}

func mustRegister(t *testing.T, sw *itest.Switch, user, contact string, expires int) {
	t.Helper()
	if res := register(t, sw, "register", user, password, contact, expires); !res.OK() {
		t.Fatalf("REGISTER %s -> %s failed: %s", user, contact, res)
	}
}

// startUAS starts a SIPp UAS for one call and registers it as callee.
func startUAS(t *testing.T, sw *itest.Switch, scenario, user string, args ...string) *itest.SIPp {
	t.Helper()
	uas := itest.StartSIPp(t, scenario, append([]string{"-m", "1", "-s", user}, args...)...)
	mustRegister(t, sw, user, uas.Addr, 300)
	return uas
}

// call runs a UAC scenario from caller to to.
func call(t *testing.T, sw *itest.Switch, scenario, to string, args ...string) itest.SIPpResult {
	t.Helper()
	full := append([]string{"-m", "1", "-s", to, "-key", "caller", caller, "-au", caller, "-ap", password}, args...)
	full = append(full, sw.SIPAddr)
	return itest.RunSIPp(t, sippCtx(t, sippTimeout), scenario, full...)
}

func itoa(n int) string { return strconv.Itoa(n) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// cdrFor returns the single CDR whose callee is user (fails on 0 or >1).
func cdrFor(t *testing.T, sw *itest.Switch, user string) itest.CDR {
	t.Helper()
	cdrs := sw.WaitCDRs(t, 1, 10*time.Second)
	var found []itest.CDR
	for _, c := range cdrs {
		if c.Callee == user || strings.Contains(c.Callee, user+"@") || strings.HasPrefix(c.Callee, user) {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly 1 CDR for callee %s, got %d of %d: %+v", user, len(found), len(cdrs), cdrs)
	}
	return found[0]
}

func waitNoActiveCalls(t *testing.T, sw *itest.Switch) {
	t.Helper()
	itest.Eventually(t, 10*time.Second, "no active calls in /api/v1/calls", func() bool {
		return len(sw.ActiveCalls(t)) == 0
	})
}

// ---------------------------------------------------------------- registrar

func TestE2ERegistrar(t *testing.T) {
	itest.RequireSIPp(t)
	// min_expires 1 so that the 2 s expiry case is accepted (not 423)
	sw := itest.Start(t, itest.Options{MinExpires: 1})

	t.Run("register shows contact", func(t *testing.T) {
		mustRegister(t, sw, "6001", "127.0.0.1:5071", 120)
		got := sw.ContactsOf(t, "6001")
		if !contains(got, "sip:6001@127.0.0.1:5071") {
			t.Fatalf("registrations for 6001 = %v, want sip:6001@127.0.0.1:5071", got)
		}
		for _, r := range sw.Registrations(t) {
			for _, c := range r.Contacts {
				if c.Contact == "sip:6001@127.0.0.1:5071" {
					if until := time.Until(c.ExpiresAt); until < 60*time.Second || until > 130*time.Second {
						t.Errorf("expires_at %s is %s away, want ~120s", c.ExpiresAt, until)
					}
					if c.Transport != "" && !strings.EqualFold(c.Transport, "udp") {
						t.Errorf("transport = %q, want udp", c.Transport)
					}
					if c.Source == "" || !strings.HasPrefix(c.Source, "127.0.0.1:") {
						t.Errorf("source = %q, want 127.0.0.1:port", c.Source)
					}
				}
			}
		}
	})

	// wrong password and unknown user: never 200, always 403, never bound
	for _, tc := range []struct{ name, user, pw string }{
		{"wrong password", "6002", "wrong"},
		{"unknown user", "9999", "1234"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := register(t, sw, "register_wrongpw", tc.user, tc.pw, "127.0.0.1:5072", 120)
			if !res.OK() {
				t.Fatalf("want 401 then 403: %s", res)
			}
			if strings.Contains(res.Messages(), "SIP/2.0 200") {
				t.Fatalf("a 200 was received for bad credentials")
			}
			if got := sw.ContactsOf(t, tc.user); len(got) != 0 {
				t.Fatalf("bad credentials created a binding: %v", got)
			}
		})
	}

	t.Run("unregister removes contact", func(t *testing.T) {
		mustRegister(t, sw, "6003", "127.0.0.1:5073", 120)
		if got := sw.ContactsOf(t, "6003"); !contains(got, "sip:6003@127.0.0.1:5073") {
			t.Fatalf("not registered: %v", got)
		}
		if res := register(t, sw, "unregister", "6003", password, "127.0.0.1:5073", 0); !res.OK() {
			t.Fatalf("unregister: %s", res)
		}
		itest.Eventually(t, 3*time.Second, "6003 contact gone", func() bool {
			return !contains(sw.ContactsOf(t, "6003"), "sip:6003@127.0.0.1:5073")
		})
	})

	t.Run("two contacts for one AOR", func(t *testing.T) {
		mustRegister(t, sw, "6000", "127.0.0.1:5081", 120)
		mustRegister(t, sw, "6000", "127.0.0.1:5082", 120)
		got := sw.ContactsOf(t, "6000")
		if !contains(got, "sip:6000@127.0.0.1:5081") || !contains(got, "sip:6000@127.0.0.1:5082") {
			t.Fatalf("want both contacts, got %v", got)
		}
	})

	t.Run("expiry enforced", func(t *testing.T) {
		mustRegister(t, sw, "6002", "127.0.0.1:5074", 2)
		if got := sw.ContactsOf(t, "6002"); !contains(got, "sip:6002@127.0.0.1:5074") {
			t.Fatalf("not registered: %v", got)
		}
		time.Sleep(3 * time.Second)
		itest.Eventually(t, 3*time.Second, "expired 6002 contact gone", func() bool {
			return !contains(sw.ContactsOf(t, "6002"), "sip:6002@127.0.0.1:5074")
		})
	})
}

// -------------------------------------------------------------------- calls

func TestE2ECalls(t *testing.T) {
	itest.RequireSIPp(t)
	tests := []struct {
		name        string
		opts        itest.Options
		uas         string
		uasArgs     []string
		uac         string
		uacArgs     []string
		disposition string
		sipCode     int
		check       func(t *testing.T, c itest.CDR, uac, uas itest.SIPpResult)
	}{
		{
			name: "answered", uas: "uas", uac: "uac", uacArgs: []string{"-d", "1500"},
			disposition: "answered", sipCode: 200,
			check: func(t *testing.T, c itest.CDR, _, _ itest.SIPpResult) {
				if c.Answer == nil {
					t.Errorf("answer is null for an answered call")
				}
				if c.BillableS < 1 {
					t.Errorf("billable_s = %d, want >= 1", c.BillableS)
				}
				if c.DurationMS < 1000 || c.DurationMS > 10000 {
					t.Errorf("duration_ms = %d, want ~1500", c.DurationMS)
				}
				if len(c.Legs) != 2 {
					t.Errorf("legs = %d, want 2 (A and B): %+v", len(c.Legs), c.Legs)
				}
				if !strings.Contains(c.Caller, caller) {
					t.Errorf("caller = %q", c.Caller)
				}
				if c.ID == "" || c.CallID == "" {
					t.Errorf("empty id/call_id: %+v", c)
				}
			},
		},
		{
			name: "busy", uas: "uas_busy", uac: "uac_busy",
			disposition: "busy", sipCode: 486,
			check: func(t *testing.T, c itest.CDR, _, _ itest.SIPpResult) {
				if c.Answer != nil || c.BillableS != 0 {
					t.Errorf("busy call has answer=%v billable_s=%d", c.Answer, c.BillableS)
				}
			},
		},
		{
			name: "no answer", opts: itest.Options{RingTimeout: 2 * time.Second},
			uas: "uas_noanswer", uac: "uac_noanswer",
			disposition: "no_answer", sipCode: 480,
			check: func(t *testing.T, c itest.CDR, uac, _ itest.SIPpResult) {
				if !strings.Contains(uac.Messages(), "SIP/2.0 480") {
					t.Errorf("caller did not get 480 (ring timeout)")
				}
				if c.DurationMS < 1500 || c.DurationMS > 8000 {
					t.Errorf("duration_ms = %d, want ~2000 (ring_timeout)", c.DurationMS)
				}
				if c.BillableS != 0 {
					t.Errorf("billable_s = %d, want 0", c.BillableS)
				}
			},
		},
		{
			name: "cancel", opts: itest.Options{RingTimeout: 10 * time.Second},
			uas: "uas_noanswer", uac: "uac_cancel", uacArgs: []string{"-d", "500"},
			disposition: "cancelled", sipCode: 487,
			check: func(t *testing.T, c itest.CDR, uac, uas itest.SIPpResult) {
				// the caller's CANCEL, not the ring timeout, must end it
				if uac.Duration > 5*time.Second || c.DurationMS > 5000 {
					t.Errorf("cancel took %s (cdr %d ms); ring timeout is 10s", uac.Duration, c.DurationMS)
				}
				if !strings.Contains(uas.Messages(), "CANCEL sip:") {
					t.Errorf("callee never received a CANCEL")
				}
				if c.EndedBy != "" && !strings.Contains(strings.ToLower(c.EndedBy), "caller") && !strings.EqualFold(c.EndedBy, "a") {
					t.Errorf("ended_by = %q, want the caller", c.EndedBy)
				}
			},
		},
		{
			name: "re-INVITE passed through", uas: "uas", uac: "uac_reinvite", uacArgs: []string{"-d", "500"},
			disposition: "answered", sipCode: 200,
			check: func(t *testing.T, c itest.CDR, _, uas itest.SIPpResult) {
				if !strings.Contains(uas.Messages(), "a=sendonly") {
					t.Errorf("callee never saw the re-INVITE with a=sendonly")
				}
			},
		},
		{
			name: "callee hangs up", uas: "uas_bye", uasArgs: []string{"-d", "1200"}, uac: "uac_wait_bye",
			disposition: "answered", sipCode: 200,
			check: func(t *testing.T, c itest.CDR, _, _ itest.SIPpResult) {
				if c.EndedBy != "" && !strings.Contains(strings.ToLower(c.EndedBy), "callee") && !strings.EqualFold(c.EndedBy, "b") {
					t.Errorf("ended_by = %q, want the callee", c.EndedBy)
				}
			},
		},
		{
			name: "max call duration", opts: itest.Options{MaxCallDuration: 2 * time.Second},
			uas: "uas", uac: "uac_wait_bye",
			disposition: "answered", sipCode: 200,
			check: func(t *testing.T, c itest.CDR, uac, uas itest.SIPpResult) {
				// both legs got a BYE from the switch: the UAC scenario only
				// succeeds after receiving one, and so does the UAS
				if !strings.Contains(uac.Messages(), "BYE sip:") || !strings.Contains(uas.Messages(), "BYE sip:") {
					t.Errorf("switch did not BYE both legs")
				}
				if c.DurationMS < 1500 || c.DurationMS > 6000 {
					t.Errorf("duration_ms = %d, want ~2000 (max_call_duration)", c.DurationMS)
				}
				if c.BillableS < 1 {
					t.Errorf("billable_s = %d, want >= 1", c.BillableS)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sw := itest.Start(t, tc.opts)
			uas := startUAS(t, sw, tc.uas, callee, tc.uasArgs...)
			uacRes := call(t, sw, tc.uac, callee, tc.uacArgs...)
			if !uacRes.OK() {
				t.Fatalf("caller side: %s", uacRes)
			}
			uasRes := uas.Wait(15 * time.Second)
			if uasRes.ExitCode != 0 || uasRes.Successful != 1 {
				t.Fatalf("callee side: %s", uasRes)
			}
			waitNoActiveCalls(t, sw)
			c := cdrFor(t, sw, callee)
			if c.Disposition != tc.disposition {
				t.Errorf("disposition = %q, want %q (cdr %+v)", c.Disposition, tc.disposition, c)
			}
			if c.SIPCode != tc.sipCode {
				t.Errorf("sip_code = %d, want %d", c.SIPCode, tc.sipCode)
			}
			if c.End.Before(c.Start) {
				t.Errorf("end %s before start %s", c.End, c.Start)
			}
			// the API and the CLI must agree
			api := sw.CDRsAPI(t)
			if len(api) == 0 || api[len(api)-1].ID == "" {
				t.Errorf("GET /api/v1/cdrs returned %d CDRs", len(api))
			}
			if tc.check != nil {
				tc.check(t, c, uacRes, uasRes)
			}
		})
	}
}

// Forking: two contacts for the callee; one answers, the other (ringing) must
// be cancelled by the switch.
func TestE2EForking(t *testing.T) {
	itest.RequireSIPp(t)
	sw := itest.Start(t, itest.Options{})
	answering := startUAS(t, sw, "uas", callee)
	ringing := startUAS(t, sw, "uas_noanswer", callee)
	if got := sw.ContactsOf(t, callee); len(got) != 2 {
		t.Fatalf("want 2 contacts for %s, got %v", callee, got)
	}
	if res := call(t, sw, "uac", callee, "-d", "1000"); !res.OK() {
		t.Fatalf("caller: %s", res)
	}
	if res := answering.Wait(15 * time.Second); res.Successful != 1 {
		t.Fatalf("answering contact: %s", res)
	}
	if res := ringing.Wait(15 * time.Second); res.Successful != 1 || !strings.Contains(res.Messages(), "CANCEL sip:") {
		t.Fatalf("ringing contact was not cancelled: %s", res)
	}
	waitNoActiveCalls(t, sw)
	if c := cdrFor(t, sw, callee); c.Disposition != "answered" {
		t.Errorf("disposition = %q, want answered", c.Disposition)
	}
}

// ----------------------------------------------------------- failed routing

func TestE2ENotFound(t *testing.T) {
	itest.RequireSIPp(t)
	sw := itest.Start(t, itest.Options{})
	for _, tc := range []struct {
		name, to string
		code     string
	}{
		{"unknown callee", "7777", "404"},
		{"unregistered subscriber", "6002", "480"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := call(t, sw, "uac_notfound", tc.to)
			if !res.OK() {
				t.Fatalf("%s", res)
			}
			if !strings.Contains(res.Messages(), "SIP/2.0 "+tc.code) {
				t.Fatalf("want %s, messages:\n%s", tc.code, res.Messages())
			}
		})
	}
	waitNoActiveCalls(t, sw)
	// an attempted call is billable evidence: if CDRs are written for
	// routing failures they must say so (never "answered")
	for _, c := range sw.CDRList(t) {
		if c.Disposition == "answered" || c.BillableS != 0 {
			t.Errorf("routing failure produced an answered/billable CDR: %+v", c)
		}
	}
}

// Unauthenticated INVITE (or wrong password) never reaches the callee.
func TestE2EUnauthenticatedInvite(t *testing.T) {
	itest.RequireSIPp(t)
	sw := itest.Start(t, itest.Options{})
	uas := startUAS(t, sw, "uas", callee)

	if res := call(t, sw, "uac_noauth", callee); !res.OK() {
		t.Fatalf("INVITE without credentials must get exactly 407: %s", res)
	}
	// wrong password: the authenticated INVITE must not be routed (403)
	res := itest.RunSIPp(t, sippCtx(t, sippTimeout), "uac", "-m", "1", "-s", callee,
		"-key", "caller", caller, "-au", caller, "-ap", "wrong", sw.SIPAddr)
	if res.Successful != 0 {
		t.Fatalf("call with a wrong password succeeded: %s", res)
	}
	if !strings.Contains(res.Messages(), "SIP/2.0 403") {
		t.Errorf("wrong password: want 403, messages:\n%s", res.Messages())
	}
	time.Sleep(500 * time.Millisecond)
	ures := uas.Stop()
	if strings.Contains(ures.Messages(), "INVITE sip:") {
		t.Fatalf("callee received an INVITE from an unauthenticated caller:\n%s", ures.Messages())
	}
	for _, c := range sw.CDRList(t) {
		if c.Disposition == "answered" {
			t.Errorf("unauthenticated attempt produced an answered CDR: %+v", c)
		}
	}
}

// ------------------------------------------------------------------ restart

// Registrations survive a restart (graceful and kill -9): call without
// re-registering.
func TestE2ERestartKeepsRegistrations(t *testing.T) {
	itest.RequireSIPp(t)
	for _, graceful := range []bool{true, false} {
		name := map[bool]string{true: "SIGTERM", false: "SIGKILL"}[graceful]
		t.Run(name, func(t *testing.T) {
			sw := itest.Start(t, itest.Options{})
			uas := startUAS(t, sw, "uas", callee)
			sw.Restart(graceful)
			if got := sw.ContactsOf(t, callee); !contains(got, "sip:"+callee+"@"+uas.Addr) {
				t.Fatalf("after %s restart registrations = %v, want sip:%s@%s", name, got, callee, uas.Addr)
			}
			if res := call(t, sw, "uac", callee, "-d", "1000"); !res.OK() {
				t.Fatalf("call after restart: %s", res)
			}
			if res := uas.Wait(15 * time.Second); res.Successful != 1 {
				t.Fatalf("callee: %s", res)
			}
			waitNoActiveCalls(t, sw)
			c := cdrFor(t, sw, callee)
			if c.Disposition != "answered" || c.SIPCode != 200 {
				t.Errorf("cdr = %s/%d, want answered/200", c.Disposition, c.SIPCode)
			}
			// and the CDR itself survives another restart
			sw.Restart(true)
			if c2 := cdrFor(t, sw, callee); c2.ID != c.ID {
				t.Errorf("CDR id changed across restart: %s -> %s", c.ID, c2.ID)
			}
		})
	}
}
