package compliance

import (
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"sync"
	"time"

	"softswitch/interconnect/number"
)

// Caller-ID pool defaults.
const (
	RotationRoundRobin = "round_robin"
	RotationLeastUsed  = "least_used"
	// DefaultDailyCap (calls per number per local day). There is no
	// published national figure; carriers write one into the line's
	// contract and that value belongs in the config. 300 is this package's
	// conservative stand-in.
	DefaultDailyCap = 300
	DefaultPoolZone = "Asia/Shanghai"
	// DefaultSpamWindow: answer rate over a number's last 50 attempts.
	DefaultSpamWindow = 50
	// DefaultRelativeFloor: a number answering less than a tenth of the
	// pool's median has most likely been marked as spam (骚扰电话 labels in
	// the handset apps), since the pool's other numbers call the same kind
	// of leads.
	DefaultRelativeFloor = 0.1
	// DefaultAbsoluteFloor catches a pool marked all at once, where the
	// median itself collapses: below 2 % answered, a number is out.
	DefaultAbsoluteFloor = 0.02
)

// Reasons a Pick finds no caller ID (Decision.PoolReason).
const (
	PoolAllRemoved = "all_removed"
	PoolDailyCap   = "daily_cap"
	PoolNone       = "no_pool" // no pool for the lead's carrier
)

// PoolConfig is one carrier's caller-ID pool (外显号码).
type PoolConfig struct {
	// Carrier the pool's numbers are presented on. Required.
	Carrier string `yaml:"carrier"`
	// Numbers in any form number.Normalize accepts. Required.
	Numbers []string `yaml:"numbers"`
	// Rotation: "round_robin" (default) or "least_used" (fewest calls today).
	Rotation string `yaml:"rotation"`
	// DailyCap (calls per number per day, reset at local midnight of Zone).
	DailyCap int `yaml:"daily_cap"`
	// Zone (IANA) whose midnight resets DailyCap. Default Asia/Shanghai.
	Zone string `yaml:"zone"`
	// Spam configures taking a number out when its answer rate collapses.
	Spam SpamConfig `yaml:"spam"`
}

// SpamConfig: once a number has MinAttempts outcomes in its last Window,
// it is removed when its answer rate is below AbsoluteFloor, or below
// RelativeFloor times the median rate of the pool's numbers in service
// that have MinAttempts outcomes too.
type SpamConfig struct {
	Window        int     `yaml:"window"`         // attempts, ≤ 64; default 50
	MinAttempts   int     `yaml:"min_attempts"`   // attempts; default Window
	RelativeFloor float64 `yaml:"relative_floor"` // fraction of the median; default 0.1
	AbsoluteFloor float64 `yaml:"absolute_floor"` // answer rate; default 0.02
}

func (c *PoolConfig) setDefaults() {
	if c.Rotation == "" {
		c.Rotation = RotationRoundRobin
	}
	if c.DailyCap == 0 {
		c.DailyCap = DefaultDailyCap
	}
	if c.Zone == "" {
		c.Zone = DefaultPoolZone
	}
	if c.Spam.Window == 0 {
		c.Spam.Window = DefaultSpamWindow
	}
	if c.Spam.MinAttempts == 0 {
		c.Spam.MinAttempts = c.Spam.Window
	}
	if c.Spam.RelativeFloor == 0 {
		c.Spam.RelativeFloor = DefaultRelativeFloor
	}
	if c.Spam.AbsoluteFloor == 0 {
		c.Spam.AbsoluteFloor = DefaultAbsoluteFloor
	}
}

// Validate reports every invalid field, named under "pools[i]." by the
// caller's prefix ("pool" here).
func (c PoolConfig) Validate() error { _, err := c.compile("pool"); return err }

// Pool hands out caller IDs. Safe for concurrent use.
type Pool struct {
	cfg     PoolConfig
	loc     *time.Location
	mu      sync.Mutex
	nums    []callerID
	byE164  map[string]int
	cursor  int
	scratch []float64 // median buffer, under mu
}

type callerID struct {
	e164    string
	removed string // why it was taken out; "" in service
	day     int32  // yyyymmdd of used
	used    int
	answers uint64 // bit i: attempt i of the ring was answered
	n, pos  uint8  // outcomes held, next bit to write
}

// NewPool validates c and returns the pool.
func NewPool(c PoolConfig) (*Pool, error) { return c.compile("pool") }

