package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"

	"softswitch/billing/cdr"
	"softswitch/billing/cdr/boltstore"
	"softswitch/billing/cdr/chstore"
	"softswitch/billing/rating"
	"softswitch/domain"
	"softswitch/eventstore"
	"softswitch/eventstore/kafkabus"
	"softswitch/eventstore/kafkalog"
	"softswitch/eventstore/wmjournal"
	"softswitch/internal/config"
	"softswitch/projections"
)

// pipeline is everything downstream of the journal: the Kafka shipper, the
// projections fed by other nodes, and the CDR consumer. Call setup never
// waits on any of it.
type pipeline struct {
	cfg     *config.Config
	journal eventstore.Store
	remote  *projections.Remote
	log     *slog.Logger

	shipper *kafkalog.Shipper // nil without Kafka
	rate    func(*domain.CDR) // rates each CDR with the decks in force
	// rated and unrated count CDRs by rating outcome: an unrated CDR is
	// stored and flagged, never dropped, and this is where it shows.
	rated, unrated atomic.Uint64
	latency        *cdr.Latency
	cdrs           atomic.Pointer[cdrSink]
	wg             sync.WaitGroup
}

// cdrSink is the opened CDR store and the consumer that writes to it.
type cdrSink struct {
	store cdr.Store
	stats func() cdr.Stats
}

// newPipeline wires the pipeline; trunks are the projections that share
// trunk state (definitions, health, channels) with other nodes.
//
// With Kafka, ledger (the balances) folds every node's account events,
// this node's included, in the shared log's order.
func newPipeline(cfg *config.Config, journal eventstore.Store, set projections.Set, trunks []projections.Projection,
	ledger projections.Projection, rater func() *rating.Rater, log *slog.Logger) (*pipeline, error) {
	remote := projections.NewRemote(set, cfg.NodeID, trunks...)
	remote.OrderedBy(ledger, "account:")
	p := &pipeline{cfg: cfg, journal: journal, remote: remote, log: log, latency: &cdr.Latency{}}
	p.rate = func(c *domain.CDR) {
		rater().Rate(c)
		switch c.RatingStatus {
		case domain.RatingRated:
			p.rated.Add(1)
		case domain.RatingUnrated:
			p.unrated.Add(1)
		}
	}
	if cfg.Kafka.On() {
		sh, err := kafkalog.NewShipper(journal, kafkalog.Config{
			Brokers: cfg.Kafka.Brokers, Prefix: cfg.Kafka.TopicPrefix, DataDir: cfg.DataDir,
			BatchSize: cfg.Kafka.ShipBatch, Partitions: cfg.Kafka.Partitions, Replication: cfg.Kafka.ReplicationFactor,
		}, log.With("component", "shipper"))
		if err != nil {
			return nil, fmt.Errorf("kafka shipper: %w", err)
		}
		p.shipper = sh
	}
	return p, nil
}

// start runs every part in the background until ctx ends; wait waits for
// them to finish their last flush.
func (p *pipeline) start(ctx context.Context) {
	if p.shipper != nil {
		p.wg.Go(func() {
			if err := p.shipper.Run(ctx); err != nil {
				p.log.Error("kafka shipper stopped", "error", err)
			}
		})
		p.wg.Go(func() { p.runRemote(ctx) })
	}
	p.wg.Go(func() { p.runCDRs(ctx) })
	if p.cfg.Dialer.Enabled && p.cfg.ClickHouse.On() {
		p.wg.Go(func() { p.runCampaignStats(ctx) })
	}
}

func (p *pipeline) wait() { p.wg.Wait() }

// store returns the CDR store once it is open, nil before.
func (p *pipeline) store() cdr.Store {
	if s := p.cdrs.Load(); s != nil {
		return s.store
	}
	return nil
}

func (p *pipeline) topics() kafkalog.Topics { return kafkalog.TopicNames(p.cfg.Kafka.TopicPrefix) }

// runRemote feeds the location and subscriber projections with the events
// of every other node. It reads every partition from the beginning on each
// start, without a consumer group: the projections live in memory and are
// rebuilt at start, so a committed offset would skip state they need.
func (p *pipeline) runRemote(ctx context.Context) {
	log := p.log.With("component", "remote-projections")
	sub, err := kafkabus.NewSubscriber(kafkabus.SubscriberConfig{Brokers: p.cfg.Kafka.Brokers}, log)
	if err != nil {
		log.Error("remote projections: subscriber", "error", err)
		return
	}
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 5 * time.Second}, watermill.NewSlogLogger(log))
	if err != nil {
		log.Error("remote projections: router", "error", err)
		return
	}
	// A projection error (an event of a newer schema) is retried, then the
	// message is nacked and redelivered: skipping it would route on state
	// that misses a registration.
	router.AddMiddleware(middleware.Retry{MaxRetries: 3, InitialInterval: 50 * time.Millisecond, MaxInterval: time.Second,
		Multiplier: 2, Logger: watermill.NewSlogLogger(log)}.Middleware, middleware.Recoverer)
	router.AddConsumerHandler("projections.remote", p.topics().Events, sub, func(msg *message.Message) error {
		env, err := wmjournal.FromMessage(msg)
		if err != nil {
			// Not an envelope: no retry can change that, and the CDR
			// consumer's poison queue already keeps a copy of the record.
			log.Warn("remote projections: undecodable record skipped", "uuid", msg.UUID, "error", err)
			return nil
		}
		return p.remote.Apply(env, nil)
	})
	if err := router.Run(ctx); err != nil && ctx.Err() == nil {
		log.Error("remote projections stopped", "error", err)
	}
}

