package config

import (
	"fmt"
	"net/netip"
	"time"
)

var announcementOutcomes = map[string]bool{"invalid_number": true, "powered_off": true, "busy": true, "no_answer": true, "congestion": true}

// Dialer is the `dialer:` section: calls the switch places itself
// (dialer/, docs/dialer.md). The dialer calls through the switch's own SIP
// port as Account, a subscriber of the `subscribers` list whose password it
// answers digest challenges with, so every leg is authenticated, routed and
// billed like any call of that subscriber's.
type Dialer struct {
	// Enabled starts the dialer and its API (POST /api/v1/click-to-call).
	// Default false.
	Enabled bool `yaml:"enabled"`
	// Account is the subscriber the dialer calls as; required when
	// enabled, and it must be in `subscribers`.
	Account string `yaml:"account"`
	// Bind (IP) is where the dialer's SIP and RTP sockets listen. Default
	// media.bind.
	Bind string `yaml:"bind"`
	// SIPPort (UDP) is the dialer's SIP socket on Bind; 0 (default) takes
	// a free port at start. A fixed one is for firewall rules: only the
	// switch ever sends to it, and the dialer drops anything else.
	SIPPort int `yaml:"sip_port"`
	// PortMin and PortMax (UDP ports, both included) bound the dialer's
	// own RTP relay, apart from media.port_min..port_max. Defaults 40002
	// and 41000; PortMin must be even.
	PortMin int `yaml:"port_min"`
	PortMax int `yaml:"port_max"`
	// RingTimeout (duration) bounds each leg's ringing. Default 30s.
	RingTimeout time.Duration `yaml:"ring_timeout"`
	// Announcements are carriers' recorded announcements (空号, 关机, …)
	// a callee's early media is matched against; a match ends the attempt
	// with Outcome (docs/early-media-detection.md).
	Announcements []Announcement `yaml:"announcements"`
	// Prompts are the recordings notification campaigns play (语音通知),
	// by name; same WAV formats as announcements.
	Prompts []Prompt `yaml:"prompts"`

	// BindAddr is Bind parsed by Validate.
	BindAddr netip.Addr `yaml:"-"`
}

// Announcement is one reference recording: Label names it in events,
// Outcome is invalid_number, powered_off, busy, no_answer or congestion,
// File a WAV (mono 8 kHz; 16-bit PCM, A-law or μ-law).
type Announcement struct {
	Label   string `yaml:"label"`
	Outcome string `yaml:"outcome"`
	File    string `yaml:"file"`
}

// Prompt is one recording a notification campaign can play.
type Prompt struct {
	Name string `yaml:"name"`
	File string `yaml:"file"`
}

func (d *Dialer) setDefaults(mediaBind string) {
	if d.Bind == "" {
		d.Bind = mediaBind
	}
	if d.PortMin == 0 && d.PortMax == 0 {
		d.PortMin, d.PortMax = 40002, 41000
	}
	if d.RingTimeout == 0 {
		d.RingTimeout = 30 * time.Second
	}
}

// validate checks the dialer section against the subscribers it may call
// as (users holds their names).
func (d *Dialer) validate(users map[string]bool) error {
	if !d.Enabled {
		return nil
	}
	if d.Account == "" {
		return fieldErr("dialer.account", "is required when the dialer is enabled")
	}
	if !users[d.Account] {
		return fieldErr("dialer.account", "%q is not in subscribers: the dialer answers digest with that subscriber's password", d.Account)
	}
	a, err := netip.ParseAddr(d.Bind)
	if err != nil || a.IsUnspecified() {
		return fieldErr("dialer.bind", "must be one IP address, got %q", d.Bind)
	}
	d.BindAddr = a
	if d.PortMin < 1024 || d.PortMax > 65535 || d.PortMin%2 != 0 || d.PortMax <= d.PortMin {
		return fieldErr("dialer.port_min", "ports must be an even port_min from 1024 below port_max up to 65535, got %d..%d", d.PortMin, d.PortMax)
	}
	if d.SIPPort != 0 && (d.SIPPort < 1024 || d.SIPPort > 65535 || d.SIPPort >= d.PortMin && d.SIPPort <= d.PortMax) {
		return fieldErr("dialer.sip_port", "must be 0 (any free port) or 1024..65535 outside port_min..port_max, got %d", d.SIPPort)
	}
	if d.RingTimeout < time.Second {
		return fieldErr("dialer.ring_timeout", "must be at least 1s, got %s", d.RingTimeout)
	}
	labels := map[string]bool{}
	for i, a := range d.Announcements {
		f := fmt.Sprintf("dialer.announcements[%d]", i)
		switch {
		case a.Label == "" || labels[a.Label]:
			return fieldErr(f+".label", "must be non-empty and unique, got %q", a.Label)
		case !announcementOutcomes[a.Outcome]:
			return fieldErr(f+".outcome", "must be invalid_number, powered_off, busy, no_answer or congestion, got %q", a.Outcome)
		case a.File == "":
			return fieldErr(f+".file", "is required")
		}
		labels[a.Label] = true
	}
	names := map[string]bool{}
	for i, p := range d.Prompts {
		f := fmt.Sprintf("dialer.prompts[%d]", i)
		switch {
		case p.Name == "" || names[p.Name]:
			return fieldErr(f+".name", "must be non-empty and unique, got %q", p.Name)
		case p.File == "":
			return fieldErr(f+".file", "is required")
		}
		names[p.Name] = true
	}
	return nil
}
