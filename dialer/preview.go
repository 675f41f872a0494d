package dialer

import (
	"context"
	"fmt"

	"softswitch/domain"
)

// modePreview is the preview mode's name: an agent asks for each lead.
const modePreview = "preview"

// ErrNoLead is PreviewNext finding no lead that may be dialled now.
var ErrNoLead = fmt.Errorf("%w: no lead may be dialled now", ErrNotFound)

// PreviewNext gives agent the campaign's next lead and dials it (preview
// mode, as VICIdial's "manual dial next"): the decision is taken now, as
// for every mode, and leads refused on the way (DNC, hours, caps) are
// recorded and skipped. The attempt then runs as a progressive one for
// that agent. It returns the lead and the decision that allowed it.
func (d *Dialer) PreviewNext(ctx context.Context, campaign, agent string) (domain.Lead, domain.AttemptDecided, error) {
	v, ok := d.campaigns.View(campaign)
	switch {
	case !ok:
		return domain.Lead{}, domain.AttemptDecided{}, ErrNotFound
	case v.Spec.Mode != modePreview:
		return domain.Lead{}, domain.AttemptDecided{}, fmt.Errorf("%w: campaign %s is %s, not preview", ErrConflict, campaign, v.Spec.Mode)
	case v.State != domain.CampaignRunning:
		return domain.Lead{}, domain.AttemptDecided{}, fmt.Errorf("%w: campaign %s is %s", ErrConflict, campaign, v.State)
	case !v.Agents[agent]:
		return domain.Lead{}, domain.AttemptDecided{}, fieldErr("agent", "%q is not logged in to campaign %s", agent, campaign)
	}
	now := d.rec.Now()
	if !d.agentFree(agent, now) {
		return domain.Lead{}, domain.AttemptDecided{}, fmt.Errorf("%w: agent %s is on a call or in wrap-up", ErrConflict, agent)
	}
	comp, err := d.compiledFor(v.Spec)
	if err != nil {
		return domain.Lead{}, domain.AttemptDecided{}, err
	}
	// One agent's request at a time: two could otherwise take one lead.
	d.previewMu.Lock()
	defer d.previewMu.Unlock()
	for range decisionsPerTick {
		lead, attempt, ok := d.campaigns.next(campaign, now, func(string) bool { return false })
		if !ok {
			break
		}
		if dec, placed := d.decideAndPlace(ctx, v.Spec, comp, lead, attempt, agent, now); placed {
			return lead, dec, nil
		}
	}
	return domain.Lead{}, domain.AttemptDecided{}, ErrNoLead
}
