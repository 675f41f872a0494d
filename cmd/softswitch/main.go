// Command softswitch runs the event-sourced SIP switch and its tools.
// `softswitch` with no arguments lists every verb (verbs below); `softswitch
// VERB --help` lists the verb's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// defaultGCPercent trades heap for CPU: at GOGC=100 the collector took
// about 30 % of the switch's CPU under call load (docs/benchmarks.md). A
// GOGC set in the environment wins.
const defaultGCPercent = 400

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		var he helpError
		if errors.As(err, &he) {
			fmt.Fprint(os.Stdout, string(he)) // VERB --help
			return
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "softswitch:", err)
		os.Exit(1)
	}
}

type usageError string

func (u usageError) Error() string { return string(u) }

// verbs are the command's verbs with their synopses: every flag a verb's
// --help lists is in its synopsis (TestUsageListsEveryFlag), except the
// overrides every verb reading --config takes (commonFlags).
var verbs = []struct{ name, synopsis string }{
	{"run", "--config FILE [--sip ADDR] [--http ADDR] [--data DIR]"},
	{"cdr list", "--config FILE [--json]"},
	{"cdr rebuild", "--config FILE --out DIR"},
	{"rates import", "--config FILE --deck NAME --side buy|sell --owner carrier:NAME|trunk:NAME|account:USER DECK.csv"},
	{"settle", "--config FILE --carrier NAME --from T --to T [--wholesale MVNO] [--json|--csv]"},
	{"reconcile", "--config FILE --carrier NAME --file CARRIER_CDRS.csv [--from T --to T] [--time-tolerance 2s] [--duration-tolerance 1s] [--amount-tolerance 0.01] [--json]"},
	{"replay", "--config FILE --call-id ID [--source auto|kafka] [--since T] [--json]"},
	{"calls search", "--config FILE [--caller N] [--callee N] [--trunk T] [--disposition D] [--sip-call-id ID] [--from T] [--to T] [--limit N] [--json]"},
	{"audit rebuild", "--config FILE [--from T --to T] [--json]"},
	{"audit state", "--config FILE --at T"},
	{"audit verify", "--config FILE [--from N] [--to N] [--anchors FILE] [--index=false] [--recordings=false] [--kafka] [--json]"},
	{"audit export", "--config FILE --call-id ID --out DIR [--source auto|kafka] [--since T]"},
	{"audit verify-bundle", "DIR [--pubkey FILE|--pubkey-b64 KEY]"},
	{"audit keygen", "--out FILE"},
	{"campaign define", "--config FILE SPEC.json|SPEC.yaml"},
	{"campaign leads", "--config FILE --name NAME LEADS.csv"},
	{"campaign start", "--config FILE --name NAME"},
	{"campaign pause", "--config FILE --name NAME"},
	{"campaign resume", "--config FILE --name NAME"},
	{"campaign stop", "--config FILE --name NAME"},
	{"campaign agent", "--config FILE --name NAME --agent USER --login|--logout"},
	{"campaign show", "--config FILE [--name NAME]"},
	{"dnc add", "--config FILE NUMBERS.csv"},
}

// usage lists every verb; `softswitch VERB --help` lists its flags.
var usage = func() string {
	var b strings.Builder
	b.WriteString("usage:\n")
	for _, v := range verbs {
		fmt.Fprintf(&b, "  softswitch %s %s\n", v.name, v.synopsis)
	}
	b.WriteString("\nEvery verb that reads --config FILE also takes --data DIR, --http ADDR and --sip ADDR,\n" +
		"overriding data_dir, http.listen and sip.listen. T is an RFC 3339 time.\n" +
		"softswitch VERB --help lists the verb's flags.")
	return b.String()
}()

// synopsis is a verb's line of the usage.
func synopsis(verb string) string {
	for _, v := range verbs {
		if v.name == verb {
			return v.synopsis
		}
	}
	return ""
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError(usage)
	}
	switch args[0] {
	case "run":
		return cmdRun(ctx, args[1:], stderr)
	case "cdr":
		if len(args) < 2 {
			return usageError(usage)
		}
		switch args[1] {
		case "list":
			return cmdCDRList(ctx, args[2:], stdout)
		case "rebuild":
			return cmdCDRRebuild(ctx, args[2:], stdout, stderr)
		}
	case "rates":
		return cmdRates(ctx, args[1:], stdout)
	case "settle":
		return cmdSettle(ctx, args[1:], stdout, stderr)
	case "reconcile":
		return cmdReconcile(ctx, args[1:], stdout, stderr)
	case "replay":
		return cmdReplay(ctx, args[1:], stdout, stderr)
	case "campaign":
		return cmdCampaign(ctx, args[1:], stdout)
	case "dnc":
		return cmdDNC(ctx, args[1:], stdout)
	case "calls":
		if len(args) < 2 || args[1] != "search" {
			return usageError(usage)
		}
		return cmdCallsSearch(ctx, args[2:], stdout)
	case "audit":
		if len(args) < 2 {
			return usageError(usage)
		}
		switch args[1] {
		case "rebuild":
			return cmdAuditRebuild(ctx, args[2:], stdout, stderr)
		case "state":
			return cmdAuditState(ctx, args[2:], stdout, stderr)
		case "verify":
			return cmdAuditVerify(ctx, args[2:], stdout)
		case "export":
			return cmdAuditExport(ctx, args[2:], stdout, stderr)
		case "verify-bundle":
			return cmdAuditVerifyBundle(ctx, args[2:], stdout)
		case "keygen":
			return cmdAuditKeygen(args[2:], stdout)
		}
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return usageError(usage)
}

// commonFlags are shared by every subcommand that reads the config.
type commonFlags struct {
	config string
	sip    string
	http   string
	data   string
}

func newFlagSet(name string, c *commonFlags) *flag.FlagSet {
	fs := newVerbFlagSet(name)
	fs.StringVar(&c.config, "config", "", "path to the YAML config file")
	fs.StringVar(&c.sip, "sip", "", "override sip.listen (host:port, UDP and TCP)")
	fs.StringVar(&c.http, "http", "", "override http.listen (host:port)")
	fs.StringVar(&c.data, "data", "", "override data_dir")
	return fs
}

// helpError carries a verb's --help text: main prints it and exits 0.
type helpError string

func (h helpError) Error() string { return string(h) }

// parseFlags parses a verb's flags: --help is a helpError with the verb's
// synopsis and every flag; any other error is a usage error (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) error {
	var out strings.Builder
	fs.SetOutput(&out) // the flag package's own complaint goes in the error
	err := fs.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		return helpError(out.String())
	}
	return usageError(err.Error() + "\n" + "usage: softswitch " + fs.Name() + " " + synopsis(fs.Name()))
}

// newVerbFlagSet is a verb's flag set whose --help prints the verb's
// synopsis and every flag (to stderr; main exits 0 for it).
func newVerbFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: softswitch %s %s\n\nflags:\n", name, synopsis(name))
		fs.PrintDefaults()
	}
	return fs
}
