package projections

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"softswitch/domain"
)

// ActiveCall is a call that has started and not ended.
type ActiveCall struct {
	CallID    string    `json:"call_id"`
	SIPCallID string    `json:"sip_call_id"`
	Caller    string    `json:"caller"`
	Callee    string    `json:"callee"`
	Start     time.Time `json:"start"`
	Answered  time.Time `json:"answered,omitzero"`
	Node      string    `json:"node"`
	// Version and Last are the sequence and time of the call's last event,
	// so a restarted node can close a call it left open.
	Version uint64    `json:"-"`
	Last    time.Time `json:"-"`
	// OpenLegs are the legs started and not yet ended.
	OpenLegs []string `json:"-"`
	// Media is where each relay leg's media goes (call.media_anchored):
	// "a" faces the caller, "b" the callee; empty when not anchored.
	Media []CallMedia `json:"media,omitempty"`
	// Legs are the call's legs with where each goes (the web console shows
	// both sides of a call and the trunk it left by); Quality is each relay
	// leg's last media snapshot (call.media_stats, every
	// media.stats_interval), the live MOS of an anchored call.
	Legs    []CallLeg    `json:"legs,omitempty"`
	Quality []LegQuality `json:"quality,omitempty"`
}

// CallLeg is one leg of an active call as call.leg_started recorded it.
type CallLeg struct {
	Leg     string `json:"leg"`
	Side    string `json:"side"`
	Peer    string `json:"peer"`
	Target  string `json:"target,omitempty"`
	Trunk   string `json:"trunk,omitempty"`
	Carrier string `json:"carrier,omitempty"`
	Ended   bool   `json:"ended,omitempty"`
}

// LegQuality is one relay leg's media quality from the last
// call.media_stats: "a" faces the caller, "b" the callee.
type LegQuality struct {
	Leg      string  `json:"leg"`
	MOS      float64 `json:"mos"`
	JitterMs float64 `json:"jitter_ms"`
	Lost     int64   `json:"lost"`
	Packets  uint64  `json:"packets"`
}

// CallMedia is one relay leg of an active call: the switch's RTP address
// the leg was given, what its SDP advertised, and its direction.
type CallMedia struct {
	Leg       string `json:"leg"`
	Local     string `json:"local"`
	Remote    string `json:"remote"`
	Direction string `json:"direction"`
}

// Calls is the active-calls projection, for the admin API and for ending
// the calls a crashed node left open. It also keeps each node's last
// heartbeat (node.alive), the proof that the node and its calls were up.
type Calls struct {
	mu    sync.RWMutex
	calls map[string]*ActiveCall
	alive map[string]nodeAlive
}

type nodeAlive struct {
	seq uint64
	at  time.Time
}

// NewCalls returns an empty projection.
func NewCalls() *Calls { return &Calls{calls: map[string]*ActiveCall{}, alive: map[string]nodeAlive{}} }

// LastAlive is the time and sequence of a node's last heartbeat, zero when
// it has none.
func (c *Calls) LastAlive(node string) (time.Time, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	a := c.alive[node]
	return a.at, a.seq
}

// Orphans lists the open calls a node started, for that node to close at
// start: their dialogs died with the process that held them.
func (c *Calls) Orphans(node string) []ActiveCall {
	var out []ActiveCall
	for _, a := range c.List() {
		if a.Node == node {
			out = append(out, a)
		}
	}
	return out
}

// List returns the active calls ordered by start.
func (c *Calls) List() []ActiveCall {
	c.mu.RLock()
	out := make([]ActiveCall, 0, len(c.calls))
	for _, a := range c.calls {
		cp := *a
		cp.OpenLegs = slices.Clone(a.OpenLegs)
		cp.Media = slices.Clone(a.Media)
		cp.Legs = slices.Clone(a.Legs)
		cp.Quality = slices.Clone(a.Quality)
		out = append(out, cp)
	}
	c.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].CallID < out[j].CallID
	})
	return out
}

// Len is the number of active calls.
func (c *Calls) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.calls)
}

// Apply implements Projection.
func (c *Calls) Apply(env domain.Envelope, ev domain.Event) error {
	if env.Type == domain.TypeNodeAlive {
		c.mu.Lock()
		if a := c.alive[env.Node]; env.Seq > a.seq {
			c.alive[env.Node] = nodeAlive{seq: env.Seq, at: env.Time}
		}
		c.mu.Unlock()
		return nil
	}
	if !strings.HasPrefix(env.Aggregate, "call:") {
		return nil
	}
	id := strings.TrimPrefix(env.Aggregate, "call:")
	switch env.Type {
	case domain.TypeCallStarted, domain.TypeCallAnswered, domain.TypeCallEnded, domain.TypeLegStarted, domain.TypeLegEnded,
		domain.TypeMediaAnchored, domain.TypeMediaStats:
	default:
		c.mu.Lock()
		if a := c.calls[id]; a != nil && env.Seq > a.Version {
			a.Version, a.Last = env.Seq, env.Time
		}
		c.mu.Unlock()
		return nil
	}
	ev, err := decodeIf(env, ev)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch e := ev.(type) {
	case domain.CallStarted:
		if c.calls[id] != nil {
			return nil // a redelivered start must not reset the call
		}
		sipID := e.SIPCallID
		if sipID == "" {
			sipID = e.CallID // recorded before the switch made its own ids
		}
		c.calls[id] = &ActiveCall{CallID: e.CallID, SIPCallID: sipID, Caller: e.Caller, Callee: e.Callee, Start: env.Time, Node: env.Node, Version: env.Seq, Last: env.Time}
	case domain.CallAnswered:
		if a := c.calls[id]; a != nil {
			a.Answered, a.Version, a.Last = env.Time, env.Seq, env.Time
		}
	case domain.LegStarted:
		if a := c.calls[id]; a != nil && env.Seq > a.Version {
			a.OpenLegs = append(a.OpenLegs, e.Leg)
			a.Legs = append(a.Legs, CallLeg{Leg: e.Leg, Side: e.Side, Peer: e.Peer, Target: e.Target, Trunk: e.Trunk, Carrier: e.Carrier})
			a.Version, a.Last = env.Seq, env.Time
		}
	case domain.LegEnded:
		if a := c.calls[id]; a != nil && env.Seq > a.Version {
			a.OpenLegs = slices.DeleteFunc(a.OpenLegs, func(l string) bool { return l == e.Leg })
			for i := range a.Legs {
				if a.Legs[i].Leg == e.Leg {
					a.Legs[i].Ended = true
				}
			}
			a.Version, a.Last = env.Seq, env.Time
		}
	case domain.MediaAnchored:
		if a := c.calls[id]; a != nil && env.Seq > a.Version {
			m := CallMedia{Leg: e.Leg, Local: e.Local, Remote: e.Remote, Direction: e.Direction}
			if i := slices.IndexFunc(a.Media, func(x CallMedia) bool { return x.Leg == e.Leg }); i >= 0 {
				a.Media[i] = m
			} else {
				a.Media = append(a.Media, m)
			}
			a.Version, a.Last = env.Seq, env.Time
		}
	case domain.MediaStats:
		if a := c.calls[id]; a != nil && env.Seq > a.Version {
			a.Quality = a.Quality[:0]
			for _, l := range e.Legs {
				a.Quality = append(a.Quality, LegQuality{Leg: l.Leg, MOS: l.MOS, JitterMs: l.JitterMs, Lost: l.Lost, Packets: l.Packets})
			}
			a.Version, a.Last = env.Seq, env.Time
		}
	case domain.CallEnded:
		delete(c.calls, id)
	}
	return nil
}
