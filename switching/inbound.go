package switching

import (
	"context"

	"github.com/emiago/sipgo/sip"
)

// inboundTrunk names the trunk whose ACL holds the request's source, ""
// for anyone else. Only the transport's source address counts: Via and
// From are the sender's to write (RFC 3261 §18.2.1 records the real one
// as "received").
func (b *B2BUA) inboundTrunk(req *sip.Request) string {
	if b.x == nil {
		return ""
	}
	t, _ := b.x.IC.TrunkForSource(req.Source(), req.Transport())
	return t
}

// trunkAuthenticated checks the digest of a trunk that asks for one
// (inbound_auth): over UDP an ACL address can be spoofed, a password
// cannot. When it returns false it has answered (407 or 403).
func (b *B2BUA) trunkAuthenticated(ctx context.Context, trunk string, req *sip.Request, tx sip.ServerTransaction) bool {
	def, ok := b.x.IC.Trunk(trunk)
	if !ok || def.InboundUsername == "" {
		return true
	}
	user, ok := b.guard.Authenticate(ctx, req, tx, "Proxy-Authorization", 407)
	if !ok {
		return false
	}
	if user != def.InboundUsername {
		b.reply(tx, req, 403, "Forbidden")
		return false
	}
	return true
}

// transitAccount is who pays for a transit trunk's calls: its account,
// else "trunk:<name>"; never the From header the sender wrote.
func (b *B2BUA) transitAccount(trunk string) string {
	if def, ok := b.x.IC.Trunk(trunk); ok && def.Account != "" {
		return def.Account
	}
	return "trunk:" + trunk
}

// didUser maps a dialled number from a carrier to the subscriber its DID
// is assigned to.
func (b *B2BUA) didUser(dialled string) (string, bool) {
	n, err := b.x.Normalizer.Normalize(dialled)
	if err != nil {
		return "", false
	}
	return b.x.IC.DID(n.E164())
}

// failover starts the next trunk attempt after a retryable failure and
// reports whether one started. The decision is taken again on current
// trunk state, with the trunks already tried marked failed.
func (c *call) failover(ctx context.Context) bool {
	before := len(c.legs)
	if f := c.nextAttempt(); f != nil || len(c.legs) == before {
		return false // nothing left: the caller gets the best answer
	}
	c.b.m.trunkFailovers.Add(1)
	return c.startLast(ctx)
}

// transitAllowed tells whether a trunk's calls may go out through the
// routes when they are not to a DID.
func (b *B2BUA) transitAllowed(trunk string) bool {
	def, ok := b.x.IC.Trunk(trunk)
	return ok && def.Transit
}
