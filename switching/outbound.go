package switching

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
	"softswitch/interconnect/number"
	"softswitch/interconnect/routing"
	"softswitch/projections"
)

// Interconnect is what the B2BUA needs for calls to and from carriers'
// trunks. A nil *Interconnect leaves the switch calling registered users
// only.
type Interconnect struct {
	IC   *projections.Interconnect
	Load *projections.TrunkLoad
	// Normalizer reads dialled numbers for the home country CountryCode.
	Normalizer  number.Normalizer
	CountryCode string
	// Policy is a subscriber's calling policy (allow/deny prefixes,
	// international calls).
	Policy func(user string) domain.CallingPolicy
	// Secret is the digest username and password a trunk answers the
	// carrier's challenges with; secrets stay out of the event log.
	Secret func(trunk string) (user, password string)
	// Segments are the number segments carriers own (routing's default
	// Chinese table when nil); Ported overrides them per number.
	Segments []routing.Segment
	Ported   map[string]string
	// Spend is spend control for calls out through trunks; nil for none.
	Spend *Spend

	mu      sync.Mutex
	version uint64
	table   *routing.Table
	err     error
}

// Table returns the routing table compiled from the projected carriers,
// trunks and routes, compiling it again only when they changed.
func (x *Interconnect) Table() (*routing.Table, error) {
	v := x.IC.Version()
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.table != nil && v == x.version {
		return x.table, x.err
	}
	p := x.IC.Plan()
	p.Segments = x.Segments
	if p.Segments == nil {
		p.Segments = routing.DefaultSegments()
	}
	p.Ported = x.Ported
	t, err := routing.Compile(p)
	if err != nil {
		// Keep serving the last good table: a bad definition must not
		// stop every call.
		if x.table != nil {
			return x.table, nil
		}
		x.err = err
		return nil, err
	}
	x.table, x.version, x.err = t, v, nil
	return t, nil
}

// trunkLeg is what a B-leg towards a carrier's gateway needs beyond a
// registered contact's.
type trunkLeg struct {
	trunk, carrier string
	user           string // the called number in the trunk's format
	fromUser       string // the presented caller id
	pai            string // P-Asserted-Identity user, "" for none
	authUser       string
	authPass       string
	codecs         []string // the trunk's accepted codecs; nil: any
}

// seedOf makes a call's weighted trunk choice deterministic in its id, so
// a test can pin it; the RouteDecided event records the outcome anyway.
func seedOf(callID string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(callID))
	return h.Sum64()
}

// outbound routes a call to a number through the trunks: normalize,
// check the caller's policy, decide from projected trunk state, and
// start the first attempt. Failover attempts come from nextAttempt.
func (c *call) outbound(ctx context.Context) *domain.CallFailure {
	x := c.b.x
	if t, err := x.Table(); err == nil && t.Routes() == 0 {
		// A switch with no routes serves registered users only: an
		// unknown callee is just that.
		return domain.Classify(domain.ErrUnknownCallee)
	}
	n, err := x.Normalizer.Normalize(c.agg.Callee())
	if err != nil {
		if !looksLikeNumber(c.agg.Callee()) {
			return domain.Classify(domain.ErrUnknownCallee)
		}
		return domain.Classify(fmt.Errorf("%w: %v", domain.ErrInvalidNumber, err))
	}
	if err := x.Policy(c.agg.Caller()).Check(n.E164(), x.CountryCode); err != nil {
		return domain.Classify(err)
	}
	if f := c.spendControl(ctx, n.E164()); f != nil {
		return f
	}
	c.number = n
	c.tried = map[string]bool{}
	if c.inbound != "" {
		// Never hand a call back to the trunk it came from.
		c.tried[c.inbound] = true
	}
	return c.nextAttempt()
}

// nextAttempt decides again, with the trunks already tried marked failed,
// records the decision, and starts a leg on the first usable trunk. It
// returns the failure to end the call with when no trunk is left.
func (c *call) nextAttempt() *domain.CallFailure {
	x, now := c.b.x, c.b.rec.Now()
	table, err := x.Table()
	if err != nil {
		return domain.Classify(fmt.Errorf("%w: %v", domain.ErrNoRoute, err))
	}
	d := table.Decide(c.number, x.Load.At(now), seedOf(c.id))
	rd := domain.RouteDecision{Number: c.number.E164(), Dialled: c.agg.Callee(), Prefix: d.Prefix, Carrier: d.Carrier,
		CarrierSource: d.CarrierSource, MVNOFallback: d.MVNOFallback, Reason: d.Reason}
	var chosen *routing.Candidate
	full := true
	for i, cand := range d.Candidates {
		skip := cand.Skip
		if skip == routing.SkipNone && c.tried[cand.Trunk] {
			skip = domain.SkipFailed
		}
		rd.Candidates = append(rd.Candidates, domain.RouteCandidate{Trunk: cand.Trunk, Carrier: cand.Carrier, Skip: skip})
		if skip != domain.SkipChannelsFull && skip != domain.SkipCPSFull {
			full = false
		}
		if skip == routing.SkipNone && chosen == nil {
			chosen = &d.Candidates[i]
		}
	}
	if chosen != nil {
		rd.Chosen = chosen.Trunk
	}
	_ = c.agg.DecideRoute(rd, now)
	switch {
	case chosen != nil:
	case d.NoRoute() || len(d.Candidates) == 0:
		return domain.Classify(domain.ErrNoRoute)
	case full:
		return domain.Classify(domain.ErrTrunksFull)
	case len(c.tried) > 0:
		return nil // every trunk tried: the caller gets the best answer
	default:
		return domain.Classify(domain.ErrTrunkUnreachable)
	}
	c.tried[chosen.Trunk] = true
	return c.startTrunkLeg(chosen.Trunk, chosen.Carrier, now)
}

