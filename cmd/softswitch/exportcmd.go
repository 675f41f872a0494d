package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"softswitch/audit/bundle"
	"softswitch/audit/replay"
	"softswitch/billing/cdr"
	"softswitch/domain"
)

// cmdAuditExport writes one call's bundle (audit/bundle, docs/audit.md):
// its envelopes, fetched as replay fetches them (the running switch's
// GET /api/v1/events, else the stopped journal), its CDR when one can be
// found, and the manifest that lets a third party verify them.
func cmdAuditExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("audit export", &cf)
	callID := fs.String("call-id", "", "the A-leg SIP Call-ID of the call")
	out := fs.String("out", "", "directory to write the bundle into")
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if *callID == "" || *out == "" {
		return usageError("--call-id ID and --out DIR are required\n" + usage)
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	envs, running, err := nodeCallEvents(ctx, cfg, *callID, stderr)
	if err != nil {
		return err
	}
	if len(envs) == 0 {
		return fmt.Errorf("no events for call %s (aggregate %s)", *callID, domain.CallKey(*callID))
	}
	h, err := replay.Build(*callID, envs)
	if err != nil {
		return err
	}
	c := callCDR(ctx, running, cfg.HTTP.Listen, filepath.Join(cfg.DataDir, "cdr"), h)
	m, err := bundle.Write(*out, *callID, envs, c)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported call %s: %d events, cdr %t, to %s\ndigest %s\n",
		*callID, len(m.Events), c != nil, *out, m.Digest)
	return nil
}

// callCDR finds the call's CDR the way callRating finds its rating; nil
// when there is none (yet) or it cannot be read: the CDR is optional.
func callCDR(ctx context.Context, running bool, addr, cdrDir string, h replay.History) *domain.CDR {
	var list []domain.CDR
	var err error
	if running {
		list, err = cdrsFor(ctx, addr, h.Caller, h.Callee)
	} else {
		list, err = cdrsFromStoreFiltered(ctx, cdrDir, cdr.Filter{Caller: h.Caller, Callee: h.Callee})
	}
	if err != nil {
		return nil
	}
	for i := range list {
		if list[i].CallID == h.CallID {
			return &list[i]
		}
	}
	return nil
}

// cmdAuditVerifyBundle checks a bundle against its manifest, without any
// config or access to the switch. A tampered bundle is an error (exit 1)
// naming the first file and line that does not match.
func cmdAuditVerifyBundle(args []string, stdout io.Writer) error {
	if len(args) != 1 || args[0] == "" || args[0][0] == '-' {
		return usageError("usage: softswitch audit verify-bundle DIR")
	}
	m, err := bundle.Verify(args[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bundle ok: call %s, %d events, %d files, chain %s\ndigest %s\n",
		m.CallID, len(m.Events), len(m.Files), m.Chain.Head, m.Digest)
	return nil
}
