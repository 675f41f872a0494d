package switching

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"softswitch/domain"
	"softswitch/media"
)

// MediaConfig is how the B2BUA anchors calls' media (media/): a nil Pool
// leaves SDP untouched and media flows between the endpoints.
type MediaConfig struct {
	Pool *media.Pool
	// Advertise is the address written into SDP (c=), the pool's own
	// unless the switch sits behind a 1:1 NAT.
	Advertise netip.Addr
	// LearnWindow is how long each leg's source is learnt before the
	// relay locks on it (rtpengine's latching).
	LearnWindow time.Duration
	// Timeout ends an answered call that received no RTP from either side
	// for that long; HoldTimeout replaces it while a side is on hold
	// (sendonly, recvonly or inactive). Zero disables.
	Timeout, HoldTimeout time.Duration
	// StatsInterval is how often an answered call records its media
	// quality (call.media_stats); zero records only the final one.
	StatsInterval time.Duration
	// RecordDir is where recordings are written.
	RecordDir string
	// RecordHeader, when set, names a request header with which the
	// authenticated caller asks for this one call to be recorded
	// ("on"); "" ignores any such header.
	RecordHeader string
	// Direct tells whether a party (a subscriber's name, "trunk:<name>" or
	// "route:<prefix>") keeps media end to end; Record whether its calls
	// are recorded. Nil means no one.
	Direct, Record func(party string) bool
}

// MediaStats is the port pool's state, nil without anchoring.
func (b *B2BUA) MediaStats() *media.PoolStats {
	if !b.cfg.Media.On() {
		return nil
	}
	st := b.cfg.Media.Pool.Stats()
	return &st
}

// On reports whether anchoring is configured at all.
func (m MediaConfig) On() bool { return m.Pool != nil }

func (m MediaConfig) direct(parties ...string) bool { return anyParty(m.Direct, parties) }
func (m MediaConfig) record(parties ...string) bool { return anyParty(m.Record, parties) }

func anyParty(f func(string) bool, parties []string) bool {
	if f == nil {
		return false
	}
	for _, p := range parties {
		if p != "" && f(p) {
			return true
		}
	}
	return false
}

// relay is what a call needs of its media session (*media.Session); the
// call loop's unit tests use a fake, with no sockets in their synctest
// bubble.
type relay interface {
	Local(leg media.Leg) (rtp, rtcp netip.AddrPort)
	SetRemote(leg media.Leg, r media.Remote) error
	LastReceived(leg media.Leg) time.Time
	Stats() media.Stats
	Close() (media.Final, error)
}

// callMedia is one call's anchored media: the relay session and what the
// switch keeps of the SDP it rewrote for each leg.
type callMedia struct {
	s relay
	// sessID is the switch's own o= session id towards both legs; version
	// and sent the o= version and last body sent to each leg (RFC 3264 §8:
	// one higher only when the body changed).
	sessID  uint64
	version [2]uint64
	sent    [2][]byte
	// held is set while either side's direction is not sendrecv (RFC
	// 3264 §8.4), heldSince when that began; dir is each side's.
	dir       [2]media.Direction
	heldSince time.Time
	dtmf      chan media.DTMF
	dtmfLost  int
	closed    bool
	// statsAt is when the next media quality snapshot is due.
	statsAt time.Time
}

// sdpRefusal is why an SDP body was refused: 400 for a body that is not
// SDP, 488 for one the switch cannot anchor or whose codecs the far side
// does not take (RFC 3261 §21.4.26; the switch never transcodes).
func sdpRefusal(err error) (int, string) {
	switch {
	case errors.Is(err, media.ErrMalformedSDP):
		return 400, "Bad Request"
	case errors.Is(err, media.ErrUnsupportedMedia), errors.Is(err, media.ErrNoCommonCodec), errors.Is(err, ErrNoCommonCodec):
		return 488, "Not Acceptable Here"
	}
	return 500, "Server Internal Error"
}

// parseOffer parses an INVITE's SDP before anything is set up for it, so
// a body the switch cannot anchor is refused with a reason at once; the
// call keeps the result (nil for an INVITE without a body).
func parseOffer(body []byte) (*media.Description, error) {
	if len(body) == 0 {
		return nil, nil
	}
	return media.ParseSDP(body)
}

// callerParty names the caller for media.direct and media.record: the
// subscriber, or the trunk the call came in from.
func (c *call) callerParty() string {
	if c.inbound != "" {
		return "trunk:" + c.inbound
	}
	return c.agg.Caller()
}

// asksRecording reports whether the caller's INVITE asks for this call to
// be recorded (media.record_header: on). Only an authenticated caller's
// INVITE gets this far, and it records nothing the caller is not party to.
func (c *call) asksRecording() bool {
	h := c.b.cfg.Media.RecordHeader
	if h == "" {
		return false
	}
	v := c.a.InviteRequest.GetHeader(h)
	return v != nil && strings.EqualFold(strings.TrimSpace(v.Value()), "on")
}

