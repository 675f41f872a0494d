package domain

import "time"

// Campaign events (issue 15): an outbound campaign, its leads, its agents,
// and every dialing decision with the rules it used, so that any call the
// dialer placed, or did not place, can be replayed and defended. One
// writer: the node whose dialer runs the campaign.
const (
	TypeCampaignDefined      = "campaign.defined"
	TypeCampaignLeadsLoaded  = "campaign.leads_loaded"
	TypeCampaignStateChanged = "campaign.state_changed"
	TypeCampaignAgentChanged = "campaign.agent_changed"
	TypeAttemptDecided       = "campaign.attempt_decided"
	TypeAttemptEnded         = "campaign.attempt_ended"
	TypeDNCUpdated           = "dnc.updated"
)

// Campaign states.
const (
	CampaignCreated = "created"
	CampaignRunning = "running"
	CampaignPaused  = "paused"
	CampaignStopped = "stopped"
)

// Attempt outcomes. Those that name a callee's state are the retry rules'
// keys of dialer/compliance.
const (
	AttemptConnected  = "connected"        // answered and bridged to an agent
	AttemptAbandoned  = "abandoned"        // answered, no agent took it
	AttemptBusy       = "busy"             // 486, 600
	AttemptNoAnswer   = "no_answer"        // 480, 408, ring timeout
	AttemptInvalid    = "invalid_number"   // 404, 484, 604, or its announcement: never dialled again
	AttemptPoweredOff = "powered_off"      // the carrier's announcement says so
	AttemptRejected   = "rejected"         // 603
	AttemptCongestion = "congestion"       // anything else (503, 403, no route)
	AttemptCancelled  = "cancelled"        // the campaign stopped mid-dial
	AttemptMachine    = "answered_machine" // answered by a machine, and the campaign drops machines
	AttemptNotified   = "notified"         // a notification's prompt was played to the callee
)

// CampaignKey is a campaign's aggregate key.
func CampaignKey(name string) string { return "campaign:" + name }

// DNCKey is the do-not-call list's aggregate key (one list per switch).
const DNCKey = "dnc"

// CampaignSpec is a campaign's definition as recorded; the API validates
// it (dialer) before it becomes an event. It is written as JSON or YAML
// with the same field names (the yaml tags).
type CampaignSpec struct {
	Name string `json:"name" yaml:"name"`
	// Mode is "progressive" (one call per idle agent) or "predictive"
	// (more calls than idle agents, within an abandon cap).
	Mode   string   `json:"mode" yaml:"mode"`
	Agents []string `json:"agents" yaml:"agents"`
	// Hours: calling windows in the callee's local time.
	Hours []CampaignWindow `json:"hours,omitempty" yaml:"hours"`
	// Holidays are dates (YYYY-MM-DD) with no calls.
	Holidays []string `json:"holidays,omitempty" yaml:"holidays"`
	// Zone is the callee zone when the number's country does not say
	// (IANA name); a lead may override.
	Zone string `json:"zone,omitempty" yaml:"zone"`
	// Caps are per-callee frequency caps across campaigns.
	Caps []CampaignCap `json:"caps,omitempty" yaml:"caps"`
	// Retry maps an outcome to its rule.
	Retry map[string]CampaignRetry `json:"retry,omitempty" yaml:"retry"`
	// AbandonCapPercent and MaxRatio bound predictive dialing: abandoned
	// calls per answered call per day (default 3, the FCC's figure) and
	// calls per idle agent (default 3).
	AbandonCapPercent float64 `json:"abandon_cap_percent,omitempty" yaml:"abandon_cap_percent"`
	MaxRatio          float64 `json:"max_ratio,omitempty" yaml:"max_ratio"`
	// Notification campaigns (语音通知): Prompt names a recording
	// (dialer.prompts) played to each answered callee; CollectDigit asks
	// for one DTMF digit (RFC 4733) as the answer, waited for until
	// DigitTimeoutSeconds after the prompt; Channels is how many calls
	// may be up at once.
	Prompt              string `json:"prompt,omitempty" yaml:"prompt"`
	CollectDigit        bool   `json:"collect_digit,omitempty" yaml:"collect_digit"`
	DigitTimeoutSeconds int    `json:"digit_timeout_seconds,omitempty" yaml:"digit_timeout_seconds"`
	Channels            int    `json:"channels,omitempty" yaml:"channels"`
	// AbandonPrompt names a recording (dialer.prompts) an answered callee
	// no agent takes hears before the hang-up.
	AbandonPrompt string `json:"abandon_prompt,omitempty" yaml:"abandon_prompt"`
	// AMD is answering-machine detection: "off", "drop", "pass" or
	// "message" (leave MachinePrompt, a recording of dialer.prompts, on
	// the machine once its greeting ends).
	AMD           string `json:"amd,omitempty" yaml:"amd"`
	MachinePrompt string `json:"machine_prompt,omitempty" yaml:"machine_prompt"`
	// CallerIDs is the campaign's caller-ID pool (外显号码, E.164).
	CallerIDs []string `json:"caller_ids" yaml:"caller_ids"`
	// RingSeconds bounds the number's ringing; WrapUpSeconds is an
	// agent's pause after a call.
	RingSeconds   int `json:"ring_seconds" yaml:"ring_seconds"`
	WrapUpSeconds int `json:"wrap_up_seconds" yaml:"wrap_up_seconds"`
}

