package switching

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
)

// SessionTimerConfig is the switch's RFC 4028 policy. The switch is a
// B2BUA: it negotiates a session timer on each leg on its own and, as
// Kamailio's dialog module and FreeSWITCH do, refreshes a leg even when
// the endpoint does not support timers (a re-INVITE or UPDATE is then a
// plain in-dialog request it must answer), so that a call whose parties
// vanished is found out and stops billing.
type SessionTimerConfig struct {
	// Expires is the Session-Expires the switch asks for and the longest
	// it accepts; 0 turns session timers off.
	Expires time.Duration
	// MinSE is the shortest interval it accepts (Min-SE, answered with
	// 422 below it). RFC 4028 §4 sets 90 s as the floor for the network;
	// a lab may set less.
	MinSE time.Duration
}

// On tells whether session timers are enabled.
func (c SessionTimerConfig) On() bool { return c.Expires > 0 }

// RFC 4028 header names, with their compact forms (§4, §5; RFC 3261 §7.3.3).
const (
	hdrSessionExpires = "Session-Expires"
	hdrSessionCompact = "x"
	hdrMinSE          = "Min-SE"
	hdrSupported      = "Supported"
	hdrSupportedShort = "k"
	hdrRequire        = "Require"
	hdrAllow          = "Allow"
)

// errBadSessionTimer is a Session-Expires or Min-SE that does not parse.
var errBadSessionTimer = errors.New("malformed session timer header")

// sessionExpires is a parsed Session-Expires value (RFC 4028 §4):
// delta-seconds, and the refresher parameter ("uac", "uas" or "").
type sessionExpires struct {
	delta     int
	refresher string
}

// parseDelta reads delta-seconds (RFC 3261 §25.1: 1*DIGIT), bounded so a
// huge value cannot overflow a Duration.
func parseDelta(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 10 {
		return 0, errBadSessionTimer
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errBadSessionTimer
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > 1<<30 {
		return 0, errBadSessionTimer
	}
	return n, nil
}

func parseSessionExpires(v string) (sessionExpires, error) {
	parts := strings.Split(v, ";")
	d, err := parseDelta(parts[0])
	if err != nil {
		return sessionExpires{}, fmt.Errorf("%w: Session-Expires %q", errBadSessionTimer, v)
	}
	se := sessionExpires{delta: d}
	for _, p := range parts[1:] {
		name, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(name), "refresher") {
			switch r := strings.ToLower(strings.TrimSpace(val)); r {
			case "uac", "uas":
				se.refresher = r
			default:
				return sessionExpires{}, fmt.Errorf("%w: refresher %q", errBadSessionTimer, val)
			}
		}
	}
	return se, nil
}

// header returns the first value of a header given by its long or
// compact name, and whether there is one.
func header(m interface{ GetHeaders(string) []sip.Header }, long, compact string) (string, bool) {
	for _, name := range []string{long, compact} {
		if name == "" {
			continue
		}
		if hs := m.GetHeaders(name); len(hs) > 0 {
			return hs[0].Value(), true
		}
	}
	return "", false
}

// hasOption tells whether a comma-separated option header (Supported,
// Require, Allow) lists tag, case-insensitively.
func hasOption(m interface{ GetHeaders(string) []sip.Header }, long, compact, tag string) bool {
	for _, name := range []string{long, compact} {
		if name == "" {
			continue
		}
		for _, h := range m.GetHeaders(name) {
			for _, t := range strings.Split(h.Value(), ",") {
				if strings.EqualFold(strings.TrimSpace(t), tag) {
					return true
				}
			}
		}
	}
	return false
}

// legTimer is a leg's negotiated session timer.
type legTimer struct {
	interval  time.Duration
	refresher string // domain.RefresherSwitch or domain.RefresherPeer; "" off
}

// callerTimerError is why a caller's INVITE cannot be served: a 400 for a
// header that does not parse, or 422 with the switch's Min-SE.
type callerTimerError struct {
	code   int
	reason string
	minSE  int
}

func (e *callerTimerError) Error() string { return fmt.Sprintf("%d %s", e.code, e.reason) }