// runCDRs opens the CDR store, retrying while it is unreachable (the
// switch keeps switching meanwhile; events wait in the journal or on
// Kafka), then runs the CDR consumer until ctx ends.
func (p *pipeline) runCDRs(ctx context.Context) {
	log := p.log.With("component", "cdr")
	store, err := p.openCDRStore(ctx, log)
	if err != nil {
		return // ctx ended
	}
	defer store.Close()
	timed := cdr.Timed{Store: store, Latency: p.latency, Now: time.Now}
	if p.cfg.Kafka.On() {
		err = p.runKafkaCDRs(ctx, store, timed, log)
	} else {
		err = p.runJournalCDRs(ctx, store, timed, log)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Warn("cdr consumer stopped", "error", err)
	}
}

func (p *pipeline) openCDRStore(ctx context.Context, log *slog.Logger) (cdr.Store, error) {
	if !p.cfg.ClickHouse.On() {
		return boltstore.Open(filepath.Join(p.cfg.DataDir, "cdr"), boltstore.Options{})
	}
	dsn, err := clickHouseDSN(p.cfg.ClickHouse)
	if err != nil {
		return nil, err
	}
	return openRetrying(ctx, log, "CDRs", func() (cdr.Store, error) {
		return chstore.Open(ctx, chstore.Config{DSN: dsn}, log)
	})
}

// openRetrying opens a ClickHouse-backed store, retrying with backoff
// while the server is unreachable: the switch keeps switching meanwhile,
// and what the store would hold waits in the journal (named by what).
func openRetrying[S any](ctx context.Context, log *slog.Logger, what string, open func() (S, error)) (S, error) {
	backoff := 100 * time.Millisecond
	for {
		s, err := open()
		if err == nil {
			return s, nil
		}
		log.Warn("clickhouse unreachable, "+what+" wait in the log", "error", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			var zero S
			return zero, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// clickHouseDSN puts the configured password, if any, into the DSN.
func clickHouseDSN(c config.ClickHouse) (string, error) {
	if c.Password == "" {
		return c.DSN, nil
	}
	u, err := url.Parse(c.DSN)
	if err != nil {
		return "", err
	}
	user := "default"
	if u.User != nil && u.User.Username() != "" {
		user = u.User.Username()
	}
	u.User = url.UserPassword(user, c.Password)
	return u.String(), nil
}

// runJournalCDRs is the embedded path: one builder over the node's journal,
// resuming from the store's checkpoint.
func (p *pipeline) runJournalCDRs(ctx context.Context, raw, store cdr.Store, log *slog.Logger) error {
	b, err := cdr.NewBuilder(store, cdr.Config{FlushInterval: p.cfg.ClickHouse.FlushInterval, Rate: p.rate}, log)
	if err != nil {
		return err
	}
	p.cdrs.Store(&cdrSink{store: raw, stats: b.Stats})
	// No router here: the builder reads the journal directly, and from its
	// in-memory ring while it keeps up (cdr.Tail explains why).
	return cdr.Tail(ctx, p.journal, raw.Checkpoint, b, log)
}

// runKafkaCDRs consumes the events topic in a consumer group: builders
// sharing a store (ClickHouse) share a group and split the partitions;
// the node-local embedded store gets a group of its own, so it holds every
// CDR. Offsets are committed only up to what the store holds.
func (p *pipeline) runKafkaCDRs(ctx context.Context, raw, store cdr.Store, log *slog.Logger) error {
	group := p.cfg.Kafka.CDRGroup
	if group == "" {
		group = p.cfg.Kafka.TopicPrefix + "cdr"
		if !p.cfg.ClickHouse.On() {
			group += "." + p.cfg.NodeID
		}
	}
	sub, err := kafkabus.NewSubscriber(kafkabus.SubscriberConfig{Brokers: p.cfg.Kafka.Brokers, ConsumerGroup: group, ManualCommit: true}, log)
	if err != nil {
		return err
	}
	pub, err := kafkabus.NewPublisher(kafkabus.PublisherConfig{Brokers: p.cfg.Kafka.Brokers}, log)
	if err != nil {
		return err
	}
	defer pub.Close()
	t := p.topics()
	b, err := cdr.NewPartitioned(store, t.Events, sub, locateKafka, cdr.Config{FlushInterval: p.cfg.ClickHouse.FlushInterval, Rate: p.rate}, log)
	if err != nil {
		return err
	}
	p.cdrs.Store(&cdrSink{store: raw, stats: b.Stats})
	log.Info("cdr consumer on kafka", "group", group, "topic", t.Events)
	return cdr.Run(ctx, sub, t.Events, b, &cdr.Poison{Publisher: pub, Topic: t.Poison}, log)
}

func locateKafka(msg *message.Message) (int, int64, bool) {
	part, ok1 := kafkabus.PartitionFromCtx(msg.Context())
	off, ok2 := kafkabus.OffsetFromCtx(msg.Context())
	return part, off, ok1 && ok2
}