// CampaignWindow is one weekly window ("mon".."sun", "HH:MM").
type CampaignWindow struct {
	Days  []string `json:"days" yaml:"days"`
	Start string   `json:"start" yaml:"start"`
	End   string   `json:"end" yaml:"end"`
}

// CampaignCap is at most Max attempts per callee within Window seconds.
type CampaignCap struct {
	WindowSeconds int `json:"window_seconds" yaml:"window_seconds"`
	Max           int `json:"max" yaml:"max"`
}

// CampaignRetry is how often, and how many times, an outcome is retried.
type CampaignRetry struct {
	MaxAttempts     int `json:"max_attempts" yaml:"max_attempts"`
	IntervalSeconds int `json:"interval_seconds" yaml:"interval_seconds"`
}

// CampaignDefined creates or redefines a campaign.
type CampaignDefined struct {
	Spec CampaignSpec `json:"spec"`
}

func (CampaignDefined) EventType() string      { return TypeCampaignDefined }
func (CampaignDefined) SchemaVersion() int     { return 1 }
func (e CampaignDefined) AggregateKey() string { return CampaignKey(e.Spec.Name) }

// Lead is one callee of a campaign.
type Lead struct {
	ID     string            `json:"id"`
	Number string            `json:"number"` // E.164, normalized at load
	Name   string            `json:"name,omitempty"`
	Zone   string            `json:"zone,omitempty"`
	Fields map[string]string `json:"fields,omitempty"`
}

// CampaignLeadsLoaded adds leads (one upload, or one batch of it).
type CampaignLeadsLoaded struct {
	Campaign string `json:"campaign"`
	Leads    []Lead `json:"leads"`
	Rejected int    `json:"rejected,omitempty"`
}

func (CampaignLeadsLoaded) EventType() string      { return TypeCampaignLeadsLoaded }
func (CampaignLeadsLoaded) SchemaVersion() int     { return 1 }
func (e CampaignLeadsLoaded) AggregateKey() string { return CampaignKey(e.Campaign) }

// CampaignStateChanged starts, pauses, resumes or stops a campaign.
type CampaignStateChanged struct {
	Campaign string `json:"campaign"`
	State    string `json:"state"`
	By       string `json:"by,omitempty"`
}

func (CampaignStateChanged) EventType() string      { return TypeCampaignStateChanged }
func (CampaignStateChanged) SchemaVersion() int     { return 1 }
func (e CampaignStateChanged) AggregateKey() string { return CampaignKey(e.Campaign) }

// CampaignAgentChanged logs an agent in or out of a campaign.
type CampaignAgentChanged struct {
	Campaign string `json:"campaign"`
	Agent    string `json:"agent"`
	LoggedIn bool   `json:"logged_in"`
}

func (CampaignAgentChanged) EventType() string      { return TypeCampaignAgentChanged }
func (CampaignAgentChanged) SchemaVersion() int     { return 1 }
func (e CampaignAgentChanged) AggregateKey() string { return CampaignKey(e.Campaign) }

