package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"time"

	"softswitch/dialer"
	"softswitch/eventstore/journal"
	"softswitch/internal/config"
	"softswitch/projections"
	"softswitch/switching"
	"softswitch/switching/auth"
)

func cmdRun(ctx context.Context, args []string, stderr io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("run", &cf)
	fs.SetOutput(stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr).With("node", cfg.NodeID)
	return run(ctx, cfg, log)
}

// run wires the switch by hand: journal, projections, switching, the CDR
// consumer and the admin API, all on one logger.
func run(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	store, err := journal.Open(ctx, filepath.Join(cfg.DataDir, "journal"),
		journal.Options{SegmentBytes: cfg.Journal.SegmentBytes, MaxDelay: cfg.Journal.MaxDelay}, log.With("component", "journal"))
	if err != nil {
		return err
	}
	defer store.Close()

	subs, loc, calls := projections.NewSubscribers(), projections.NewLocation(), projections.NewCalls()
	ic, load := projections.NewInterconnect(), projections.NewTrunkLoad(time.Now)
	decks, balances := projections.NewRateDecks(), projections.NewBalances()
	banned := projections.NewBans()
	set := projections.Set{subs, loc, calls, ic, load, decks, banned}
	var campaigns *dialer.Campaigns
	if cfg.Dialer.Enabled {
		// Campaigns, leads, decisions and the DNC list, replayed with the
		// rest and applied as the dialer records.
		campaigns = dialer.NewCampaigns()
		set = append(set, campaigns)
	}
	if !cfg.Kafka.On() {
		// Embedded, the balances fold this node's journal. In a cluster
		// they fold every node's account events in the shared log's
		// order instead (pipeline.runRemote), so all nodes decide
		// reservations alike.
		set = append(set, balances)
	}
	start := time.Now()
	head, err := set.Replay(ctx, store)
	if err != nil {
		return fmt.Errorf("replay projections: %w", err)
	}
	aors, bindings := loc.Count()
	log.Info("projections rebuilt from journal", "head", head, "aors", aors, "bindings", bindings, "took", time.Since(start))

	m := &switching.Metrics{}
	rec := switching.NewRecorder(store, set, cfg.NodeID, time.Now, m)
	icProv := switching.NewInterconnectProvisioner(rec, ic)
	if n, err := icProv.Sync(ctx, cfg.InterconnectDefinitions()); err != nil {
		return fmt.Errorf("provision carriers, trunks, routes and DIDs: %w", err)
	} else if n > 0 {
		log.Info("interconnect definitions changed", "events", n)
	}
	x, err := newInterconnect(cfg, ic, load)
	if err != nil {
		return err
	}
	ledger := switching.NewLedger(rec, balances, cfg.Kafka.On(), cfg.Kafka.LedgerTimeout)
	pipe, err := newPipeline(cfg, store, set, []projections.Projection{ic, load}, balances, decks.Rater, log)
	if err != nil {
		return err
	}
	pipe.start(ctx)
	if x.Spend, err = newSpend(ctx, cfg, ledger, decks); err != nil {
		return err
	}
	prov := switching.NewProvisioner(cfg.SIP.Realm, rec, subs, loc)
	for _, s := range cfg.Subscribers {
		if _, err := prov.Provision(ctx, s.User, s.Password); err != nil {
			return fmt.Errorf("provision %s: %w", s.User, err)
		}
	}

	// Subscribers, and the trunks whose INVITEs must authenticate
	// (inbound_auth), whose passwords stay in the config.
	trunkCreds := map[string]auth.Credentials{}
	for _, t := range cfg.InboundCredentials() {
		trunkCreds[t.Username] = auth.Credentials{HA1MD5: auth.HA1(auth.MD5, t.Username, cfg.SIP.Realm, t.Password),
			HA1SHA256: auth.HA1(auth.SHA256, t.Username, cfg.SIP.Realm, t.Password)}
	}
	authn, err := auth.New(auth.Config{Realm: cfg.SIP.Realm, Algorithms: cfg.SIP.AuthAlgorithms, NonceLifetime: cfg.SIP.NonceLifetime},
		func(user string) (auth.Credentials, bool) {
			if c, ok := trunkCreds[user]; ok {
				return c, true
			}
			c, ok := subs.Lookup(user)
			return auth.Credentials{HA1MD5: c.HA1MD5, HA1SHA256: c.HA1SHA256}, ok && c.Realm == cfg.SIP.Realm
		})
	if err != nil {
		return err
	}
	bans, err := auth.NewLimiter(auth.LimiterConfig{MaxFailures: cfg.Security.MaxAuthFailures, Window: cfg.Security.FailureWindow,
		BanFor: cfg.Security.BanDuration, MaxSources: cfg.Security.MaxTrackedSources,
		TrustFor: cfg.Security.TrustedFor, TrustedFactor: cfg.Security.TrustedFactor})
	if err != nil {
		return err
	}
	// Bans are journaled: a restart keeps the ones still in force.
	for src, until := range banned.InForce(time.Now()) {
		bans.Ban(src, until)
	}
	sipLog := log.With("component", "sip")
	guard := switching.NewGuard(authn, bans, cfg.Security.ScannerUserAgents, rec, m, sipLog)
	guardDone := make(chan struct{})
	go func() { defer close(guardDone); guard.Run(ctx, cfg.Security.AuthFailureInterval) }()
	disk := switching.NewDiskGuard(cfg.DataDir, uint64(cfg.Journal.MinFreeBytes), m, log.With("component", "disk"))
	disk.Check()
	guard.WatchDisk(disk)
	diskDone := make(chan struct{})
	go func() { defer close(diskDone); disk.Run(ctx, time.Second) }()
	readers := cfg.SIP.UDPReaders
	if readers == 0 {
		readers = runtime.GOMAXPROCS(0)
	}
	overload := &switching.Overload{Threshold: cfg.SIP.OverloadQueueDelay, RetryAfter: cfg.SIP.OverloadRetryAfter}
	scfg := switching.ServerConfig{Overload: overload, Listen: cfg.SIP.Listen, UserAgent: cfg.SIP.UserAgent, UDPBufferBytes: cfg.SIP.UDPBufferBytes, UDPReaders: readers, UDPShards: cfg.SIP.UDPShards, SweepInterval: time.Second,
		Edge: switching.EdgeConfig{MaxMessageBytes: cfg.SIP.Edge.MaxMessageBytes, TCPMaxConnections: cfg.SIP.Edge.TCPMaxConnections,
			TCPMaxConnectionsPerSource: cfg.SIP.Edge.TCPMaxConnectionsPerSource, TCPIdleTimeout: cfg.SIP.Edge.TCPIdleTimeout,
			ErrorAnswersPerSecond: cfg.SIP.Edge.ErrorAnswersPerSecond}}
	st, err := switching.NewSIPStack(scfg, m, sipLog)
	if err != nil {
		return err
	}
	trusted := cfg.TrustedContacts()
	edge := switching.RegistrationEdge{Networks: cfg.Security.Networks, TrunkAt: ic.TrunkAt, TrustContact: func(u string) bool { return trusted[u] }}
	reg := switching.NewRegistrar(switching.RegistrarConfig{MinExpires: cfg.SIP.MinExpires, MaxExpires: cfg.SIP.MaxExpires,
		DefaultExpires: cfg.SIP.DefaultExpires, MaxContacts: cfg.SIP.MaxContacts, Edge: edge}, guard, rec, loc, subs, m, sipLog)
	mediaCfg, err := mediaConfig(cfg, log.With("component", "media"))
	if err != nil {
		return err
	}
	b2b := switching.NewB2BUA(switching.B2BUAConfig{Overload: overload, Media: mediaCfg, RingTimeout: cfg.SIP.RingTimeout, MaxDuration: cfg.SIP.MaxCallDuration, Realm: cfg.SIP.Realm,
		TrunkAttemptTimeout: cfg.SIP.TrunkAttemptTimeout, CaptureFull: cfg.Audit.Capture == "full",
		SessionTimer: switching.SessionTimerConfig{Expires: cfg.SIP.SessionExpires, MinSE: cfg.SIP.MinSE}, Edge: edge}, st.Dialogs, guard, rec, loc, subs, x, m, sipLog)
	server := switching.NewServer(scfg, st, reg, b2b, guard, m, sipLog)
	keeper := switching.NewTrunkKeeper(x, st.Client, rec, cfg.SIP.Listen, sipLog.With("component", "trunks"))
	keeperDone := make(chan struct{})
	go func() { defer close(keeperDone); keeper.Run(ctx) }()
	anch := newAnchorer(cfg.DataDir, rec, log.With("component", "audit"))
	anchorDone := make(chan struct{})
	go func() { defer close(anchorDone); anch.run(ctx, cfg.Audit.AnchorInterval) }()

	// The calls the previous run left open, listed before this run starts
	// any, are closed once SIP is up (their BYEs need the transports).
	recovery := &switching.Recovery{Rec: rec, Calls: calls, Read: store.ReadAggregate, Client: st.Client,
		Contact: st.Dialogs.ContactHDR, Spend: x.Spend, M: m, Log: sipLog.With("component", "recovery")}
	orphans := recovery.Orphans()
	recoveryDone := make(chan struct{})
	go func() {
		defer close(recoveryDone)
		select {
		case <-server.Ready():
		case <-ctx.Done():
			return
		}
		if n, err := recovery.Run(ctx, orphans); err != nil {
			log.Error("close orphaned calls", "error", err, "closed", n)
		} else if n > 0 {
			log.Warn("ended calls left open by the previous run", "calls", n)
		}
	}()
	heartbeatDone := make(chan struct{})
	go func() {
		defer close(heartbeatDone)
		switching.Heartbeat(ctx, rec, calls, cfg.Journal.HeartbeatInterval, log.With("component", "heartbeat"))
	}()

	dial, err := newDialer(cfg, st.OutboundAddr(), rec, subs, loc, calls, campaigns, log.With("component", "dialer"))
	if err != nil {
		return fmt.Errorf("dialer: %w", err)
	}
	dialerDone := runDialer(ctx, dial)
	admin := &admin{dialer: dial, cfg: cfg, ready: server.Ready(), m: m, loc: loc, calls: calls, subs: subs, prov: prov, pipe: pipe, ic: ic, load: load, icProv: icProv, x: x, decks: newDeckPublisher(rec, decks), balances: balances, journal: store, store: store, b2b: b2b, disk: disk, bans: bans, log: log}
	httpSrv := &http.Server{Handler: admin.handler(), ReadHeaderTimeout: 5 * time.Second}
	hl, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http.listen %s: %w", cfg.HTTP.Listen, err)
	}
	go func() {
		if err := httpSrv.Serve(hl); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin http", "error", err)
		}
	}()
	log.Info("admin http listening", "addr", hl.Addr().String())

	sipErr := server.Run(ctx)
	cancel()
	shutCtx, shutCancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer shutCancel()
	_ = httpSrv.Shutdown(shutCtx)
	pipe.wait()
	<-keeperDone
	<-anchorDone
	<-recoveryDone
	<-heartbeatDone
	<-dialerDone
	<-guardDone
	<-diskDone
	log.Info("stopped")
	return sipErr
}
