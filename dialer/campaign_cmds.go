package dialer

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"softswitch/dialer/compliance"
	"softswitch/domain"
)

// emit records campaign and DNC events in order. One writer per dialer:
// emitMu makes each aggregate's sequence (the projection's version + 1)
// and its append one step.
func (d *Dialer) emit(ctx context.Context, evs ...domain.Event) error {
	d.emitMu.Lock()
	defer d.emitMu.Unlock()
	now := d.rec.Now()
	next := map[string]uint64{}
	recs := make([]domain.Recorded, 0, len(evs))
	for _, ev := range evs {
		k := ev.AggregateKey()
		if _, ok := next[k]; !ok {
			next[k] = d.campaigns.version(k)
		}
		next[k]++
		recs = append(recs, domain.Recorded{Event: ev, Seq: next[k], At: now})
	}
	return d.rec.Record(ctx, recs...)
}

// DefineCampaign validates spec and records it (a new campaign starts in
// "created"; a redefinition keeps its leads and state).
func (d *Dialer) DefineCampaign(ctx context.Context, spec domain.CampaignSpec) (domain.CampaignSpec, error) {
	if err := d.validateSpec(&spec); err != nil {
		return spec, err
	}
	return spec, d.emit(ctx, domain.CampaignDefined{Spec: spec})
}

// LoadLeads parses a leads CSV and records the rows it accepts, in events
// of leadsPerEvent; rejected rows are returned with line and column.
// Nothing is recorded when the file is refused whole.
func (d *Dialer) LoadLeads(ctx context.Context, campaign string, r io.Reader) (loaded int, rejected []LeadRowError, err error) {
	if _, ok := d.campaigns.View(campaign); !ok {
		return 0, nil, ErrNotFound
	}
	base := strconv.FormatUint(d.campaigns.version(domain.CampaignKey(campaign))+1, 10)
	leads, rejected, err := parseLeads(r, base)
	if err != nil {
		return 0, nil, err
	}
	var evs []domain.Event
	for i := 0; i < len(leads); i += leadsPerEvent {
		e := domain.CampaignLeadsLoaded{Campaign: campaign, Leads: leads[i:min(i+leadsPerEvent, len(leads))]}
		if i == 0 {
			e.Rejected = len(rejected)
		}
		evs = append(evs, e)
	}
	if len(evs) == 0 {
		return 0, rejected, nil
	}
	// One append: the whole upload is durable, or none of it.
	return len(leads), rejected, d.emit(ctx, evs...)
}

// campaignTransitions are the state changes the API allows, by verb.
var campaignTransitions = map[string]struct {
	from []string
	to   string
}{
	"start":  {[]string{domain.CampaignCreated}, domain.CampaignRunning},
	"pause":  {[]string{domain.CampaignRunning}, domain.CampaignPaused},
	"resume": {[]string{domain.CampaignPaused}, domain.CampaignRunning},
	"stop":   {[]string{domain.CampaignCreated, domain.CampaignRunning, domain.CampaignPaused}, domain.CampaignStopped},
}

// ErrConflict is a state change the campaign's state does not allow.
var ErrConflict = fmt.Errorf("dialer: conflict")

// SetState applies verb (start, pause, resume, stop). Stopping dials no
// more; attempts already placed run to their end and are recorded.
func (d *Dialer) SetState(ctx context.Context, campaign, verb, by string) (string, error) {
	t, ok := campaignTransitions[verb]
	if !ok {
		return "", fieldErr("action", "must be start, pause, resume or stop, got %q", verb)
	}
	v, ok := d.campaigns.View(campaign)
	if !ok {
		return "", ErrNotFound
	}
	allowed := false
	for _, f := range t.from {
		allowed = allowed || f == v.State
	}
	if !allowed {
		return v.State, fmt.Errorf("%w: cannot %s a campaign that is %s", ErrConflict, verb, v.State)
	}
	return t.to, d.emit(ctx, domain.CampaignStateChanged{Campaign: campaign, State: t.to, By: by})
}

// SetAgent logs agent in or out of a campaign; the agent must be one of
// the campaign's.
func (d *Dialer) SetAgent(ctx context.Context, campaign, agent string, in bool) error {
	v, ok := d.campaigns.View(campaign)
	if !ok {
		return ErrNotFound
	}
	member := false
	for _, a := range v.Spec.Agents {
		member = member || a == agent
	}
	if !member {
		return fieldErr("agent", "%q is not an agent of campaign %s", agent, campaign)
	}
	return d.emit(ctx, domain.CampaignAgentChanged{Campaign: campaign, Agent: agent, LoggedIn: in})
}

// UpdateDNC adds the numbers of a CSV (one per row, an optional reason
// column) to the do-not-call list as one new version, checked at every
// later dialing decision. Rows that are not numbers are returned.
func (d *Dialer) UpdateDNC(ctx context.Context, r io.Reader) (version uint64, added int, rejected []LeadRowError, err error) {
	batch, rows, err := compliance.ParseDNCCSV(r)
	if err != nil {
		return 0, 0, nil, fieldErr("dnc", "%v", err)
	}
	for _, re := range rows {
		rejected = append(rejected, LeadRowError{Line: re.Line, Column: strconv.Itoa(re.Column), Value: re.Value, Error: re.Err.Error()})
	}
	// The version in the event is the list's next: one update at a time.
	d.dncMu.Lock()
	defer d.dncMu.Unlock()
	if len(batch.Add) == 0 && len(batch.Remove) == 0 {
		return d.campaigns.DNCVersion(), 0, rejected, nil
	}
	e := domain.DNCUpdated{Version: d.campaigns.DNCVersion() + 1}
	for _, k := range batch.Add {
		e.Added = append(e.Added, compliance.FormatKey(k))
	}
	for _, k := range batch.Remove {
		e.Removed = append(e.Removed, compliance.FormatKey(k))
	}
	if err := d.emit(ctx, e); err != nil {
		return 0, 0, nil, err
	}
	return e.Version, len(e.Added), rejected, nil
}
