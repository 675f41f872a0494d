package main

import (
	"fmt"

	"softswitch/internal/config"
)

// loadConfig reads the file and applies command-line overrides, then
// validates again so an override gets the same field-named errors.
func loadConfig(c commonFlags) (*config.Config, error) {
	if c.config == "" {
		return nil, usageError("--config FILE is required\n" + usage)
	}
	cfg, err := config.Load(c.config)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", c.config, err)
	}
	if c.sip != "" {
		cfg.SIP.Listen = c.sip
	}
	if c.http != "" {
		cfg.HTTP.Listen = c.http
	}
	if c.data != "" {
		cfg.DataDir = c.data
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", c.config, err)
	}
	return cfg, nil
}
