package dialer

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"softswitch/dialer/compliance"
	"softswitch/domain"
)

// FieldError is a campaign definition or a request refused, naming the
// field at fault.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap makes every FieldError an ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

var campaignName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// Spec defaults.
const (
	defaultRingSeconds = 30
	maxRingSeconds     = 120
	maxWrapUpSeconds   = 600
)

// validateSpec checks a campaign definition and fills its defaults; every
// error names its field (e.g. "hours[1].start").
func (d *Dialer) validateSpec(s *domain.CampaignSpec) error {
	if !campaignName.MatchString(s.Name) {
		return fieldErr("name", "must be 1 to 64 of a-z, 0-9, '_' and '-', starting with a letter or digit, got %q", s.Name)
	}
	switch s.Mode {
	case "progressive":
	case modePredictive:
		if s.AbandonCapPercent == 0 {
			s.AbandonCapPercent = defaultAbandonCapPercent
		}
		if s.MaxRatio == 0 {
			s.MaxRatio = defaultMaxRatio
		}
		if s.AbandonCapPercent < 0 || s.AbandonCapPercent > 10 {
			return fieldErr("abandon_cap_percent", "must be above 0 and at most 10, got %v", s.AbandonCapPercent)
		}
		if s.MaxRatio < 1 || s.MaxRatio > 10 {
			return fieldErr("max_ratio", "must be 1 to 10, got %v", s.MaxRatio)
		}
	case modeNotification:
		if err := d.validateNotification(s); err != nil {
			return err
		}
	case modePreview:
	default:
		return fieldErr("mode", "must be \"progressive\", \"predictive\", \"preview\" or \"notification\", got %q", s.Mode)
	}
	switch s.AMD {
	case "":
		s.AMD = amdOff
	case amdOff, amdDrop, amdPass:
	case amdMessage:
		if s.MachinePrompt == "" {
			return fieldErr("machine_prompt", "is required with amd \"message\": the recording left on machines")
		}
	default:
		return fieldErr("amd", "must be \"off\", \"drop\", \"pass\" or \"message\", got %q", s.AMD)
	}
	if _, ok := d.cfg.Prompts[s.MachinePrompt]; s.MachinePrompt != "" && !ok {
		return fieldErr("machine_prompt", "%q is not one of dialer.prompts", s.MachinePrompt)
	}
	if _, ok := d.cfg.Prompts[s.AbandonPrompt]; s.AbandonPrompt != "" && !ok {
		return fieldErr("abandon_prompt", "%q is not one of dialer.prompts", s.AbandonPrompt)
	}
	if len(s.Agents) == 0 && s.Mode != modeNotification {
		return fieldErr("agents", "at least one agent is required")
	}
	seen := map[string]bool{}
	for i, a := range s.Agents {
		if !d.cfg.IsSubscriber(a) {
			return fieldErr(fmt.Sprintf("agents[%d]", i), "%q is not a subscriber", a)
		}
		if seen[a] {
			return fieldErr(fmt.Sprintf("agents[%d]", i), "%q listed twice", a)
		}
		seen[a] = true
	}
	if len(s.CallerIDs) == 0 {
		return fieldErr("caller_ids", "at least one caller ID (外显号码) is required")
	}
	for i, n := range s.CallerIDs {
		e, err := e164(n)
		if err != nil {
			return fieldErr(fmt.Sprintf("caller_ids[%d]", i), "%q: %v", n, err)
		}
		if d.cfg.MayPresent != nil && !d.cfg.MayPresent(e) {
			return fieldErr(fmt.Sprintf("caller_ids[%d]", i), "%q is not among the identities of the dialer's account (subscribers[].identities): the carrier would see the account instead", n)
		}
		s.CallerIDs[i] = "+" + e
	}
	if s.RingSeconds == 0 {
		s.RingSeconds = defaultRingSeconds
	}
	if s.RingSeconds < 5 || s.RingSeconds > maxRingSeconds {
		return fieldErr("ring_seconds", "must be 5 to %d, got %d", maxRingSeconds, s.RingSeconds)
	}
	if s.WrapUpSeconds < 0 || s.WrapUpSeconds > maxWrapUpSeconds {
		return fieldErr("wrap_up_seconds", "must be 0 to %d, got %d", maxWrapUpSeconds, s.WrapUpSeconds)
	}
	if _, err := d.compile(*s); err != nil {
		return err
	}
	return nil
}

