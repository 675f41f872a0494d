package dialer

import (
	"slices"
	"strings"
	"sync"
	"time"

	"softswitch/dialer/compliance"
	"softswitch/domain"
	"softswitch/interconnect/number"
)

// Lead statuses.
const (
	leadPending = "pending" // waiting to be dialled (now or at retryAt)
	leadDialing = "dialing" // an attempt is placed
	leadDone    = "done"    // finished: connected, final outcome, or skipped for good
)

// Counters are a campaign's live figures (GET /api/v1/campaigns/{name}).
type Counters struct {
	Leads        int `json:"leads"`
	Dialed       int `json:"dialed"`
	Answered     int `json:"answered"`
	Connected    int `json:"connected"`
	Abandoned    int `json:"abandoned"`
	Busy         int `json:"busy"`
	NoAnswer     int `json:"no_answer"`
	Invalid      int `json:"invalid_number"`
	Rejected     int `json:"rejected"`
	Congestion   int `json:"congestion"`
	SkippedDNC   int `json:"skipped_dnc"`
	SkippedHours int `json:"skipped_outside_hours"`
	Capped       int `json:"frequency_capped"`
	NoCallerID   int `json:"no_caller_id"`
	PoweredOff   int `json:"powered_off"`
	Machines     int `json:"answered_machine"`
	MessagesLeft int `json:"machine_messages_left"`
	Notified     int `json:"notified"`
	Digits       int `json:"answered_with_digit"`
	// InvalidSaved counts leads not dialled because an earlier attempt,
	// of any campaign, found the number vacant: the cost saved.
	InvalidSaved   int `json:"invalid_saved"`
	EarlyMedia     int `json:"ended_by_early_media"`
	RetriesPending int `json:"retries_pending"`
	Done           int `json:"done"`
}

type leadState struct {
	lead     domain.Lead
	status   string
	attempts int
	retryAt  time.Time
	last     string // the last outcome or skip reason
}

type campaignState struct {
	// resolved and answered count attempts with an outcome (the answer
	// rate predictive pacing uses); days the answered and abandoned calls
	// per UTC day (its abandon cap).
	resolved, answered int
	days               map[string][2]int
	spec               domain.CampaignSpec
	state              string
	leads              []*leadState
	byID               map[string]*leadState
	agents             map[string]bool // logged in
	count              Counters
}

// Campaigns is the dialer's projection of campaign and DNC events: the
// state the pacing loop dials from, rebuilt by replaying the journal at
// start (projections.Set) and kept current by every event recorded. It
// also owns what the compliance checks share across campaigns: the DNC
// list and the frequency-cap table, both fed from the events, so a
// restart neither forgets a DNC number nor the attempts a cap counts.
type Campaigns struct {
	mu sync.RWMutex
	m  map[string]*campaignState
	// versions is each campaign's (and the DNC list's) last seq, for the
	// dialer's next event.
	versions map[string]uint64
	dnc      *compliance.DNC
	caps     *compliance.Caps
	// invalid holds the numbers (DNC keys) an attempt found vacant, shared
	// by every campaign.
	invalid map[uint64]bool
}

// NewCampaigns returns an empty projection.
func NewCampaigns() *Campaigns {
	caps, err := compliance.NewCaps(compliance.CapsConfig{ExpectedCallees: 1 << 16})
	if err != nil {
		panic(err) // the defaults are valid: a programming error
	}
	return &Campaigns{m: map[string]*campaignState{}, versions: map[string]uint64{}, dnc: compliance.NewDNC(), caps: caps, invalid: map[uint64]bool{}}
}

// DNCVersion is the list's current version.
func (c *Campaigns) DNCVersion() uint64 { return c.dnc.Version() }

// version is an aggregate's last seq.
func (c *Campaigns) version(key string) uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.versions[key]
}

