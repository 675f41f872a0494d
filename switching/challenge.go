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
	byKey map[string]*challenge
	// ring holds the keys in insertion order; next is the slot to reuse.
	ring []string
	next int
}

// challengeKeep bounds the challenges remembered; a caller answers its
// challenge within milliseconds, so only a flood ever reaches it.
const challengeKeep = 8192

func newChallenges() *challenges {
	return &challenges{byKey: map[string]*challenge{}, ring: make([]string, challengeKeep)}
}

// challenge is one remembered round; acked is closed when its ACK comes.
type challenge struct {
	t     domain.SIPTransaction
	acked chan struct{}
}

// challengeAckWait is how long the INVITE that answers a challenge waits
// for that challenge's ACK to be recorded. The caller sent the ACK first
// (RFC 3261 §17.1.1.3: on the 407), but the switch reads its socket on
// several goroutines, so under load the INVITE can be handled first; a
// short wait keeps the ACK on the ladder. A caller that never ACKs costs
// its INVITE this much once.
const challengeAckWait = 20 * time.Millisecond

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
	c.byKey[key] = &challenge{t: t, acked: make(chan struct{})}
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
	e := c.byKey[key]
	if e == nil || e.t.CSeq != cs.SeqNo || !e.t.Ack.IsZero() {
		return false
	}
	e.t.Ack = at
	if src := req.Source(); src != e.t.Peer {
		e.t.AckPeer = src
	}
	close(e.acked)
	return true
}

// take returns and forgets the challenge of a caller key, waiting up to
// wait for its ACK when that has not been recorded yet.
func (c *challenges) take(key string, wait time.Duration) (domain.SIPTransaction, bool) {
	c.mu.Lock()
	e := c.byKey[key]
	if e == nil {
		c.mu.Unlock()
		return domain.SIPTransaction{}, false
	}
	if e.t.Ack.IsZero() && wait > 0 {
		c.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-e.acked:
		case <-t.C:
		}
		t.Stop()
		c.mu.Lock()
	}
	if c.byKey[key] == e {
		delete(c.byKey, key)
	}
	tx := e.t
	c.mu.Unlock()
	return tx, true
}

// TakeChallenge returns the challenge round that preceded an INVITE of
// the caller key (Call-ID and From tag), if one was remembered.
func (g *Guard) TakeChallenge(key string) (domain.SIPTransaction, bool) {
	return g.challenges.take(key, challengeAckWait)
}

// AckChallenge records the ACK of a challenge; false when it matched none.
func (g *Guard) AckChallenge(req *sip.Request) bool { return g.challenges.ack(req, g.rec.Now()) }
