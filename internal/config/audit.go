package config

import "time"

// Audit is the `audit:` section.
type Audit struct {
	// AnchorInterval (duration) between anchors: the switch verifies the
	// journal's hash chain since the previous anchor and records the head
	// (an audit.anchored event, and a line of <data_dir>/anchors.jsonl to
	// export). Default 1m.
	AnchorInterval time.Duration `yaml:"anchor_interval"`
	// Capture is "summary" (method, code, timing of each SIP transaction)
	// or "full" (the whole messages too, in the sip.transaction events, so
	// replay shows them exactly; costs log space, see docs/benchmarks.md).
	// Default summary.
	Capture string `yaml:"capture"`
}

func (a *Audit) setDefaults() {
	if a.AnchorInterval == 0 {
		a.AnchorInterval = time.Minute
	}
	if a.Capture == "" {
		a.Capture = "summary"
	}
}

// Validate checks the audit section.
func (a *Audit) Validate() error {
	if a.AnchorInterval < 0 {
		return fieldErr("audit.anchor_interval", "must be positive")
	}
	if a.Capture != "summary" && a.Capture != "full" {
		return fieldErr("audit.capture", "must be summary or full, got %q", a.Capture)
	}
	return nil
}