// Apply folds one event (projections.Projection).
func (c *Campaigns) Apply(env domain.Envelope, ev domain.Event) error {
	if k := env.Aggregate; k == domain.DNCKey || strings.HasPrefix(k, "campaign:") {
		c.mu.Lock()
		c.versions[k] = max(c.versions[k], env.Seq)
		c.mu.Unlock()
	}
	switch e := ev.(type) {
	case domain.DNCUpdated:
		c.dnc.Apply(compliance.Batch{Add: keys(e.Added), Remove: keys(e.Removed)})
		return nil
	case domain.AttemptDecided:
		if e.Allowed {
			// An allowed decision took a place in the callee's caps;
			// replaying it puts it back (compliance.Engine.Decide).
			if k, err := compliance.ParseKey(e.Number); err == nil {
				c.caps.Record(k, env.Time)
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch e := ev.(type) {
	case domain.CampaignDefined:
		cs := c.m[e.Spec.Name]
		if cs == nil {
			cs = &campaignState{state: domain.CampaignCreated, byID: map[string]*leadState{}, agents: map[string]bool{}}
			c.m[e.Spec.Name] = cs
		}
		cs.spec = e.Spec
		for _, a := range e.Spec.Agents {
			if _, known := cs.agents[a]; !known {
				cs.agents[a] = true // an agent named in the definition starts logged in
			}
		}
	case domain.CampaignLeadsLoaded:
		if cs := c.m[e.Campaign]; cs != nil {
			for _, l := range e.Leads {
				if cs.byID[l.ID] != nil {
					continue
				}
				ls := &leadState{lead: l, status: leadPending}
				cs.leads = append(cs.leads, ls)
				cs.byID[l.ID] = ls
				cs.count.Leads++
			}
		}
	case domain.CampaignStateChanged:
		if cs := c.m[e.Campaign]; cs != nil {
			cs.state = e.State
		}
	case domain.CampaignAgentChanged:
		if cs := c.m[e.Campaign]; cs != nil {
			cs.agents[e.Agent] = e.LoggedIn
		}
	case domain.AttemptDecided:
		if cs := c.m[e.Campaign]; cs != nil {
			cs.decided(e)
		}
	case domain.AttemptEnded:
		if cs := c.m[e.Campaign]; cs != nil {
			cs.ended(e, env.Time)
			if l := cs.byID[e.Lead]; l != nil && e.Outcome == domain.AttemptInvalid {
				if k, err := compliance.ParseKey(l.lead.Number); err == nil {
					c.invalid[k] = true
				}
			}
		}
	}
	return nil
}

// knownInvalid says whether an attempt already found num vacant.
func (c *Campaigns) knownInvalid(num string) bool {
	k, err := compliance.ParseKey(num)
	if err != nil {
		return false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.invalid[k]
}

func (cs *campaignState) decided(e domain.AttemptDecided) {
	l := cs.byID[e.Lead]
	if l == nil {
		return
	}
	l.last = e.Reason
	if e.Allowed {
		l.status, l.attempts = leadDialing, e.Attempt
		cs.count.Dialed++
		return
	}
	l.retryAt = e.RetryAt
	switch e.Reason {
	case compliance.ReasonDNC:
		cs.count.SkippedDNC++
	case compliance.ReasonOutsideHours:
		cs.count.SkippedHours++
	case compliance.ReasonFrequencyCap:
		cs.count.Capped++
	case compliance.ReasonNoCallerID:
		cs.count.NoCallerID++
	case compliance.ReasonInvalidNumber:
		cs.count.Invalid++
	case reasonKnownInvalid:
		cs.count.InvalidSaved++
	}
	if e.RetryAt.IsZero() {
		// Refused for good (DNC, no usable number, no zone): done.
		l.status = leadDone
		cs.count.Done++
	}
}

func (cs *campaignState) ended(e domain.AttemptEnded, at time.Time) {
	l := cs.byID[e.Lead]
	if l == nil {
		return
	}
	if e.Outcome != domain.AttemptCancelled {
		cs.resolved++
		switch e.Outcome {
		case domain.AttemptConnected, domain.AttemptAbandoned, domain.AttemptMachine, domain.AttemptNotified:
			cs.answered++
			if cs.days == nil {
				cs.days = map[string][2]int{}
			}
			day := cs.days[at.UTC().Format(time.DateOnly)]
			day[0]++
			if e.Outcome == domain.AttemptAbandoned {
				day[1]++
			}
			cs.days[at.UTC().Format(time.DateOnly)] = day
		}
	}
	l.last = e.Outcome
	switch e.Outcome {
	case domain.AttemptConnected:
		cs.count.Answered++
		cs.count.Connected++
	case domain.AttemptAbandoned:
		cs.count.Answered++
		cs.count.Abandoned++
	case domain.AttemptBusy:
		cs.count.Busy++
	case domain.AttemptNoAnswer:
		cs.count.NoAnswer++
	case domain.AttemptInvalid:
		cs.count.Invalid++
	case domain.AttemptRejected:
		cs.count.Rejected++
	case domain.AttemptCongestion:
		cs.count.Congestion++
	case domain.AttemptPoweredOff:
		cs.count.PoweredOff++
	case domain.AttemptMachine:
		cs.count.Answered++
		cs.count.Machines++
		if e.MessageLeft {
			cs.count.MessagesLeft++
		}
	case domain.AttemptNotified:
		cs.count.Answered++
		cs.count.Notified++
		if e.Digit != "" {
			cs.count.Digits++
		}
	}
	if e.EarlyMedia != "" {
		cs.count.EarlyMedia++
	}
	if e.Final {
		l.status = leadDone
		cs.count.Done++
		return
	}
	l.status, l.retryAt = leadPending, e.RetryAt
}

// CampaignView is a campaign as the API shows it.
type CampaignView struct {
	Spec     domain.CampaignSpec `json:"spec"`
	State    string              `json:"state"`
	Agents   map[string]bool     `json:"agents"`
	Counters Counters            `json:"counters"`
}

// View returns a campaign's state.
func (c *Campaigns) View(name string) (CampaignView, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	cs := c.m[name]
	if cs == nil {
		return CampaignView{}, false
	}
	v := CampaignView{Spec: cs.spec, State: cs.state, Agents: map[string]bool{}, Counters: cs.count}
	for a, in := range cs.agents {
		v.Agents[a] = in
	}
	for _, l := range cs.leads {
		if l.status == leadPending && l.attempts > 0 {
			v.Counters.RetriesPending++
		}
	}
	return v, true
}

// Names lists the campaigns, sorted.
func (c *Campaigns) Names() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []string
	for n := range c.m {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// next is a running campaign's next lead due at now, and the agents
// logged in, for the pacing loop; ok is false when the campaign is not
// running or has no lead due.
func (c *Campaigns) next(name string, now time.Time, skip func(leadID string) bool) (l domain.Lead, attempt int, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	cs := c.m[name]
	if cs == nil || cs.state != domain.CampaignRunning {
		return domain.Lead{}, 0, false
	}
	for _, ls := range cs.leads {
		if ls.status == leadPending && !ls.retryAt.After(now) && !skip(ls.lead.ID) {
			return ls.lead, ls.attempts + 1, true
		}
	}
	return domain.Lead{}, 0, false
}

// paceStats are a campaign's figures for predictive pacing.
type paceStats struct {
	attempts, answered            int
	answeredToday, abandonedToday int
}

func (c *Campaigns) paceStats(name string, now time.Time) paceStats {
	c.mu.RLock()
	defer c.mu.RUnlock()
	cs := c.m[name]
	if cs == nil {
		return paceStats{}
	}
	day := cs.days[now.UTC().Format(time.DateOnly)]
	return paceStats{attempts: cs.resolved, answered: cs.answered, answeredToday: day[0], abandonedToday: day[1]}
}

// orphanAttempt is a lead left dialing by a previous run.
type orphanAttempt struct {
	campaign, lead string
	attempt        int
}

// orphans lists the leads whose attempt was decided and never ended: a
// dialer stopped (or crashed) under them.
func (c *Campaigns) orphans() []orphanAttempt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []orphanAttempt
	for name, cs := range c.m {
		for _, l := range cs.leads {
			if l.status == leadDialing {
				out = append(out, orphanAttempt{campaign: name, lead: l.lead.ID, attempt: l.attempts})
			}
		}
	}
	return out
}

// loggedIn lists a campaign's agents logged in now.
func (c *Campaigns) loggedIn(name string) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	cs := c.m[name]
	if cs == nil {
		return nil
	}
	var out []string
	for _, a := range cs.spec.Agents {
		if cs.agents[a] {
			out = append(out, a)
		}
	}
	return out
}

// running lists the running campaigns with their specs and logged-in
// agents.
func (c *Campaigns) running() []campaignRun {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []campaignRun
	for _, cs := range c.m {
		if cs.state != domain.CampaignRunning {
			continue
		}
		r := campaignRun{spec: cs.spec}
		for _, a := range cs.spec.Agents {
			if cs.agents[a] {
				r.agents = append(r.agents, a)
			}
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b campaignRun) int {
		if a.spec.Name < b.spec.Name {
			return -1
		}
		return 1
	})
	return out
}

type campaignRun struct {
	spec   domain.CampaignSpec
	agents []string
}

// keys parses E.164 numbers into DNC keys, skipping any that do not parse
// (they were validated before they became events).
func keys(nums []string) []uint64 {
	out := make([]uint64, 0, len(nums))
	for _, n := range nums {
		if k, err := compliance.ParseKey(n); err == nil {
			out = append(out, k)
		}
	}
	return out
}

// e164 normalizes a lead's or a DNC row's number.
func e164(s string) (string, error) {
	n, err := number.Normalize(s)
	if err != nil {
		return "", err
	}
	return n.E164(), nil
}