// AttemptDecided is one dialing decision about a lead, taken at the moment
// of dialing, with the versions of the rules it used: the DNC list's
// version, the calling-hours rule and the callee's zone, the cap that
// refused it, the caller ID chosen, the agent reserved.
type AttemptDecided struct {
	Campaign   string    `json:"campaign"`
	Lead       string    `json:"lead"`
	Number     string    `json:"number"`
	Attempt    int       `json:"attempt"`
	Allowed    bool      `json:"allowed"`
	Reason     string    `json:"reason"`
	RetryAt    time.Time `json:"retry_at,omitzero"`
	DNCVersion uint64    `json:"dnc_version"`
	HoursRule  string    `json:"hours_rule,omitempty"`
	Zone       string    `json:"zone,omitempty"`
	CapRule    string    `json:"cap_rule,omitempty"`
	CallerID   string    `json:"caller_id,omitempty"`
	Agent      string    `json:"agent,omitempty"`
}

func (AttemptDecided) EventType() string      { return TypeAttemptDecided }
func (AttemptDecided) SchemaVersion() int     { return 1 }
func (e AttemptDecided) AggregateKey() string { return CampaignKey(e.Campaign) }

// AttemptEnded is how a placed attempt went. Final says the lead is done
// (no retry); otherwise RetryAt is when it may be dialled again.
type AttemptEnded struct {
	Campaign string `json:"campaign"`
	Lead     string `json:"lead"`
	Attempt  int    `json:"attempt"`
	// Number, CallerID and DialedAt repeat the decision's (the number
	// dialled, the caller ID chosen, when), and CalleeCallID is the SIP
	// Call-ID of the dialer's leg to the number (an attribute: the
	// switch's CDR of that call carries it as sip_call_id), so that one
	// event is a whole statistics row (dialer/stats). Added after the
	// first release of the event, optional: absent in older events.
	Number       string    `json:"number,omitempty"`
	CallerID     string    `json:"caller_id,omitempty"`
	DialedAt     time.Time `json:"dialed_at,omitzero"`
	CalleeCallID string    `json:"callee_call_id,omitempty"`
	Outcome      string    `json:"outcome"`
	Code         int       `json:"code,omitempty"`
	Reason       string    `json:"reason,omitempty"`
	Agent        string    `json:"agent,omitempty"`
	SIPCallIDs   []string  `json:"sip_call_ids,omitempty"`
	Final        bool      `json:"final"`
	RetryAt      time.Time `json:"retry_at,omitzero"`
	// EarlyMedia is what the callee's early media was classified as, when
	// that ended the attempt ("busy_tone", "congestion_tone", or an
	// announcement's label), with the classifier's confidence (0–1) and
	// how much audio it took (ms).
	EarlyMedia string `json:"early_media,omitempty"`
	// AMD and AMDCause are answering-machine detection's decision on an
	// answered callee (HUMAN, MACHINE, NOTSURE) and app_amd's cause
	// (e.g. "MAXWORDS-3-3").
	AMD      string `json:"amd,omitempty"`
	AMDCause string `json:"amd_cause,omitempty"`
	// MessageLeft says the campaign's machine_prompt was played to a
	// machine (amd: message) to its end.
	MessageLeft bool `json:"message_left,omitempty"`
	// Digit is a notification's answer: the DTMF digit the callee
	// pressed, "" for none.
	Digit      string  `json:"digit,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
	DetectedMS int64   `json:"detected_ms,omitempty"`
}

func (AttemptEnded) EventType() string      { return TypeAttemptEnded }
func (AttemptEnded) SchemaVersion() int     { return 1 }
func (e AttemptEnded) AggregateKey() string { return CampaignKey(e.Campaign) }

// DNCUpdated is one change of the do-not-call list: its new version and
// the numbers (E.164) added and removed.
type DNCUpdated struct {
	Version uint64   `json:"version"`
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
}

func (DNCUpdated) EventType() string    { return TypeDNCUpdated }
func (DNCUpdated) SchemaVersion() int   { return 1 }
func (DNCUpdated) AggregateKey() string { return DNCKey }
