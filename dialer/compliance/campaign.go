package compliance

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// CampaignConfig is the compliance part of one campaign's configuration.
type CampaignConfig struct {
	// Name identifies the campaign in decisions. Required.
	Name  string      `yaml:"name"`
	Hours HoursConfig `yaml:"hours"`
	// Caps are this campaign's frequency caps per callee, counted over
	// attempts from every campaign. Empty means DefaultCapRules.
	Caps  []CapRule   `yaml:"caps"`
	Retry RetryConfig `yaml:"retry"`
}

func (c *CampaignConfig) setDefaults() {
	if len(c.Caps) == 0 {
		c.Caps = DefaultCapRules()
	}
}

// Campaign is a compiled CampaignConfig; immutable.
type Campaign struct {
	name  string
	hours *Hours
	caps  []CapRule
	retry *Retry
}

// Name returns the campaign's name.
func (c *Campaign) Name() string { return c.name }

// Hours returns the campaign's calling hours.
func (c *Campaign) Hours() *Hours { return c.hours }

// Retry returns the campaign's retry rules.
func (c *Campaign) Retry() *Retry { return c.retry }

// Validate reports every invalid field of c, checking caps against a table
// of the default size (Engine.Campaign checks against the real one).
func (c CampaignConfig) Validate() error {
	var t CapsConfig
	t.setDefaults()
	_, err := c.compile(t.Ring, t.Horizon)
	return err
}

func (c CampaignConfig) compile(ring int, horizon time.Duration) (*Campaign, error) {
	c.setDefaults()
	var errs []error
	if c.Name == "" {
		errs = append(errs, &ConfigError{Field: "name", Err: fmt.Errorf("%w: required", ErrInvalidValue)})
	}
	h, err := c.Hours.compile("hours")
	errs = append(errs, err)
	errs = append(errs, validateRules("caps", c.Caps, ring, horizon))
	r, err := NewRetry(c.Retry)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Campaign{name: c.Name, hours: h, caps: slices.Clone(c.Caps), retry: r}, nil
}
