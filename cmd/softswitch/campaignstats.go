package main

import (
	"context"
	"errors"

	"softswitch/dialer/stats"
	"softswitch/dialer/stats/chstats"
	journaltail "softswitch/projections/tail"
)

// runCampaignStats folds the dialer's attempts into ClickHouse's
// campaign_attempts table (dialer/stats), beside the CDRs. It tails this
// node's own journal in every mode: the dialer runs on one node and its
// campaign events are that node's.
func (p *pipeline) runCampaignStats(ctx context.Context) {
	log := p.log.With("component", "campaign-stats")
	dsn, err := clickHouseDSN(p.cfg.ClickHouse)
	if err != nil {
		log.Error("campaign statistics off", "error", err)
		return
	}
	store, err := openRetrying(ctx, log, "campaign statistics", func() (*chstats.Store, error) {
		return chstats.Open(ctx, chstats.Config{DSN: dsn}, log)
	})
	if err != nil {
		return // ctx ended
	}
	defer store.Close()
	b := stats.NewBuilder(store, stats.Config{FlushInterval: p.cfg.ClickHouse.FlushInterval}, log)
	if err := journaltail.Run(ctx, "campaign-stats", p.journal, store.Checkpoint, b, log); err != nil && !errors.Is(err, context.Canceled) {
		log.Warn("campaign statistics stopped", "error", err)
	}
}
