package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"softswitch/billing/cdr"
	"softswitch/billing/cdr/boltstore"
	"softswitch/domain"
	"softswitch/eventstore"
	"softswitch/eventstore/journal"
	"softswitch/internal/config"
	"softswitch/projections"
)

// cmdAuditRebuild replays the log into fresh CDRs in a scratch store and
// compares them with the live CDR store: every CDR missing, extra or
// different is reported. On a healthy system it reports none. The log is
// read from the running switch's admin API (its journal is locked while
// it runs) or, when none answers, from the journal itself.
func cmdAuditRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("audit rebuild", &cf)
	fromS := fs.String("from", "", "compare CDRs of calls started at or after this RFC 3339 time")
	toS := fs.String("to", "", "... and before this one")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	var f cdr.Filter
	if *fromS != "" {
		if f.Since, err = time.Parse(time.RFC3339, *fromS); err != nil {
			return usageError("--from: " + err.Error())
		}
	}
	if *toS != "" {
		if f.Until, err = time.Parse(time.RFC3339, *toS); err != nil {
			return usageError("--to: " + err.Error())
		}
	}
	log := newLogger(cfg.Log, stderr)
	src, err := auditSource(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer src.Close()

	decks := projections.NewRateDecks()
	if _, err := (projections.Set{decks}).Replay(ctx, src); err != nil {
		return fmt.Errorf("rate decks: %w", err)
	}
	dir, err := os.MkdirTemp("", "softswitch-audit-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	scratch, err := boltstore.Open(dir, boltstore.Options{NoSync: true})
	if err != nil {
		return err
	}
	defer scratch.Close()
	start := time.Now()
	st, err := cdr.Rebuild(ctx, src, scratch, cdr.Config{Rate: decks.Rater().Rate}, log)
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	rebuildTook := time.Since(start)
	// The two listings are independent reads (mostly JSON decoding), so
	// they share the machine's CPUs.
	var rebuilt, live []domain.CDR
	var rerr, lerr error
	var wg sync.WaitGroup
	wg.Go(func() { rebuilt, rerr = scratch.List(ctx, f) })
	wg.Go(func() { live, lerr = liveCDRs(ctx, cfg, f) })
	wg.Wait()
	if rerr != nil {
		return rerr
	}
	if lerr != nil {
		return fmt.Errorf("live CDRs: %w", lerr)
	}
	rep := compareCDRs(rebuilt, live)
	rep.Events, rep.Took = st.Events, time.Since(start).Round(time.Millisecond).String()
	rep.RebuildTook = rebuildTook.Round(time.Millisecond).String()
	if s := rebuildTook.Seconds(); s > 0 {
		rep.RebuildRate = float64(st.Events) / s
	}
	if *asJSON {
		if err := json.NewEncoder(stdout).Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "replayed %d events into %d CDRs in %s (%.0f events/s); compared with the live store (%d CDRs): %s in all\n",
			rep.Events, rep.Rebuilt, rep.RebuildTook, rep.RebuildRate, rep.Live, rep.Took)
		for _, d := range rep.Differences {
			fmt.Fprintf(stdout, "%-9s %s call %s %s\n", d.Kind, d.ID, d.CallID, d.Detail)
		}
		fmt.Fprintf(stdout, "%d differences\n", len(rep.Differences))
	}
	if len(rep.Differences) > 0 {
		return errDifferences
	}
	return nil
}

// errDifferences makes the command exit non-zero when the live CDRs do not
// match the log.
var errDifferences = errors.New("audit: live CDRs differ from the log")

// auditReport is what audit rebuild found.
type auditReport struct {
	Events  uint64 `json:"events"`
	Rebuilt int    `json:"rebuilt"`
	Live    int    `json:"live"`
	Took    string `json:"took"` // rebuild and comparison
	// RebuildTook and RebuildRate are the replay into the scratch store
	// alone.
	RebuildTook string       `json:"rebuild_took"`
	RebuildRate float64      `json:"rebuild_events_per_s"`
	Differences []difference `json:"differences"`
}