// openMedia opens the call's relay session, or says why the call cannot
// have one (no port pair free: 503).
func (c *call) openMedia(ctx context.Context, parties ...string) *domain.CallFailure {
	err := c.startMedia(ctx, parties...)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, domain.ErrMediaUnavailable):
		return domain.Classify(err)
	case errors.Is(err, media.ErrMalformedSDP), errors.Is(err, media.ErrUnsupportedMedia):
		code, reason := sdpRefusal(err)
		return domain.ClassifyResponse(code, reason)
	}
	c.b.log.Error("call: media session", "call", c.id, "error", err)
	return domain.Classify(err)
}

// startMedia opens the call's relay session for an offer from the caller:
// ports for both legs, and the caller's side pointed at its SDP. A call
// whose INVITE had no SDP (a delayed offer, RFC 3261 §13.2.1) is not
// anchored: its offer comes in the callee's answer.
func (c *call) startMedia(ctx context.Context, parties ...string) error {
	mc := c.b.cfg.Media
	if !mc.On() || c.offer == nil || mc.direct(parties...) {
		return nil
	}
	m := &callMedia{sessID: rand.Uint64N(1<<62) + 1, dtmf: make(chan media.DTMF, 32)}
	cfg := media.SessionConfig{Logger: c.b.log.With("call", c.id), LearnWindow: mc.LearnWindow, OnDTMF: func(d media.DTMF) {
		select {
		case m.dtmf <- d:
		default:
			m.dtmfLost++ // only read after Close, which waits for this goroutine
		}
	}}
	if mc.record(parties...) || c.asksRecording() {
		if err := os.MkdirAll(mc.RecordDir, 0o750); err != nil {
			return err
		}
		cfg.Record = &media.RecordConfig{Path: filepath.Join(mc.RecordDir, c.id+".wav")}
	}
	s, err := media.NewSession(ctx, mc.Pool, cfg)
	if err != nil {
		if errors.Is(err, media.ErrNoPorts) {
			c.b.m.mediaNoPorts.Add(1)
			return domain.ErrMediaUnavailable
		}
		return err
	}
	m.s = s
	c.media = m
	c.applySDP(media.A, c.offer)
	return nil
}

// applySDP points one leg of the relay at the SDP its endpoint sent and
// records where its media now goes.
func (c *call) applySDP(leg media.Leg, desc *media.Description) {
	m := c.media
	r := desc.Audio().Remote()
	_ = m.s.SetRemote(leg, r)
	now := c.b.rec.Now()
	wasHeld := m.dir[0] != media.SendRecv || m.dir[1] != media.SendRecv
	m.dir[leg] = r.Direction
	held := m.dir[0] != media.SendRecv || m.dir[1] != media.SendRecv
	if held != wasHeld || !held {
		m.heldSince = now // hold and resume both restart the clock
	}
	local, _ := m.s.Local(leg)
	codecs := make([]string, 0, len(r.Payloads))
	for _, p := range r.Payloads {
		codecs = append(codecs, p.Name)
	}
	c.agg.MediaAnchored(domain.MediaAnchored{Leg: mediaLegName(leg), Local: local.String(), Remote: r.RTP.String(),
		Direction: r.Direction.String(), Codecs: codecs}, now)
}

func mediaLegName(l media.Leg) string {
	if l == media.A {
		return domain.SideA
	}
	return domain.SideB
}

// rewriteFor makes the SDP sent to leg `to` from a description: the
// switch's address and that leg's ports, the switch's o= line.
func (c *call) rewriteFor(to media.Leg, desc *media.Description) ([]byte, error) {
	m := c.media
	rtp, rtcp := m.s.Local(to)
	opts := media.RewriteOptions{Addr: c.b.cfg.Media.Advertise, RTPPort: rtp.Port(), RTCPPort: rtcp.Port(), SessionID: m.sessID,
		Version: max(m.version[to], 1)}
	out, err := desc.Rewrite(opts)
	if err != nil || slices.Equal(out, m.sent[to]) || m.sent[to] == nil {
		if err == nil {
			m.version[to], m.sent[to] = opts.Version, out
		}
		return out, err
	}
	opts.Version++
	if out, err = desc.Rewrite(opts); err == nil {
		m.version[to], m.sent[to] = opts.Version, out
	}
	return out, err
}

// offerFor is the caller's offer as one B-leg gets it: filtered to the
// trunk's codecs, pointing at the switch. Without anchoring (or for a
// direct-media leg) it is the caller's body, filtered.
func (c *call) offerFor(leg *bLeg) ([]byte, error) {
	body := c.a.InviteRequest.Body()
	var codecs []string
	if leg.trunk != nil {
		codecs = leg.trunk.codecs
	}
	if c.media == nil || leg.direct {
		return filterCodecs(body, codecs)
	}
	desc := c.offer
	if len(codecs) > 0 {
		// FilterCodecs changes the description it is given: each trunk
		// filters a copy of the caller's offer of its own.
		var err error
		if desc, err = media.ParseSDP(body); err != nil {
			return nil, err
		}
		if err := desc.FilterCodecs(codecs); err != nil {
			return nil, err
		}
	}
	return c.rewriteFor(media.B, desc)
}

