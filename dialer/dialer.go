package dialer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"softswitch/domain"
	"softswitch/media"
	"softswitch/media/detect"
)

// ErrInvalid is wrapped by a request the dialer refuses before placing
// anything (a missing agent, a number that is not one).
var ErrInvalid = errors.New("dialer: invalid request")

// ErrNotFound is returned by Get for an unknown attempt.
var ErrNotFound = errors.New("dialer: no such attempt")

// ErrStopped is returned once the dialer is shutting down.
var ErrStopped = errors.New("dialer: stopped")

// Recorder appends events durably (the switch's Recorder).
type Recorder interface {
	Record(ctx context.Context, recs ...domain.Recorded) error
	Now() time.Time
}

// Config is the dialer's wiring; internal/config's Dialer holds the YAML.
type Config struct {
	// Switch is the switch's SIP address (host:port) the dialer's calls
	// go to; Bind the local IP of the dialer's SIP and RTP sockets.
	Switch string
	Bind   netip.Addr
	// SIPPort is the dialer's SIP socket's port on Bind; 0 takes any.
	// SwitchFrom are the other addresses the switch sends from (its own
	// requests' socket): the socket takes datagrams from Switch and these
	// alone.
	SIPPort    int
	SwitchFrom []netip.AddrPort
	// Account and Password are the subscriber the dialer calls as.
	Account, Password, Realm string
	// PortMin and PortMax bound the dialer's RTP ports.
	PortMin, PortMax int
	// RingTimeout bounds each leg's ringing; MaxDuration a bridged call.
	RingTimeout, MaxDuration time.Duration
	// IsSubscriber says whether an agent exists; IsRegistered whether it
	// has a binding now; OnCall whether it is on a call of the switch's
	// (nil: never).
	IsSubscriber func(user string) bool
	// MayPresent says whether the switch presents a number (E.164
	// digits) the dialer's account asks for by P-Preferred-Identity:
	// whether it is among the account's identities. A campaign's caller
	// IDs must be, or the carrier would see the account instead. Nil
	// skips the check.
	MayPresent   func(e164 string) bool
	IsRegistered func(user string) bool
	OnCall       func(user string) bool
	// Campaigns is the projection of campaign and DNC events, applied by
	// the recorder (it must be in the recorder's projection set).
	Campaigns *Campaigns
	// Announcements are the carriers' recordings early media is matched
	// against (earlymedia.go).
	Announcements []Announcement
	// Prompts are the recordings notification campaigns play, by name
	// (8 kHz linear).
	Prompts map[string][]int16
	// NewID makes attempt ids (the switch's id generator).
	NewID func() string
}

// Dialer places the switch's own calls. Each attempt runs on its own
// goroutine; Get reads an attempt's state.
type Dialer struct {
	cfg  Config
	rec  Recorder
	log  *slog.Logger
	ua   userAgent
	pool *media.Pool

	campaigns *Campaigns
	emitMu    sync.Mutex // one writer of campaign events (emit)
	dncMu     sync.Mutex // one DNC update at a time (UpdateDNC)
	previewMu sync.Mutex // one preview request at a time (PreviewNext)
	// announcements is the reference library (nil: tones only);
	// annOutcomes maps each label to its outcome.
	announcements *detect.Library
	annOutcomes   map[string]string

	mu            sync.Mutex
	attempts      map[string]*attempt
	agents        map[string]agentState
	ringing       map[string]int // predictive calls placed and not yet resolved, per campaign
	inflight      map[string]int // attempts under way, per campaign
	compiledSpecs map[string]compiledSpec
	measures      measures // predictive pacing's handle and answer times
	order         []string // oldest first, for the bound on ended attempts kept
	wg            sync.WaitGroup
	stop          chan struct{}
	stopOnce      sync.Once
}

// keepEnded is how many ended attempts Get still answers for.
const keepEnded = 10_000