type difference struct {
	Kind   string `json:"kind"` // missing (not in the live store), extra (not in the log), different
	ID     string `json:"id"`
	CallID string `json:"call_id"`
	Detail string `json:"detail,omitempty"`
}

// compareCDRs diffs the rebuilt CDRs with the live ones by id. A live CDR
// re-rated since (a higher rating version) is compared without its rating:
// its history is in the rating audit table, not in the log.
func compareCDRs(rebuilt, live []domain.CDR) auditReport {
	rep := auditReport{Rebuilt: len(rebuilt), Live: len(live)}
	byID := make(map[string]domain.CDR, len(live))
	for _, c := range live {
		byID[c.ID] = c
	}
	for _, r := range rebuilt {
		l, ok := byID[r.ID]
		if !ok {
			rep.Differences = append(rep.Differences, difference{Kind: "missing", ID: r.ID, CallID: r.CallID})
			continue
		}
		delete(byID, r.ID)
		if l.RatingVersion > r.RatingVersion {
			l.Rating, r.Rating = domain.Rating{}, domain.Rating{}
		}
		l.RatingVersion, r.RatingVersion = 0, 0
		a, _ := json.Marshal(r)
		b, _ := json.Marshal(l)
		if string(a) != string(b) {
			rep.Differences = append(rep.Differences, difference{Kind: "different", ID: r.ID, CallID: r.CallID,
				Detail: "log: " + string(a) + " live: " + string(b)})
		}
	}
	var extra []domain.CDR
	for _, l := range byID {
		extra = append(extra, l)
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i].ID < extra[j].ID })
	for _, l := range extra {
		rep.Differences = append(rep.Differences, difference{Kind: "extra", ID: l.ID, CallID: l.CallID})
	}
	return rep
}

// liveCDRs reads the live CDR store: ClickHouse when configured, else the
// running switch, else the embedded store read-only.
func liveCDRs(ctx context.Context, cfg *config.Config, f cdr.Filter) ([]domain.CDR, error) {
	var list []domain.CDR
	var err error
	if cfg.ClickHouse.On() {
		list, err = cdrsFromClickHouse(ctx, cfg)
	} else {
		list, err = embeddedCDRs(ctx, cfg, f)
	}
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, c := range list {
		if f.Match(c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// auditSource is the node's log: streamed from the running switch, or the
// journal when the switch is stopped.
func auditSource(ctx context.Context, cfg *config.Config, log *slog.Logger) (eventstore.Store, error) {
	envs, err := eventsFromSwitch(ctx, newAdminAPI(cfg.HTTP))
	if err == nil {
		s := &sliceStore{}
		return s, s.Append(ctx, envs)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return nil, err
	}
	return journal.Open(ctx, filepath.Join(cfg.DataDir, "journal"), journal.Options{}, log)
}

// eventsFromSwitch reads the whole journal from the admin API, page by
// page (replay's eventsPage).
func eventsFromSwitch(ctx context.Context, api adminAPI) ([]domain.Envelope, error) {
	var out []domain.Envelope
	for from := uint64(1); ; {
		n, next, err := eventsPage(ctx, api, from, func(env domain.Envelope) { out = append(out, env) })
		if err != nil {
			return nil, err
		}
		if n < replayPage {
			return out, nil
		}
		from = next
	}
}

// sliceStore is an in-memory eventstore.Store over envelopes read from the
// running switch, keeping their positions.
type sliceStore struct {
	mu   sync.Mutex
	envs []domain.Envelope
}

func (s *sliceStore) Append(_ context.Context, envs []domain.Envelope) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.envs = append(s.envs, envs...)
	return nil
}

func (s *sliceStore) Read(ctx context.Context, from uint64, fn func(domain.Envelope) error) error {
	s.mu.Lock()
	envs := s.envs
	s.mu.Unlock()
	for _, e := range envs {
		if e.Position < from {
			continue
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func (s *sliceStore) Head() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.envs) == 0 {
		return 0
	}
	return s.envs[len(s.envs)-1].Position
}

func (s *sliceStore) WaitFor(ctx context.Context, pos uint64) error {
	if s.Head() >= pos {
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}

func (s *sliceStore) Close() error { return nil }
