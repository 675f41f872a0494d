package switching

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
	"softswitch/switching/auth"
)

// Authenticator challenges and verifies digest credentials.
type Authenticator interface {
	Challenge(stale bool) []string
	Verify(method, credentials string) (user string, err error)
}

// BanList tracks failed authentication per source.
type BanList interface {
	Fail(source string) (banned bool, until time.Time)
	Banned(source string) bool
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
}

// NewGuard wires a guard. scanners are lower-case User-Agent substrings
// whose requests are dropped without an answer.
func NewGuard(a Authenticator, bans BanList, scanners []string, rec *Recorder, m *Metrics, log *slog.Logger) *Guard {
	lower := make([]string, len(scanners))
	for i, s := range scanners {
		lower[i] = strings.ToLower(s)
	}
	return &Guard{auth: a, bans: bans, scanners: lower, rec: rec, m: m, log: log, challenges: newChallenges()}
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
func (g *Guard) Authenticate(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, header string, code int) (string, bool) {
	h := req.GetHeader(header)
	if h == nil {
		g.challenge(req, tx, code, false)
		return "", false
	}
	user, err := g.auth.Verify(string(req.Method), h.Value())
	switch {
	case err == nil:
		return user, true
	case errors.Is(err, auth.ErrNoCredentials):
		// No Digest credentials (another scheme, RFC 4475 §3.3.7
		// "regaut01"): challenge as for none at all; it is no failure.
		g.challenge(req, tx, code, false)
		return "", false
	case errors.Is(err, auth.ErrStaleNonce):
		// RFC 7616 §3.3: a stale nonce is not a wrong password.
		g.challenge(req, tx, code, true)
		return "", false
	}
	g.m.authFailures.Add(1)
	src := sourceIP(req)
	claimed := ""
	var ae *auth.AuthError
	if errors.As(err, &ae) {
		claimed = ae.User
	}
	now := g.rec.Now()
	recs := []domain.Recorded{{Event: domain.AuthFailed{Source: src, User: claimed, Method: string(req.Method), Reason: err.Error()}, At: now}}
	if banned, until := g.bans.Fail(src); banned {
		g.m.authBans.Add(1)
		recs = append(recs, domain.Recorded{Event: domain.SourceBanned{Source: src, Until: until}, At: now})
		g.log.Warn("source banned for failed authentication", "source", src, "until", until)
	}
	if err := g.rec.Record(ctx, recs...); err != nil {
		g.log.Warn("record auth failure", "error", err)
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
	for _, v := range g.auth.Challenge(stale) {
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
