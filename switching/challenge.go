package switching

import (
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
)

// challenges remembers, for a short while, the digest challenges the
// switch answered INVITEs with, by the caller's Call-ID and From tag: the
// call that follows records the round (INVITE, 407, ACK) on its ladder, so
// an auditor sees the whole exchange. It is bounded: a flood of
// unauthenticated INVITEs evicts the oldest entries, never grows memory.
type challenges struct {
	mu    sync.Mutex
	byKey map[string]*domain.SIPTransaction
	// ring holds the keys in insertion order; next is the slot to reuse.
	ring []string
	next int
}

// challengeKeep bounds the challenges remembered; a caller answers its
// challenge within milliseconds, so only a flood ever reaches it.
const challengeKeep = 8192

func newChallenges() *challenges {
	return &challenges{byKey: map[string]*domain.SIPTransaction{}, ring: make([]string, challengeKeep)}
}

func callerKeyOf(req *sip.Request) string {
	cid, from := req.CallID(), req.From()
	if cid == nil || from == nil {
		return ""
	}
	tag, _ := from.Params.Get("tag")
	return cid.Value() + "\x00" + tag
}

// add remembers a challenge sent to req.
func (c *challenges) add(req *sip.Request, t domain.SIPTransaction) {
	key := callerKeyOf(req)
	if key == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.ring[c.next]; old != "" {
		delete(c.byKey, old)
	}
	c.ring[c.next] = key
	c.next = (c.next + 1) % len(c.ring)
	c.byKey[key] = &t
}

// ack records the ACK of a challenge (RFC 3261 §17.1.1.3: the ACK of a
// failure carries the INVITE's CSeq number), reporting whether it matched.
func (c *challenges) ack(req *sip.Request, at time.Time) bool {
	key, cs := callerKeyOf(req), req.CSeq()
	if key == "" || cs == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.byKey[key]
	if t == nil || t.CSeq != cs.SeqNo || !t.Ack.IsZero() {
		return false
	}
	t.Ack = at
	if src := req.Source(); src != t.Peer {
		t.AckPeer = src
	}
	return true
}

// take returns and forgets the challenge of a caller key.
func (c *challenges) take(key string) (domain.SIPTransaction, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.byKey[key]
	if t == nil {
		return domain.SIPTransaction{}, false
	}
	delete(c.byKey, key)
	return *t, true
}

// TakeChallenge returns the challenge round that preceded an INVITE of
// the caller key (Call-ID and From tag), if one was remembered.
func (g *Guard) TakeChallenge(key string) (domain.SIPTransaction, bool) {
	return g.challenges.take(key)
}

// AckChallenge records the ACK of a challenge; false when it matched none.
func (g *Guard) AckChallenge(req *sip.Request) bool { return g.challenges.ack(req, g.rec.Now()) }
