package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"softswitch/billing/cdr"
	"softswitch/billing/cdr/boltstore"
	"softswitch/billing/cdr/chstore"
	"softswitch/domain"
	"softswitch/eventstore/journal"
	"softswitch/internal/config"
	"softswitch/projections"
)

// cmdCDRList prints CDRs. While the switch runs it holds the CDR store's
// lock, so the running switch is asked over HTTP first; when nothing
// listens, the store is opened read-only.
func cmdCDRList(ctx context.Context, args []string, stdout io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("cdr list", &cf)
	asJSON := fs.Bool("json", false, "print one JSON object per line")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	list, err := liveCDRs(ctx, cfg, cdr.Filter{})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, c := range list {
			if err := enc.Encode(c); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "START\tCALLER\tCALLEE\tDISPOSITION\tSIP\tDURATION_MS\tBILLABLE_S\tCALL_ID")
	for _, c := range list {
		start, _ := c.Start.MarshalJSON()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", start, c.Caller, c.Callee, c.Disposition, c.SIPCode, c.DurationMS, c.BillableS, c.CallID)
	}
	return tw.Flush()
}

// embeddedCDRs reads the embedded CDR store. The running switch holds the
// store's lock for as long as it runs, so it is asked over its admin API
// first; only when nothing listens on http.listen is the file opened
// read-only. cdr list, calls search, settle and reconcile all read it here.
func embeddedCDRs(ctx context.Context, cfg *config.Config, f cdr.Filter) ([]domain.CDR, error) {
	list, err := cdrsFromSwitch(ctx, newAdminAPI(cfg.HTTP), f)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return list, err
	}
	list, err = cdrsFromStoreFiltered(ctx, filepath.Join(cfg.DataDir, "cdr"), f)
	if err != nil {
		// Say both halves: the lock alone suggests a running switch, which
		// then does not answer where this config says it listens.
		return nil, fmt.Errorf("no switch answers on http.listen %s (is --config the running switch's?), and reading the store: %w", cfg.HTTP.Listen, err)
	}
	return list, nil
}

// cdrsFromSwitch asks the running switch for the CDRs matching f. The
// fields cdr.Filter.Match checks are sent, so the switch lists only the
// period asked for rather than its whole store.
func cdrsFromSwitch(ctx context.Context, api adminAPI, f cdr.Filter) ([]domain.CDR, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	q := url.Values{}
	for k, v := range map[string]string{"caller": f.Caller, "callee": f.Callee, "disposition": f.Disposition} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if !f.Since.IsZero() {
		q.Set("from", f.Since.UTC().Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		q.Set("to", f.Until.UTC().Format(time.RFC3339Nano))
	}
	req, err := api.request(ctx, http.MethodGet, "/api/v1/cdrs?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err // ECONNREFUSED (wrapped) sends the caller to the store
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return nil, api.answered(res, b)
	}
	var list []domain.CDR
	return list, json.NewDecoder(res.Body).Decode(&list)
}

// liveStore is liveCDRs as the settle.Lister that settle.StoreSource and
// reconcile.StoreSource fold.
type liveStore struct{ cfg *config.Config }

func (s liveStore) List(ctx context.Context, f cdr.Filter) ([]domain.CDR, error) {
	return liveCDRs(ctx, s.cfg, f)
}

func cdrsFromClickHouse(ctx context.Context, cfg *config.Config) ([]domain.CDR, error) {
	dsn, err := clickHouseDSN(cfg.ClickHouse)
	if err != nil {
		return nil, err
	}
	s, err := chstore.Open(ctx, chstore.Config{DSN: dsn}, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.List(ctx, cdr.Filter{})
}

// cmdCDRRebuild replays the journal into a fresh CDR store at --out, the
// proof that CDRs are a deterministic function of the log.
func cmdCDRRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("cdr rebuild", &cf)
	out := fs.String("out", "", "directory of the new CDR store (must not hold one)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError("--out DIR is required\n" + usage)
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	src, err := journal.Open(ctx, filepath.Join(cfg.DataDir, "journal"), journal.Options{}, log)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := boltstore.Open(*out, boltstore.Options{NoSync: true})
	if err != nil {
		return err
	}
	defer dst.Close()
	// CDRs are rated as they are built, with the decks the log published
	// (the live consumer does the same), so a rebuild gives the same
	// records.
	decks := projections.NewRateDecks()
	if _, err := (projections.Set{decks}).Replay(ctx, src); err != nil {
		return fmt.Errorf("rate decks: %w", err)
	}
	rater := decks.Rater()
	start := time.Now()
	st, err := cdr.Rebuild(ctx, src, dst, cdr.Config{Rate: rater.Rate}, log)
	if err != nil {
		return err
	}
	log.Info("rebuilt CDRs", slog.Any("stats", st), "took", time.Since(start))
	fmt.Fprintf(stdout, "rebuilt into %s\n", *out)
	return nil
}
