package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
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
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
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

func cdrsFromSwitch(ctx context.Context, addr string) ([]domain.CDR, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/api/v1/cdrs", nil)
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
		return nil, fmt.Errorf("switch at %s answered %s: %s", addr, res.Status, b)
	}
	var list []domain.CDR
	return list, json.NewDecoder(res.Body).Decode(&list)
}

func cdrsFromStore(ctx context.Context, dir string) ([]domain.CDR, error) {
	s, err := boltstore.OpenReadOnly(dir, time.Second)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.List(ctx, cdr.Filter{})
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
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
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