// New binds the dialer's sockets.
func New(cfg Config, rec Recorder, log *slog.Logger) (*Dialer, error) {
	if cfg.RingTimeout <= 0 || cfg.MaxDuration <= 0 || cfg.IsSubscriber == nil || cfg.NewID == nil || cfg.Campaigns == nil {
		return nil, fmt.Errorf("%w: incomplete config", ErrInvalid)
	}
	var lib *detect.Library
	outcomes := map[string]string{}
	if len(cfg.Announcements) > 0 {
		refs := make([]detect.Reference, len(cfg.Announcements))
		for i, a := range cfg.Announcements {
			if !announcementOutcomes[a.Outcome] {
				return nil, fieldErr(fmt.Sprintf("announcements[%d].outcome", i), "must be invalid_number, powered_off, busy, no_answer or congestion, got %q", a.Outcome)
			}
			if _, dup := outcomes[a.Label]; dup || a.Label == "" {
				return nil, fieldErr(fmt.Sprintf("announcements[%d].label", i), "must be non-empty and unique, got %q", a.Label)
			}
			refs[i], outcomes[a.Label] = detect.Reference{Label: a.Label, PCM: a.PCM}, a.Outcome
		}
		var err error
		if lib, err = detect.NewLibrary(refs, detect.MatchConfig{}); err != nil {
			return nil, fieldErr("announcements", "%v", err)
		}
	}
	pool, err := media.NewPool(media.PoolConfig{Addr: cfg.Bind, Min: cfg.PortMin, Max: cfg.PortMax, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("dialer: rtp ports: %w", err)
	}
	u, err := newUA(cfg.Bind.String(), cfg.SIPPort, cfg.Switch, cfg.SwitchFrom, cfg.Account, cfg.Password, cfg.Realm, log)
	if err != nil {
		return nil, err
	}
	return &Dialer{cfg: cfg, rec: rec, log: log, ua: u, pool: pool, campaigns: cfg.Campaigns, announcements: lib, annOutcomes: outcomes, attempts: map[string]*attempt{},
		agents: map[string]agentState{}, ringing: map[string]int{}, inflight: map[string]int{}, compiledSpecs: map[string]compiledSpec{}, stop: make(chan struct{})}, nil
}

// ForeignDropped counts the datagrams the dialer's SIP socket dropped for
// coming from anywhere but the switch (sourcefilter.go).
func (d *Dialer) ForeignDropped() uint64 {
	if u, ok := d.ua.(*ua); ok {
		return u.pc.dropped.Load()
	}
	return 0 // a test's fake user agent
}

// Close ends every attempt (BYE to its legs) and waits for them.
func (d *Dialer) Close() {
	d.stopOnce.Do(func() { close(d.stop) })
	d.wg.Wait()
	d.ua.close()
}

// Campaigns is the dialer's campaign projection, for the API.
func (d *Dialer) Campaigns() *Campaigns { return d.campaigns }

// Status is an attempt as Get reports it.
type Status struct {
	ID      string   `json:"id"`
	Agent   string   `json:"agent"`
	Number  string   `json:"number"`
	Steps   []string `json:"steps"`
	Outcome string   `json:"outcome,omitempty"`
	Code    int      `json:"code,omitempty"`
	Reason  string   `json:"reason,omitempty"`
	By      string   `json:"by,omitempty"`
}

// Get returns an attempt's state.
func (d *Dialer) Get(id string) (Status, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.attempts[id]
	if !ok {
		return Status{}, ErrNotFound
	}
	return a.status(), nil
}

func (d *Dialer) track(a *attempt) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.attempts[a.agg.ID()] = a
	d.order = append(d.order, a.agg.ID())
	for len(d.order) > keepEnded {
		old := d.attempts[d.order[0]]
		if old != nil && old.agg.Outcome() == "" {
			break // still running: kept whatever the bound
		}
		delete(d.attempts, d.order[0])
		d.order = d.order[1:]
	}
}