// startTrunkLeg opens the B-leg of one attempt in the aggregate.
func (c *call) startTrunkLeg(trunk, carrier string, now time.Time) *domain.CallFailure {
	x := c.b.x
	def, ok := x.IC.Trunk(trunk)
	if !ok {
		return domain.Classify(fmt.Errorf("%w: trunk %s vanished", domain.ErrNoRoute, trunk))
	}
	rules, err := number.NewRules(number.Rewrite{Format: def.Rewrite.Format, StripPrefix: def.Rewrite.StripPrefix, AddPrefix: def.Rewrite.AddPrefix})
	if err != nil {
		return domain.Classify(fmt.Errorf("%w: trunk %s rewrite: %v", domain.ErrNoRoute, trunk, err))
	}
	tl := &trunkLeg{trunk: trunk, carrier: carrier, user: rules.Apply(c.number)}
	tl.fromUser, tl.pai = callerID(def.CallerID, c.calling, c.id)
	tl.authUser, tl.authPass = x.Secret(trunk)
	tl.codecs = def.Codecs
	host, port, err := net.SplitHostPort(def.Address)
	if err != nil {
		return domain.Classify(fmt.Errorf("%w: trunk %s address %q", domain.ErrNoRoute, trunk, def.Address))
	}
	target := "sip:" + tl.user + "@" + net.JoinHostPort(host, port)
	leg := &bLeg{id: newLegID(len(c.legs)), sipCallID: newSIPCallID(), target: target, started: now, trunk: tl, transport: def.Transport}
	if err := c.agg.StartTrunkLeg(leg.id, leg.sipCallID, def.Address, target, trunk, carrier, now); err != nil {
		return domain.Classify(fmt.Errorf("%w: %v", domain.ErrNoRoute, err))
	}
	c.legs = append(c.legs, leg)
	c.b.m.trunkAttempts.Add(1)
	return nil
}

// callerID applies a trunk's caller-id policy: a fixed presentation
// number, or one of the pool picked per call, else the caller as is; PAI
// (RFC 3325 §9.1) carries the same identity.
func callerID(p domain.CallerIDPolicy, caller, callID string) (from, pai string) {
	from = caller
	switch {
	case p.Presentation != "":
		from = p.Presentation
	case len(p.Pool) > 0 && !slices.Contains(p.Pool, caller):
		// A caller whose number the carrier accepts keeps it (one of a
		// PBX's DIDs, a dialer's pool number asserted by identity.go).
		from = p.Pool[seedOf(callID)%uint64(len(p.Pool))]
	}
	if p.PAI {
		pai = from
	}
	return from, pai
}

// failoverCode tells, for a failed trunk leg, whether the next trunk
// should be tried (routing.Retryable: 408, 5xx of the trunk, timeout,
// unreachable; never a final answer about the callee).
func failoverCode(ev callEvent) bool {
	code, _ := legCode(ev)
	timeout := ev.leg != nil && ev.leg.timedOut.Load()
	unreachable := ev.err != nil && code == 503 && ev.res == nil
	return routing.Retryable(code, timeout, unreachable)
}

func newSIPCallID() string { return sip.GenerateTagN(24) + "@b2bua" }

// looksLikeNumber tells a dialled number that failed to normalize (484,
// RFC 3398 "invalid number format") from a user name that matches no
// subscriber (404): seven or more digits, with an optional leading '+'.
func looksLikeNumber(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if len(s) < 7 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// errAttemptTimeout ends a trunk attempt that got no response in time.
var errAttemptTimeout = errors.New("trunk attempt timed out")

// lateLeg handles the real end of an attempt given up on for lack of a
// response. A 2xx that arrives after all is ACKed and released with BYE
// (RFC 3261 §13.2.2.4), so the carrier holds no orphan call.
func (c *call) lateLeg(ctx context.Context, ev callEvent) {
	if ev.err != nil || ev.sess == nil {
		return
	}
	sess := ev.sess
	go func() {
		_ = sess.Ack(ctx)
		byeCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_ = sess.Bye(byeCtx)
	}()
}
