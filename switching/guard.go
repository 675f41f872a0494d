package switching

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"

	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
	"softswitch/switching/auth"
)

// Authenticator challenges and verifies digest credentials; nonces are
// bound to the source address they were issued to.
type Authenticator interface {
	Challenge(stale bool, source string) []string
	Verify(method, source, credentials string) (user string, err error)
}

// BanList tracks failed authentication per source; reliable failures
// came over a connection (TCP, TLS) and cannot be spoofed.
type BanList interface {
	Fail(source string, reliable bool) auth.Verdict
	Banned(source string) bool
	Success(source string)
}

// Guard is the front door: scanner and ban filtering, then digest auth.
// Known and unknown users get byte-identical answers from it.
type Guard struct {
	auth       Authenticator
	bans       BanList
	scanners   []string
	rec        *Recorder
	m          *Metrics
	log        *slog.Logger
	challenges *challenges
	failures   *authFailures
	disk       *DiskGuard // nil: never refuse for disk space
}

// NewGuard wires a guard. scanners are lower-case User-Agent substrings
// whose requests are dropped without an answer.
func NewGuard(a Authenticator, bans BanList, scanners []string, rec *Recorder, m *Metrics, log *slog.Logger) *Guard {
	lower := make([]string, len(scanners))
	for i, s := range scanners {
		lower[i] = strings.ToLower(s)
	}
	return &Guard{auth: a, bans: bans, scanners: lower, rec: rec, m: m, log: log, challenges: newChallenges(), failures: newAuthFailures()}
}

// Admit reports whether a request may be processed at all. Banned sources
// and scanners get no answer: an answer would confirm a SIP server is here.
func (g *Guard) Admit(req *sip.Request, tx sip.ServerTransaction) bool {
	if g.bans.Banned(sourceIP(req)) {
		g.m.bannedDrops.Add(1)
		return false
	}
	if len(g.scanners) > 0 {
		if ua := strings.ToLower(headerValue(req, "User-Agent")); ua != "" {
			for _, s := range g.scanners {
				if strings.Contains(ua, s) {
					g.m.scannerDrops.Add(1)
					return false
				}
			}
		}
	}
	if res, malformed := refusal(req); res != nil {
		if malformed {
			g.m.Malformed()
		}
		if !req.IsAck() {
			// RFC 3261 §17.1.1.3: an ACK is never answered.
			g.m.response(res.StatusCode)
			_ = tx.Respond(res)
		}
		return false
	}
	return true
}

// Authenticate checks the request's credentials in header (Authorization
// or Proxy-Authorization). When it returns false it has already answered:
// a challenge with code (401 or 407, RFC 3261 §22.2/§22.3), or 403.
//
// Credentials must come from the address their nonce was issued to, and
// their uri must be the Request-URI (RFC 3261 §22.4): an Authorization
// captured on the wire is good neither from elsewhere nor towards another
// target. A replayed nonce count or a nonce from elsewhere gets a fresh
// challenge (stale=true), never a strike: a retransmission is not an
// attack, and an attacker gains nothing from it.
func (g *Guard) Authenticate(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, header string, code int) (string, bool) {
	h := req.GetHeader(header)
	src := sourceIP(req)
	if h == nil {
		g.challenge(req, tx, code, false)
		return "", false
	}
	user, err := g.auth.Verify(string(req.Method), src, h.Value())
	if err == nil {
		if c, perr := auth.ParseCredentials(h.Value()); perr != nil || !sameURIString(c.URI, req.Recipient.String()) {
			err = &auth.AuthError{User: user, Err: auth.ErrInvalidCredentials, Detail: "digest uri is not the Request-URI"}
		}
	}
	switch {
	case err == nil:
		g.bans.Success(src)
		return user, true
	case errors.Is(err, auth.ErrNoCredentials):
		// No Digest credentials (another scheme, RFC 4475 §3.3.7
		// "regaut01"): challenge as for none at all; it is no failure.
		g.challenge(req, tx, code, false)
		return "", false
	case errors.Is(err, auth.ErrStaleNonce), errors.Is(err, auth.ErrNonceReused):
		// RFC 7616 §3.3: a stale nonce is not a wrong password.
		g.challenge(req, tx, code, true)
		return "", false
	}
	g.m.authFailures.Add(1)
	claimed := ""
	var ae *auth.AuthError
	if errors.As(err, &ae) {
		claimed = ae.User
	}
	now := g.rec.Now()
	g.failures.add(src, claimed, string(req.Method), err.Error(), now)
	if v := g.bans.Fail(src, req.Transport() != "UDP"); v.Banned {
		g.m.authBans.Add(1)
		// The failures that led to the ban first, then the ban.
		g.flushAuthFailures(ctx, src)
		ev := domain.SourceBanned{Source: v.Key, Until: v.Until, Fails: v.Fails}
		if err := g.rec.Record(ctx, domain.Recorded{Event: ev, At: now}); err != nil {
			g.log.Warn("record ban", "error", err)
		}
		g.log.Warn("source banned for failed authentication", "source", v.Key, "until", v.Until, "fails", v.Fails)
	}
	res := sip.NewResponseFromRequest(req, 403, "Forbidden", nil)
	g.m.response(403)
	_ = tx.Respond(res)
	return "", false
}

func (g *Guard) challenge(req *sip.Request, tx sip.ServerTransaction, code int, stale bool) {
	name, reason := "WWW-Authenticate", "Unauthorized"
	if code == 407 {
		name, reason = "Proxy-Authenticate", "Proxy Authentication Required"
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, v := range g.auth.Challenge(stale, sourceIP(req)) {
		res.AppendHeader(sip.NewHeader(name, v))
	}
	g.m.authChallenges.Add(1)
	g.m.response(code)
	now := g.rec.Now()
	if tx.Respond(res) != nil || !req.IsInvite() {
		return
	}
	// The challenge is sent statelessly, as Kamailio does: the INVITE
	// transaction ends here, so the 407 is not retransmitted eleven times
	// towards a source that may be spoofed (a lost challenge is answered
	// again when the INVITE is retransmitted, RFC 3261 §17.2.1), and the
	// ACK reaches onAck, which records it on the challenge.
	tx.Terminate()
	g.challenges.add(req, transaction("", domain.SideA, domain.DirIn, req, code, reason, now, now))
}

// sourceIP is the host of the transport source: bans key on it, never on
// Via, which the sender writes.
func sourceIP(req *sip.Request) string {
	src := req.Source()
	if host, _, err := net.SplitHostPort(src); err == nil {
		return host
	}
	return src
}
