package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"softswitch/billing/settle"
	"softswitch/billing/settle/chsettle"
	"softswitch/domain"
	"softswitch/internal/config"
)

// cmdSettle prints one carrier's statement for a period
// (docs/settlement.md): from ClickHouse when configured, else from the
// embedded store, through the running switch or read-only when stopped.
func cmdSettle(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("settle", &cf)
	carrier := fs.String("carrier", "", "carrier to settle with (the CDR's carrier)")
	from := fs.String("from", "", "period start, RFC 3339 (inclusive)")
	to := fs.String("to", "", "period end, RFC 3339 (exclusive)")
	wholesale := fs.String("wholesale", "", "an MVNO hosted by --carrier: only calls to its number ranges (wholesale statement)")
	asJSON := fs.Bool("json", false, "print the statement as one JSON object")
	asCSV := fs.Bool("csv", false, "print the lines as CSV, the totals as the last row")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	q, err := settleQuery(*carrier, *from, *to)
	if err != nil {
		return err
	}
	if *asJSON && *asCSV {
		return usageError("--json and --csv exclude each other")
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	if *wholesale != "" {
		if q.CalleePrefixes, err = wholesaleRanges(cfg, *carrier, *wholesale); err != nil {
			return err
		}
	}
	log := newLogger(cfg.Log, stderr)
	var src settle.Source
	if cfg.ClickHouse.On() {
		dsn, err := clickHouseDSN(cfg.ClickHouse)
		if err != nil {
			return err
		}
		s, err := chsettle.Open(ctx, chsettle.Config{DSN: dsn}, log)
		if err != nil {
			return err
		}
		defer s.Close()
		src = s
	} else {
		// The running switch holds the embedded store's lock: read
		// through it as cdr list does.
		src = settle.StoreSource{Store: liveStore{cfg}}
	}
	st, err := settle.Compute(ctx, src, q)
	if err != nil {
		return err
	}
	switch {
	case *asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	case *asCSV:
		return writeStatementCSV(stdout, st)
	}
	return writeStatementText(stdout, st)
}

// settleQuery reads the flags every statement needs; errors name them.
func settleQuery(carrier, from, to string) (settle.Query, error) {
	if carrier == "" {
		return settle.Query{}, usageError("--carrier NAME is required\n" + usage)
	}
	f, err := time.Parse(time.RFC3339Nano, from)
	if err != nil {
		return settle.Query{}, usageError(fmt.Sprintf("--from: want an RFC 3339 time, got %q", from))
	}
	t, err := time.Parse(time.RFC3339Nano, to)
	if err != nil {
		return settle.Query{}, usageError(fmt.Sprintf("--to: want an RFC 3339 time, got %q", to))
	}
	if !f.Before(t) {
		return settle.Query{}, usageError("--from must be before --to")
	}
	return settle.Query{Carrier: carrier, From: f, To: t}, nil
}

// wholesaleRanges are the E.164 prefixes of mvno's numbers hosted by
// host: its numbering.segments rows and the numbers ported to it.
func wholesaleRanges(cfg *config.Config, host, mvno string) ([]string, error) {
	i := slices.IndexFunc(cfg.Carriers, func(c config.Carrier) bool { return c.Name == mvno })
	if i < 0 || cfg.Carriers[i].Kind != domain.CarrierMVNO || cfg.Carriers[i].Host != host {
		return nil, usageError(fmt.Sprintf("--wholesale: %q is not an mvno hosted by --carrier %q in carriers", mvno, host))
	}
	var ranges []string
	for _, sg := range cfg.Numbering.Segments {
		if sg.Carrier == mvno {
			ranges = append(ranges, cfg.Numbering.CountryCode+sg.Prefix)
		}
	}
	for num, to := range cfg.Numbering.Ported {
		if to == mvno {
			ranges = append(ranges, num)
		}
	}
	if len(ranges) == 0 {
		return nil, usageError(fmt.Sprintf("--wholesale: no numbering.segments or numbering.ported rows name %q", mvno))
	}
	slices.Sort(ranges)
	return ranges, nil
}

func writeStatementText(w io.Writer, st settle.Statement) error {
	fmt.Fprintf(w, "carrier %s  %s .. %s  currency %s\n", st.Carrier, st.From.Format(time.RFC3339), st.To.Format(time.RFC3339), st.Currency)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PREFIX\tCALLS\tANSWERED\tUNRATED\tBILLABLE_S\tMINUTES\tAMOUNT\tASR\tACD\t")
	for _, l := range st.Lines {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t\n", l.Prefix, l.Calls, l.Answered, l.Unrated, l.BillableS, l.Minutes, l.Amount, l.ASR, l.ACD)
	}
	fmt.Fprintf(tw, "TOTAL\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t\n", st.Calls, st.Answered, st.Unrated, st.BillableS, st.Minutes, st.Amount, st.ASR, st.ACD)
	return tw.Flush()
}

func writeStatementCSV(w io.Writer, st settle.Statement) error {
	cw := csv.NewWriter(w)
	rec := func(prefix string, calls, answered, unrated, bs int64, minutes json.Number, amount string, asr, acd json.Number) []string {
		return []string{prefix, fmtInt(calls), fmtInt(answered), fmtInt(unrated), fmtInt(bs), minutes.String(), amount, st.Currency, asr.String(), acd.String()}
	}
	_ = cw.Write([]string{"prefix", "calls", "answered", "unrated", "billable_s", "minutes", "amount", "currency", "asr", "acd"})
	for _, l := range st.Lines {
		_ = cw.Write(rec(l.Prefix, l.Calls, l.Answered, l.Unrated, l.BillableS, l.Minutes, l.Amount, l.ASR, l.ACD))
	}
	_ = cw.Write(rec("TOTAL", st.Calls, st.Answered, st.Unrated, st.BillableS, st.Minutes, st.Amount, st.ASR, st.ACD))
	cw.Flush()
	return cw.Error()
}

func fmtInt(v int64) string { return strconv.FormatInt(v, 10) }
