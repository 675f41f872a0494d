// Command softswitch runs the event-sourced SIP switch and its tools.
//
//	softswitch run --config FILE [--sip ADDR] [--http ADDR] [--data DIR]
//	softswitch cdr list --config FILE [--json]
//	softswitch cdr rebuild --config FILE --out DIR
//	softswitch rates import --config FILE --deck NAME --side buy|sell --owner OWNER DECK.csv
//	softswitch settle --config FILE --carrier NAME --from T --to T [--wholesale MVNO] [--json|--csv]
//	softswitch reconcile --config FILE --carrier NAME --file CARRIER_CDRS.csv [--from T --to T] [--json]
//	softswitch replay --config FILE --call-id ID [--json]
//	softswitch audit rebuild --config FILE [--from T --to T] [--json]
//	softswitch audit state --config FILE --at T
//	softswitch audit verify --config FILE [--from N] [--to N] [--json]
//	softswitch audit export --config FILE --call-id ID --out DIR [--source auto|kafka]
//	softswitch audit verify-bundle DIR [--pubkey FILE|--pubkey-b64 KEY]; softswitch audit keygen --out FILE
//	softswitch calls search --config FILE [--caller N] [--callee N] [--trunk T] [--disposition D] [--from T] [--to T] [--json]
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

const usage = `usage:
  softswitch run --config FILE [--sip ADDR] [--http ADDR] [--data DIR]
  softswitch cdr list --config FILE [--json]
  softswitch cdr rebuild --config FILE --out DIR
  softswitch rates import --config FILE --deck NAME --side buy|sell --owner carrier:NAME|trunk:NAME|account:USER DECK.csv
  softswitch settle --config FILE --carrier NAME --from T --to T [--wholesale MVNO] [--json|--csv]
  softswitch reconcile --config FILE --carrier NAME --file CARRIER_CDRS.csv [--from T --to T]
      [--time-tolerance 2s] [--duration-tolerance 1s] [--amount-tolerance 0.01] [--json]
  softswitch audit rebuild --config FILE [--from T --to T] [--json]
  softswitch audit state --config FILE --at T
  softswitch audit verify --config FILE [--from N] [--to N] [--json]
  softswitch audit export --config FILE --call-id ID --out DIR [--source auto|kafka]
  softswitch audit verify-bundle DIR [--pubkey FILE|--pubkey-b64 KEY]
  softswitch audit keygen --out FILE
  softswitch calls search --config FILE [--caller N] [--callee N] [--trunk T] [--disposition D] [--from T] [--to T] [--json]
  softswitch replay --config FILE --call-id ID [--json]
` + campaignUsage

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
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&c.config, "config", "", "path to the YAML config file")
	fs.StringVar(&c.sip, "sip", "", "override sip.listen (host:port, UDP and TCP)")
	fs.StringVar(&c.http, "http", "", "override http.listen (host:port)")
	fs.StringVar(&c.data, "data", "", "override data_dir")
	return fs
}
