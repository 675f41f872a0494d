package config

import (
	"fmt"
	"net/netip"
	"time"
)

// Media is the `media:` section: the RTP relay that anchors calls' media
// through the switch (media/, docs/media.md). Anchoring is on by default,
// as on an SBC; direct_media per subscriber, trunk or route lets media go
// end to end instead.
type Media struct {
	// Enabled anchors calls' media. Default true; false leaves every SDP
	// as the endpoints wrote it.
	Enabled *bool `yaml:"enabled"`
	// Bind (IP) is where the RTP sockets listen. Default: sip.listen's
	// IP, or 127.0.0.1 when that is unspecified (0.0.0.0), since an SDP
	// needs one address.
	Bind string `yaml:"bind"`
	// Advertise (IP) is the address written into SDP (c=), for a switch
	// behind a 1:1 NAT. Default: Bind.
	Advertise string `yaml:"advertise"`
	// PortMin and PortMax (UDP ports, both included) bound the relay's
	// ports: RTP on even, RTCP on the odd above (RFC 3550 §11). Defaults
	// 30000 and 40000, as rtpengine's. PortMin must be even.
	PortMin int `yaml:"port_min"`
	PortMax int `yaml:"port_max"`
	// LearnWindow (duration) is how long each leg's real source is learnt
	// from its packets before the relay locks on it (NAT latching).
	// Default 3s.
	LearnWindow time.Duration `yaml:"learn_window"`
	// Timeout (duration): an answered call with no RTP from either side
	// for this long is ended with BYE (CDR reason "Media Timeout").
	// Default 60s, rtpengine's. HoldTimeout replaces it while a side is on
	// hold (sendonly/recvonly/inactive). Default 1h. Zero means the
	// default; a value above sip.max_call_duration turns the check off.
	Timeout     time.Duration `yaml:"timeout"`
	HoldTimeout time.Duration `yaml:"hold_timeout"`
	// StatsInterval (duration) is how often an answered call records its
	// media quality (call.media_stats); the final one is always recorded.
	// Default 30s.
	StatsInterval time.Duration `yaml:"stats_interval"`
	// RecordDir is where recordings go (one WAV per call). Default
	// <data_dir>/recordings.
	RecordDir string `yaml:"record_dir"`
	// RecordHeader names a request header (e.g. X-Record) with which an
	// authenticated caller asks for one call to be recorded, value "on";
	// the dialer sets it per campaign. Default "" (no such header).
	RecordHeader string `yaml:"record_header"`
	// ReadBufferBytes (bytes) is SO_RCVBUF asked for each RTP socket;
	// 0 keeps the kernel's default.
	ReadBufferBytes int `yaml:"read_buffer_bytes"`

	// BindAddr and AdvertiseAddr are Bind and Advertise parsed by Validate.
	BindAddr      netip.Addr `yaml:"-"`
	AdvertiseAddr netip.Addr `yaml:"-"`
}

// On reports whether anchoring is enabled.
func (m *Media) On() bool { return m.Enabled == nil || *m.Enabled }

func (m *Media) setDefaults(sipListen, dataDir string) {
	if m.Bind == "" {
		m.Bind = "127.0.0.1"
		if ap, err := netip.ParseAddrPort(sipListen); err == nil && !ap.Addr().IsUnspecified() {
			m.Bind = ap.Addr().String()
		}
	}
	if m.Advertise == "" {
		m.Advertise = m.Bind
	}
	if m.PortMin == 0 && m.PortMax == 0 {
		m.PortMin, m.PortMax = 30000, 40000
	}
	if m.LearnWindow == 0 {
		m.LearnWindow = 3 * time.Second
	}
	if m.Timeout == 0 {
		m.Timeout = 60 * time.Second
	}
	if m.HoldTimeout == 0 {
		m.HoldTimeout = time.Hour
	}
	if m.StatsInterval == 0 {
		m.StatsInterval = 30 * time.Second
	}
	if m.RecordDir == "" && dataDir != "" {
		m.RecordDir = dataDir + "/recordings"
	}
}

// Validate checks the media section.
func (m *Media) Validate() error {
	var err error
	if m.BindAddr, err = netip.ParseAddr(m.Bind); err != nil {
		return fieldErr("media.bind", "must be an IP address, got %q", m.Bind)
	}
	if m.AdvertiseAddr, err = netip.ParseAddr(m.Advertise); err != nil || m.AdvertiseAddr.IsUnspecified() {
		return fieldErr("media.advertise", "must be an IP address peers can reach, got %q", m.Advertise)
	}
	switch {
	case m.PortMin < 1024 || m.PortMin > 65534:
		return fieldErr("media.port_min", "must be 1024..65534, got %d", m.PortMin)
	case m.PortMin%2 != 0:
		return fieldErr("media.port_min", "must be even (RTP on even ports, RFC 3550 §11), got %d", m.PortMin)
	case m.PortMax <= m.PortMin || m.PortMax > 65535:
		return fieldErr("media.port_max", "must be above port_min and at most 65535, got %d", m.PortMax)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"media.learn_window", m.LearnWindow}, {"media.timeout", m.Timeout}, {"media.hold_timeout", m.HoldTimeout},
		{"media.stats_interval", m.StatsInterval}} {
		if d.v < 0 {
			return fieldErr(d.name, "must not be negative, got %s", d.v)
		}
	}
	if m.RecordHeader != "" && !validHeaderName(m.RecordHeader) {
		return fieldErr("media.record_header", "must be a SIP header name (letters, digits, '-'), got %q", m.RecordHeader)
	}
	if m.ReadBufferBytes < 0 {
		return fieldErr("media.read_buffer_bytes", "must not be negative, got %d", m.ReadBufferBytes)
	}
	if m.On() && m.RecordDir == "" {
		return fieldErr("media.record_dir", "must be set when data_dir is not")
	}
	return nil
}

// MediaPolicy lists who keeps media end to end (direct_media) and whose
// calls are recorded (record): subscriber names, "trunk:<name>" and
// "route:<prefix>".
func (c *Config) MediaPolicy() (direct, record map[string]bool) {
	direct, record = map[string]bool{}, map[string]bool{}
	mark := func(key string, d, r bool) {
		if d {
			direct[key] = true
		}
		if r {
			record[key] = true
		}
	}
	for _, s := range c.Subscribers {
		mark(s.User, s.DirectMedia, s.Record)
	}
	for _, ca := range c.Carriers {
		for _, t := range ca.Trunks {
			mark("trunk:"+t.Name, t.DirectMedia, t.Record)
		}
	}
	for _, r := range c.Routes {
		mark(fmt.Sprintf("route:%s", r.Prefix), r.DirectMedia, r.Record)
	}
	return direct, record
}

// validHeaderName reports whether s is a plain header name (RFC 3261
// §25.1 token, letters, digits and '-' here).
func validHeaderName(s string) bool {
	for _, r := range s {
		if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return s != ""
}
