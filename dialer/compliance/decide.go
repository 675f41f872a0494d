package compliance

import (
	"time"

	"softswitch/interconnect/number"
)

// Lead is the callee side of one dial attempt.
type Lead struct {
	ID     string
	Number number.Number
	// Zone (IANA) overrides the zone of the number's country code, for
	// countries with several zones (+1, +7, +61 …).
	Zone string
	// Carrier is the carrier routing chose; its caller-ID pool is used.
	Carrier string
}

// Decision is the outcome of Decide and what the dialer records in its
// event, so that every decision can be replayed and defended: the inputs'
// versions and the rules and counters it saw are in it.
type Decision struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
	// RetryAt is when the same lead could pass the refusing check (the
	// next window for outside_hours, the cap's expiry, the pool's
	// midnight); zero when it never will (dnc) or is unknown.
	RetryAt  time.Time `json:"retry_at,omitzero"`
	CallerID string    `json:"caller_id,omitempty"` // E.164 digits
	// What the checks used.
	Campaign   string `json:"campaign"`
	DNCVersion uint64 `json:"dnc_version"`
	HoursRule  string `json:"hours_rule,omitempty"`
	Zone       string `json:"zone,omitempty"`
	// CapRule is the index of the refusing cap rule, -1 for none.
	CapRule int `json:"cap_rule"`
	// Caps[:NumCaps] are the campaign's rules with the attempts each
	// counted before this one (a fixed array: no allocation per decision).
	Caps       [MaxCapRules]CapSeen `json:"caps"`
	NumCaps    int                  `json:"num_caps"`
	Pool       string               `json:"pool,omitempty"`        // the pool's carrier
	PoolReason string               `json:"pool_reason,omitempty"` // for no_caller_id
}

// Engine runs the checks against the state they share across campaigns:
// the DNC list, the frequency-cap table, the caller-ID pools and the zone
// cache. It holds no clock: every call takes now.
type Engine struct {
	dnc   *DNC
	caps  *Caps
	pools map[string]*Pool // by carrier
	zones *Zones
}

// NewEngine returns an Engine over the given state; pools are keyed by
// their carrier (a later pool for the same carrier replaces an earlier).
func NewEngine(dnc *DNC, caps *Caps, pools ...*Pool) *Engine {
	e := &Engine{dnc: dnc, caps: caps, pools: make(map[string]*Pool, len(pools)), zones: NewZones()}
	for _, p := range pools {
		e.pools[p.Carrier()] = p
	}
	return e
}

// Campaign validates cfg, against this engine's caps table, and compiles it.
func (e *Engine) Campaign(cfg CampaignConfig) (*Campaign, error) {
	return cfg.compile(e.caps.Ring(), e.caps.Horizon())
}

// Decide runs DNC → calling hours → frequency caps → caller-ID pool, in
// that order, and stops at the first refusal. An allowed decision has
// taken the attempt: it is counted in the caps table and against the
// caller ID's daily cap, so the dialer must place the call (or, replaying,
// apply the same Record). Cheapest-first is not the order: each check
// must see only leads every earlier one allowed, so a refusal names the
// most fundamental reason.
func (e *Engine) Decide(now time.Time, lead Lead, c *Campaign) Decision {
	d := Decision{Campaign: c.name, HoursRule: c.hours.name, CapRule: -1}
	k, ok := Key(lead.Number)
	if !ok {
		d.Reason = ReasonInvalidNumber
		return d
	}
	var listed bool
	if listed, d.DNCVersion = e.dnc.Lookup(k); listed {
		d.Reason = ReasonDNC
		return d
	}
	loc, zone, err := e.zones.ForCallee(lead.Number, lead.Zone, c.hours.fallback)
	d.Zone = zone
	if err != nil {
		d.Reason = ReasonUnknownZone
		return d
	}
	if !c.hours.Open(now, loc) {
		d.Reason = ReasonOutsideHours
		d.RetryAt, _ = c.hours.NextOpen(now, loc)
		return d
	}
	d.NumCaps = len(c.caps)
	ok, retryAt, rule := e.caps.Take(k, now, c.caps, d.Caps[:])
	if !ok {
		d.Reason, d.RetryAt, d.CapRule = ReasonFrequencyCap, retryAt, rule
		return d
	}
	pool := e.pools[lead.Carrier]
	if pool == nil {
		e.caps.Cancel(k, now)
		d.Reason, d.PoolReason = ReasonNoCallerID, PoolNone
		return d
	}
	d.Pool = pool.Carrier()
	cid, ok, why := pool.Pick(now)
	if !ok {
		e.caps.Cancel(k, now)
		d.Reason, d.PoolReason = ReasonNoCallerID, why
		if why == PoolDailyCap {
			d.RetryAt = pool.NextReset(now)
		}
		return d
	}
	d.Allowed, d.Reason, d.CallerID = true, ReasonAllowed, cid
	return d
}