// relaySDP takes an SDP body that leg `from` sent (an answer, a 183's
// early media, a re-INVITE's offer or its answer), points the relay at it
// and returns it rewritten for the other leg. A call without anchoring
// passes the body on as it is; so does an empty body.
func (c *call) relaySDP(from media.Leg, body []byte) ([]byte, error) {
	if c.media == nil || c.media.closed || len(body) == 0 {
		return body, nil
	}
	desc, err := media.ParseSDP(body)
	if err != nil {
		c.b.m.sdpRefused.Add(1)
		return nil, err
	}
	c.applySDP(from, desc)
	return c.rewriteFor(1-from, desc)
}

// held reports whether a side of the call is on hold.
func (m *callMedia) held() bool { return m.dir[0] != media.SendRecv || m.dir[1] != media.SendRecv }

// mediaDeadline is when an answered call is dead for lack of media: the
// last RTP from either side (or the answer, or the last hold change, if
// later) plus the timeout that applies. Zero: no such deadline.
func (c *call) mediaDeadline(answer time.Time) (time.Time, time.Time) {
	m, mc := c.media, c.b.cfg.Media
	if m == nil || m.closed {
		return time.Time{}, time.Time{}
	}
	limit := mc.Timeout
	if m.held() {
		limit = mc.HoldTimeout
	}
	if limit <= 0 {
		return time.Time{}, time.Time{}
	}
	last := answer
	for _, t := range []time.Time{m.s.LastReceived(media.A), m.s.LastReceived(media.B), m.heldSince} {
		if t.After(last) {
			last = t
		}
	}
	return last.Add(limit), last
}

// drainDTMF records the digits the relay reported.
func (c *call) drainDTMF() {
	if c.media == nil {
		return
	}
	for {
		select {
		case d := <-c.media.dtmf:
			c.recordDTMF(d)
		default:
			return
		}
	}
}

func (c *call) recordDTMF(d media.DTMF) {
	c.agg.DTMF(domain.DTMF{Leg: mediaLegName(d.Leg), Digit: d.Digit, DurationMs: d.Duration.Milliseconds(), At: d.Start.UTC(),
		Ended: d.Ended}, c.b.rec.Now())
}

// mediaStats records a snapshot of the call's media quality.
func (c *call) mediaStats(final bool, st media.Stats) {
	legs := make([]domain.MediaLeg, 0, 2)
	for _, l := range []media.Leg{media.A, media.B} {
		ls := st.Leg(l)
		r := ls.Received
		d := r.Dropped
		ml := domain.MediaLeg{Leg: mediaLegName(l), Packets: r.Packets, Bytes: r.Bytes, Lost: r.Lost, OutOfOrder: r.OutOfOrder,
			Duplicates: r.Duplicates, JitterMs: r.JitterMs, RTTMs: float64(ls.RTT.Microseconds()) / 1000, MOS: r.MOS,
			Sent: ls.SentPackets, Foreign: d.Foreign, Malformed: d.Malformed,
			Dropped: d.Malformed + d.Foreign + d.Direction + d.NoDestination + d.SendErrors}
		if ls.Source.IsValid() {
			ml.Source = ls.Source.String()
		}
		if final && r.Packets > 0 {
			c.b.m.observeMOS(r.MOS)
		}
		legs = append(legs, ml)
	}
	c.agg.RecordMediaStats(domain.MediaStats{Final: final, Legs: legs}, c.b.rec.Now())
}

// closeMedia ends the relay: its ports go back to the pool, and the final
// stats, the last digits and the recording are recorded before the call's
// end, so the CDR built at call.ended carries them. Idempotent.
func (c *call) closeMedia() {
	m := c.media
	if m == nil || m.closed {
		return
	}
	m.closed = true
	final, err := m.s.Close()
	if err != nil {
		c.b.log.Warn("call: media close", "call", c.id, "error", err)
	}
	if c.agg == nil || c.agg.Ended() {
		return
	}
	c.drainDTMF()
	if m.dtmfLost > 0 {
		c.b.log.Warn("call: DTMF reports lost", "call", c.id, "lost", m.dtmfLost)
	}
	c.mediaStats(true, final.Stats)
	if r := final.Recording; r != nil {
		c.agg.Recorded(domain.Recording{Path: r.Path, Bytes: r.Bytes, DurationMs: r.Duration.Milliseconds(), SHA256: r.SHA256,
			Packets: r.Packets}, c.b.rec.Now())
		c.b.log.Info("call: recording", "call", c.id, "path", r.Path, "sha256", r.SHA256, "bytes", r.Bytes)
	}
}

// dropMedia releases a relay the call turned out not to need (a
// direct-media leg answered): nothing went through it to report.
func (c *call) dropMedia() {
	if m := c.media; m != nil && !m.closed {
		m.closed = true
		_, _ = m.s.Close()
		c.media = nil
	}
}

// end closes the call's media and ends the call (see domain.Call.EndUntil).
func (c *call) end(f *domain.CallFailure, by string, at, until time.Time) {
	c.closeMedia()
	c.agg.EndUntil(f, by, at, until)
}