func (c PoolConfig) compile(field string) (*Pool, error) {
	c.setDefaults()
	var errs fieldErrs
	bad := func(f, format string, args ...any) {
		errs.add(field+"."+f, fmt.Errorf("%w: "+format, append([]any{ErrInvalidValue}, args...)...))
	}
	if c.Carrier == "" {
		bad("carrier", "required")
	}
	if len(c.Numbers) == 0 {
		bad("numbers", "at least one number")
	}
	p := &Pool{byE164: make(map[string]int, len(c.Numbers))}
	for i, s := range c.Numbers {
		n, err := number.Normalize(s)
		if err != nil {
			errs.add(idx(field+".numbers", i), err)
			continue
		}
		if _, dup := p.byE164[n.E164()]; dup {
			bad("numbers["+strconv.Itoa(i)+"]", "duplicate %s", n)
			continue
		}
		p.byE164[n.E164()] = len(p.nums)
		p.nums = append(p.nums, callerID{e164: n.E164()})
	}
	if c.Rotation != RotationRoundRobin && c.Rotation != RotationLeastUsed {
		bad("rotation", "%q is not round_robin or least_used", c.Rotation)
	}
	if c.DailyCap < 1 {
		bad("daily_cap", "%d < 1", c.DailyCap)
	}
	loc, err := loadZone(c.Zone)
	if err != nil {
		errs.add(field+".zone", err)
	}
	if c.Spam.Window < 1 || c.Spam.Window > 64 {
		bad("spam.window", "%d not in 1…64", c.Spam.Window)
	}
	if c.Spam.MinAttempts < 1 || c.Spam.MinAttempts > c.Spam.Window {
		bad("spam.min_attempts", "%d not in 1…window", c.Spam.MinAttempts)
	}
	if !(c.Spam.RelativeFloor >= 0 && c.Spam.RelativeFloor <= 1) {
		bad("spam.relative_floor", "%v not in 0…1", c.Spam.RelativeFloor)
	}
	if !(c.Spam.AbsoluteFloor >= 0 && c.Spam.AbsoluteFloor <= 1) {
		bad("spam.absolute_floor", "%v not in 0…1", c.Spam.AbsoluteFloor)
	}
	if len(errs) > 0 {
		return nil, errs.join()
	}
	p.cfg, p.loc = c, loc
	p.scratch = make([]float64, 0, len(p.nums))
	return p, nil
}

// Carrier returns the pool's carrier.
func (p *Pool) Carrier() string { return p.cfg.Carrier }

// Pick returns the next caller ID to present at now (E.164 digits) and
// counts it against its daily cap. When none is usable, ok is false and
// reason is PoolAllRemoved or PoolDailyCap.
func (p *Pool) Pick(now time.Time) (e164 string, ok bool, reason string) {
	day := dateKey(now.In(p.loc))
	p.mu.Lock()
	defer p.mu.Unlock()
	best, inService := -1, 0
	for j := range p.nums {
		i := (p.cursor + j) % len(p.nums)
		c := &p.nums[i]
		if c.removed != "" {
			continue
		}
		inService++
		if c.day != day {
			c.day, c.used = day, 0
		}
		if c.used >= p.cfg.DailyCap {
			continue
		}
		if best < 0 || p.cfg.Rotation == RotationLeastUsed && c.used < p.nums[best].used {
			best = i
			if p.cfg.Rotation == RotationRoundRobin {
				break
			}
		}
	}
	switch {
	case best >= 0:
		p.nums[best].used++
		p.cursor = (best + 1) % len(p.nums)
		return p.nums[best].e164, true, ""
	case inService == 0:
		return "", false, PoolAllRemoved
	}
	return "", false, PoolDailyCap
}

// NextReset returns the pool zone's next midnight after now, when daily
// caps reset.
func (p *Pool) NextReset(now time.Time) time.Time {
	t := now.In(p.loc)
	y, m, d := t.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, p.loc)
}

// Outcome records whether a call presented with e164 was answered. When
// this takes the number out of service, removed is true and reason says
// why (for the event that records it). Unknown numbers return
// ErrUnknownCallerID.
func (p *Pool) Outcome(e164 string, answered bool) (removed bool, reason string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i, ok := p.byE164[e164]
	if !ok {
		return false, "", fmt.Errorf("%w: %q", ErrUnknownCallerID, e164)
	}
	c, w := &p.nums[i], uint8(p.cfg.Spam.Window)
	if answered {
		c.answers |= 1 << c.pos
	} else {
		c.answers &^= 1 << c.pos
	}
	c.pos = (c.pos + 1) % w
	c.n = min(c.n+1, w)
	if c.removed != "" || int(c.n) < p.cfg.Spam.MinAttempts {
		return false, "", nil
	}
	rate := c.rate(w)
	if rate < p.cfg.Spam.AbsoluteFloor {
		c.removed = fmt.Sprintf("answer rate %.3f over the last %d attempts is below the absolute floor %.3f", rate, c.n, p.cfg.Spam.AbsoluteFloor)
		return true, c.removed, nil
	}
	if med := p.median(w); rate < p.cfg.Spam.RelativeFloor*med {
		c.removed = fmt.Sprintf("answer rate %.3f over the last %d attempts is below %.2f of the pool's median %.3f", rate, c.n, p.cfg.Spam.RelativeFloor, med)
		return true, c.removed, nil
	}
	return false, "", nil
}

func (c *callerID) rate(w uint8) float64 {
	mask := uint64(1)<<w - 1
	if w == 64 {
		mask = ^uint64(0)
	}
	return float64(bits.OnesCount64(c.answers&mask)) / float64(c.n)
}

// median of the answer rates of numbers in service with enough outcomes.
func (p *Pool) median(w uint8) float64 {
	r := p.scratch[:0]
	for i := range p.nums {
		if c := &p.nums[i]; c.removed == "" && int(c.n) >= p.cfg.Spam.MinAttempts {
			r = append(r, c.rate(w))
		}
	}
	if len(r) == 0 {
		return 0
	}
	slices.Sort(r)
	if len(r)%2 == 1 {
		return r[len(r)/2]
	}
	return (r[len(r)/2-1] + r[len(r)/2]) / 2
}
