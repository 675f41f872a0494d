package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"softswitch/billing/reconcile"
	"softswitch/billing/settle"
	"softswitch/billing/settle/chsettle"
)

// cmdReconcile matches a carrier's CDR file against our CDRs of that
// carrier (docs/settlement.md), prints the report and, with ClickHouse,
// stores one row per discrepancy in the reconciliation table.
func cmdReconcile(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("reconcile", &cf)
	carrier := fs.String("carrier", "", "carrier whose file this is (the CDR's carrier)")
	file := fs.String("file", "", "the carrier's CDR file (CSV: start,caller,callee,duration_s,amount,currency)")
	from := fs.String("from", "", "period start, RFC 3339 (default: the file's first start less --time-tolerance)")
	to := fs.String("to", "", "period end, RFC 3339, exclusive (default: the file's last start plus --time-tolerance)")
	o := reconcile.DefaultOptions
	fs.DurationVar(&o.Time, "time-tolerance", o.Time, "start times this close may match")
	fs.DurationVar(&o.Duration, "duration-tolerance", o.Duration, "larger duration differences are mismatches")
	amountTol := fs.String("amount-tolerance", "0.01", "larger amount differences are mismatches (decimal, the file's currency)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *carrier == "":
		return usageError("--carrier NAME is required\n" + usage)
	case *file == "":
		return usageError("--file CARRIER_CDRS.csv is required\n" + usage)
	case o.Time < 0 || o.Duration < 0:
		return usageError("--time-tolerance and --duration-tolerance must not be negative")
	}
	var err error
	if o.Amount, err = settle.ParseMicros(*amountTol); err != nil || o.Amount < 0 {
		return usageError(fmt.Sprintf("--amount-tolerance: want a non-negative decimal, got %q", *amountTol))
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	f, err := os.Open(*file)
	if err != nil {
		return fmt.Errorf("--file: %w", err)
	}
	theirs, err := reconcile.ReadCSV(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("--file %s: %w", *file, err)
	}
	since, until, err := reconcilePeriod(*from, *to, theirs, o.Time)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	var (
		src reconcile.Source
		ch  *chsettle.Source
	)
	if cfg.ClickHouse.On() {
		dsn, err := clickHouseDSN(cfg.ClickHouse)
		if err != nil {
			return err
		}
		if ch, err = chsettle.Open(ctx, chsettle.Config{DSN: dsn}, log); err != nil {
			return err
		}
		defer ch.Close()
		src = ch
	} else {
		// Through the running switch while it holds the store, as settle.
		src = reconcile.StoreSource{Store: liveStore{cfg}}
	}
	// Our CDRs are selected by setup time, and matched on answer time, a
	// ring later: read a margin before the period so a call answered in
	// it is not reported missing.
	ours, err := src.OurCalls(ctx, *carrier, since.Add(-ringMargin), until)
	if err != nil {
		return err
	}
	ours = slices.DeleteFunc(ours, func(c reconcile.Call) bool {
		return c.Start < since.UnixMilli() || c.Start >= until.UnixMilli()
	})
	res, err := reconcile.Match(ours, theirs, o)
	if err != nil {
		return err
	}
	rep := reconcile.NewReport(reconcile.Run{ID: newRunID(), At: time.Now().UTC(), Carrier: *carrier, File: filepath.Base(*file)}, res)
	if ch != nil {
		if err := ch.WriteReconciliation(ctx, rep); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.WriteText(stdout)
}

// ringMargin is how long before its answer a call may have started.
const ringMargin = 5 * time.Minute

// reconcilePeriod is [from, to) of the flags, or the file's span widened
// by the start tolerance.
func reconcilePeriod(from, to string, theirs []reconcile.Call, tol time.Duration) (time.Time, time.Time, error) {
	var since, until time.Time
	if len(theirs) > 0 {
		lo := slices.MinFunc(theirs, func(a, b reconcile.Call) int { return int(min(max(a.Start-b.Start, -1), 1)) })
		hi := slices.MaxFunc(theirs, func(a, b reconcile.Call) int { return int(min(max(a.Start-b.Start, -1), 1)) })
		since, until = time.UnixMilli(lo.Start-tol.Milliseconds()).UTC(), time.UnixMilli(hi.Start+tol.Milliseconds()+1).UTC()
	}
	var err error
	if from != "" {
		if since, err = time.Parse(time.RFC3339Nano, from); err != nil {
			return since, until, usageError(fmt.Sprintf("--from: want an RFC 3339 time, got %q", from))
		}
	}
	if to != "" {
		if until, err = time.Parse(time.RFC3339Nano, to); err != nil {
			return since, until, usageError(fmt.Sprintf("--to: want an RFC 3339 time, got %q", to))
		}
	}
	if since.IsZero() || until.IsZero() || !since.Before(until) {
		return since, until, usageError("--from and --to: need a non-empty period (the file has no rows to take it from)")
	}
	return since, until, nil
}

func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}
