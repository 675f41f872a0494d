package config

import "time"

// Audit is the `audit:` section.
type Audit struct {
	// AnchorInterval (duration) between anchors: the switch verifies the
	// journal's hash chain since the previous anchor and records the head
	// (an audit.anchored event, and a line of <data_dir>/anchors.jsonl to
	// export). Default 1m.
	AnchorInterval time.Duration `yaml:"anchor_interval"`
}

func (a *Audit) setDefaults() {
	if a.AnchorInterval == 0 {
		a.AnchorInterval = time.Minute
	}
}

// Validate checks the audit section.
func (a *Audit) Validate() error {
	if a.AnchorInterval < 0 {
		return fieldErr("audit.anchor_interval", "must be positive")
	}
	return nil
}