// Notification limits.
const (
	defaultChannels     = 10
	maxChannels         = 500
	defaultDigitTimeout = 5
	maxDigitTimeoutSecs = 60
)

func (d *Dialer) validateNotification(s *domain.CampaignSpec) error {
	if _, ok := d.cfg.Prompts[s.Prompt]; !ok {
		return fieldErr("prompt", "%q is not one of dialer.prompts", s.Prompt)
	}
	if s.Channels == 0 {
		s.Channels = defaultChannels
	}
	if s.Channels < 1 || s.Channels > maxChannels {
		return fieldErr("channels", "must be 1 to %d, got %d", maxChannels, s.Channels)
	}
	if s.DigitTimeoutSeconds == 0 {
		s.DigitTimeoutSeconds = defaultDigitTimeout
	}
	if s.DigitTimeoutSeconds < 1 || s.DigitTimeoutSeconds > maxDigitTimeoutSecs {
		return fieldErr("digit_timeout_seconds", "must be 1 to %d, got %d", maxDigitTimeoutSecs, s.DigitTimeoutSeconds)
	}
	return nil
}

// compiled is a campaign's compliance state: its engine (the shared DNC
// and caps, its own caller-ID pool), its rules and its retry policy.
type compiled struct {
	engine   *compliance.Engine
	campaign *compliance.Campaign
	retry    *compliance.Retry
	pool     string
}

// compile turns a spec into its compliance rules; a ConfigError from
// compliance is reported under the spec's field names.
func (d *Dialer) compile(s domain.CampaignSpec) (*compiled, error) {
	hours := compliance.HoursConfig{Name: s.Name, Holidays: s.Holidays, FallbackZone: s.Zone}
	for _, w := range s.Hours {
		hours.Windows = append(hours.Windows, compliance.WindowConfig{Days: w.Days, Start: w.Start, End: w.End})
	}
	var caps []compliance.CapRule
	for _, c := range s.Caps {
		caps = append(caps, compliance.CapRule{Window: time.Duration(c.WindowSeconds) * time.Second, Max: c.Max})
	}
	retry := compliance.RetryConfig{Rules: map[string]compliance.RetryRule{}}
	for k, r := range s.Retry {
		retry.Rules[k] = compliance.RetryRule{MaxAttempts: r.MaxAttempts, Interval: time.Duration(r.IntervalSeconds) * time.Second}
	}
	poolName := "campaign:" + s.Name
	pool, err := compliance.NewPool(compliance.PoolConfig{Carrier: poolName, Numbers: s.CallerIDs, Zone: s.Zone})
	if err != nil {
		return nil, specErr(err)
	}
	engine := compliance.NewEngine(d.campaigns.dnc, d.campaigns.caps, pool)
	c, err := engine.Campaign(compliance.CampaignConfig{Name: s.Name, Hours: hours, Caps: caps, Retry: retry})
	if err != nil {
		return nil, specErr(err)
	}
	r, err := compliance.NewRetry(retry)
	if err != nil {
		return nil, specErr(err)
	}
	return &compiled{engine: engine, campaign: c, retry: r, pool: poolName}, nil
}

// specErr renames compliance's fields to the campaign's: hours.windows[i]
// is hours[i], pool.numbers is caller_ids, caps[i].window is
// caps[i].window_seconds.
func specErr(err error) error {
	var ce *compliance.ConfigError
	if !errors.As(err, &ce) {
		return fieldErr("spec", "%v", err)
	}
	f := ce.Field
	for _, r := range [][2]string{{"hours.windows", "hours"}, {"pool.numbers", "caller_ids"}, {"pool.zone", "zone"},
		{"hours.fallback_zone", "zone"}, {".window", ".window_seconds"}, {".interval", ".interval_seconds"}, {"retry.rules", "retry"}} {
		f = strings.Replace(f, r[0], r[1], 1)
	}
	return &FieldError{Field: f, Msg: ce.Err.Error()}
}
