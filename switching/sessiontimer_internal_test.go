package switching

import (
	"errors"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
)

func inviteWith(hdrs ...[2]string) *sip.Request {
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "6001", Host: "switch"})
	for _, h := range hdrs {
		req.AppendHeader(sip.NewHeader(h[0], h[1]))
	}
	return req
}

// TestNegotiateCaller pins RFC 4028 §9 as the switch applies it to the
// caller's INVITE (switch: Session-Expires 1800, Min-SE 90).
func TestNegotiateCaller(t *testing.T) {
	cfg := SessionTimerConfig{Expires: 1800 * time.Second, MinSE: 90 * time.Second}
	sw, peer := domain.RefresherSwitch, domain.RefresherPeer
	tests := []struct {
		name      string
		hdrs      [][2]string
		interval  time.Duration
		refresher string
		code      int // 0: accepted
	}{
		{"no timer: the switch refreshes at its own interval", nil, 1800 * time.Second, sw, 0},
		{"shorter asked", [][2]string{{"Session-Expires", "600"}}, 600 * time.Second, sw, 0},
		{"longer asked is capped", [][2]string{{"Session-Expires", "7200"}}, 1800 * time.Second, sw, 0},
		{"caller refreshes", [][2]string{{"Supported", "100rel, timer"}, {"Session-Expires", "600;refresher=uac"}}, 600 * time.Second, peer, 0},
		{"refresher=uac without Supported: timer", [][2]string{{"Session-Expires", "600;refresher=uac"}}, 600 * time.Second, sw, 0},
		{"refresher=uas", [][2]string{{"Supported", "timer"}, {"Session-Expires", "600;refresher=uas"}}, 600 * time.Second, sw, 0},
		{"compact forms", [][2]string{{"k", "timer"}, {"x", "300;refresher=uac"}}, 300 * time.Second, peer, 0},
		{"caller's Min-SE raises the floor", [][2]string{{"Session-Expires", "120"}, {"Min-SE", "300"}}, 300 * time.Second, sw, 0},
		{"below Min-SE", [][2]string{{"Session-Expires", "30"}}, 0, "", 422},
		{"garbage", [][2]string{{"Session-Expires", "soon"}}, 0, "", 400},
		{"negative", [][2]string{{"Session-Expires", "-5"}}, 0, "", 400},
		{"zero", [][2]string{{"Session-Expires", "0"}}, 0, "", 400},
		{"huge", [][2]string{{"Session-Expires", "99999999999999999999"}}, 0, "", 400},
		{"bad refresher", [][2]string{{"Session-Expires", "600;refresher=me"}}, 0, "", 400},
		{"bad Min-SE", [][2]string{{"Min-SE", "x"}}, 0, "", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lt, err := negotiateCaller(inviteWith(tt.hdrs...), cfg)
			var te *callerTimerError
			switch {
			case tt.code != 0:
				if !errors.As(err, &te) || te.code != tt.code {
					t.Fatalf("err %v, want %d", err, tt.code)
				}
				if tt.code == 422 && te.minSE != 90 {
					t.Fatalf("422 Min-SE %d, want 90", te.minSE)
				}
			case err != nil:
				t.Fatal(err)
			case lt.interval != tt.interval || lt.refresher != tt.refresher:
				t.Fatalf("timer %s %s, want %s %s", lt.interval, lt.refresher, tt.interval, tt.refresher)
			}
		})
	}
}

// TestCalleeTimer: what the callee's 2xx settles on (RFC 4028 §7.2).
func TestCalleeTimer(t *testing.T) {
	cfg := SessionTimerConfig{Expires: 1800 * time.Second, MinSE: 90 * time.Second}
	tests := []struct {
		name      string
		se        string
		interval  time.Duration
		refresher string
	}{
		{"no timer support: the switch refreshes anyway", "", 1800 * time.Second, domain.RefresherSwitch},
		{"shorter, we refresh", "900;refresher=uac", 900 * time.Second, domain.RefresherSwitch},
		{"callee refreshes", "1800;refresher=uas", 1800 * time.Second, domain.RefresherPeer},
		{"below our Min-SE is raised to it", "30;refresher=uac", 90 * time.Second, domain.RefresherSwitch},
		{"garbage keeps ours", "never", 1800 * time.Second, domain.RefresherSwitch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := sip.NewResponseFromRequest(inviteWith(), 200, "OK", nil)
			if tt.se != "" {
				res.AppendHeader(sip.NewHeader("Session-Expires", tt.se))
			}
			lt := calleeTimer(res, cfg.Expires, cfg)
			if lt.interval != tt.interval || lt.refresher != tt.refresher {
				t.Fatalf("timer %s %s, want %s %s", lt.interval, lt.refresher, tt.interval, tt.refresher)
			}
		})
	}
}

func TestTimerDeadlines(t *testing.T) {
	lt := legTimer{interval: 90 * time.Second}
	if lt.refreshAfter() != 45*time.Second || lt.expireAfter() != 60*time.Second {
		t.Fatalf("90 s: refresh %s expire %s, want 45 s and 60 s", lt.refreshAfter(), lt.expireAfter())
	}
	lt.interval = 1800 * time.Second
	if lt.expireAfter() != 1768*time.Second {
		t.Fatalf("1800 s: expire %s, want 1768 s (32 s before)", lt.expireAfter())
	}
}

// FuzzSessionExpires: whatever the header holds, parsing answers and
// never panics; what it accepts is a positive interval.
func FuzzSessionExpires(f *testing.F) {
	for _, s := range []string{"1800", "90;refresher=uac", "x", "", ";;", "1;refresher", "00000000001;Refresher=UAS;foo=bar"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		se, err := parseSessionExpires(v)
		if err == nil && (se.delta <= 0 || (se.refresher != "" && se.refresher != "uac" && se.refresher != "uas")) {
			t.Fatalf("accepted %q as %+v", v, se)
		}
	})
}