// negotiateCaller decides the A-leg's session timer from the caller's
// INVITE, as a UAS does (RFC 4028 §9): the interval is what the caller
// asked for, capped at the switch's, and never below either Min-SE; the
// caller refreshes only when it asked to (refresher=uac) and said it
// supports timers, otherwise the switch does.
func negotiateCaller(req *sip.Request, cfg SessionTimerConfig) (legTimer, error) {
	if !cfg.On() {
		return legTimer{}, nil
	}
	minSE := int(cfg.MinSE / time.Second)
	floor := minSE
	if v, ok := header(req, hdrMinSE, ""); ok {
		// Min-SE carries only delta-seconds and generic params (§5).
		n, err := parseDelta(strings.Split(v, ";")[0])
		if err != nil {
			return legTimer{}, &callerTimerError{code: 400, reason: "Bad Request (Min-SE)"}
		}
		floor = max(floor, n)
	}
	interval := int(cfg.Expires / time.Second)
	refresher := domain.RefresherSwitch
	if v, ok := header(req, hdrSessionExpires, hdrSessionCompact); ok {
		se, err := parseSessionExpires(v)
		if err != nil {
			return legTimer{}, &callerTimerError{code: 400, reason: "Bad Request (Session-Expires)"}
		}
		if se.delta < minSE {
			// §8.1: below what this element accepts.
			return legTimer{}, &callerTimerError{code: 422, reason: "Session Interval Too Small", minSE: minSE}
		}
		interval = min(interval, se.delta)
		if se.refresher == "uac" && hasOption(req, hdrSupported, hdrSupportedShort, "timer") {
			refresher = domain.RefresherPeer
		}
	}
	interval = max(interval, floor)
	return legTimer{interval: time.Duration(interval) * time.Second, refresher: refresher}, nil
}

// answerHeaders are the session timer headers of the switch's 2xx to
// the caller (§9): Session-Expires with the refresher as the caller sees
// it, and Require: timer when the caller is to refresh.
func (t legTimer) answerHeaders() []sip.Header {
	if t.refresher == "" {
		return nil
	}
	side := "uas"
	hs := []sip.Header{}
	if t.refresher == domain.RefresherPeer {
		side = "uac"
		hs = append(hs, sip.NewHeader(hdrRequire, "timer"))
	}
	return append(hs, sip.NewHeader(hdrSessionExpires, strconv.Itoa(int(t.interval/time.Second))+";refresher="+side))
}

// offerHeaders are the session timer headers of a request the switch
// sends as UAC (a B-leg INVITE, a refresh): it asks to be the refresher
// (§7.1), with its Min-SE.
func offerHeaders(interval time.Duration, cfg SessionTimerConfig) []sip.Header {
	if !cfg.On() {
		return nil
	}
	return []sip.Header{
		sip.NewHeader(hdrSupported, "timer"),
		sip.NewHeader(hdrSessionExpires, strconv.Itoa(int(interval/time.Second))+";refresher=uac"),
		sip.NewHeader(hdrMinSE, strconv.Itoa(int(cfg.MinSE/time.Second))),
	}
}

// calleeTimer reads the session timer a callee's 2xx settled on (§7.2):
// its Session-Expires, and who refreshes. A 2xx without one is from an
// endpoint that does not do timers; the switch refreshes it anyway, at the
// interval it asked for.
func calleeTimer(res *sip.Response, asked time.Duration, cfg SessionTimerConfig) legTimer {
	if !cfg.On() {
		return legTimer{}
	}
	t := legTimer{interval: asked, refresher: domain.RefresherSwitch}
	v, ok := header(res, hdrSessionExpires, hdrSessionCompact)
	if !ok {
		return t
	}
	se, err := parseSessionExpires(v)
	if err != nil {
		return t // a broken header from the callee: keep ours
	}
	// The callee may shorten the interval, not below the Min-SE the
	// switch sent (§9); a shorter one is taken as the floor.
	t.interval = max(time.Duration(se.delta)*time.Second, cfg.MinSE)
	if se.refresher == "uas" {
		t.refresher = domain.RefresherPeer
	}
	return t
}

// refreshAfter is when the refresher sends its refresh: half the
// interval (§10).
func (t legTimer) refreshAfter() time.Duration { return t.interval / 2 }

// expireAfter is when the side that does not refresh gives up waiting
// for a refresh: the interval less min(32 s, interval/3) (§10), so its
// BYE leaves before the session would have expired.
func (t legTimer) expireAfter() time.Duration {
	return t.interval - min(32*time.Second, t.interval/3)
}
