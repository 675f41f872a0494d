package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"softswitch/audit/bundle"
	"softswitch/audit/replay"
	"softswitch/billing/cdr"
	"softswitch/domain"
	"softswitch/internal/config"
)

// cmdAuditExport writes one call's bundle (audit/bundle, docs/audit.md):
// its envelopes, fetched as replay fetches them (the running switch's
// GET /api/v1/events, else the stopped journal, or --source kafka), their
// journal proofs read from <data_dir>/journal directly (read-only, also
// beside a running switch), the latest anchor covering the call, its CDR
// when one can be found, and the manifest, signed when a key is configured.
func cmdAuditExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("audit export", &cf)
	callID := fs.String("call-id", "", "the A-leg SIP Call-ID of the call")
	out := fs.String("out", "", "directory to write the bundle into")
	source := fs.String("source", "auto", "where to read the events: auto (the running switch, else the journal) or kafka (the shared events topic; the bundle then has no journal proofs)")
	var since timeFlag
	fs.Var(&since, "since", "with --source kafka: RFC 3339 time at or before the call's start; the call's partition is read from there")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *callID == "" || *out == "" {
		return usageError("--call-id ID and --out DIR are required\n" + usage)
	}
	if *source != "auto" && *source != "kafka" {
		return usageError("--source: auto or kafka, got " + *source)
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	// The key is loaded first so that a bad one fails before any work.
	key, err := signingKey(cfg.Audit)
	if err != nil {
		return err
	}
	envs, running, err := callEvents(ctx, cfg, *source, *callID, time.Time(since), stderr)
	if err != nil {
		return err
	}
	ev := bundle.NoEvidence("read from Kafka (--source kafka), not from this node's journal")
	if *source == "auto" {
		ev, err = bundle.CollectEvidence(ctx, filepath.Join(cfg.DataDir, "journal"), filepath.Join(cfg.DataDir, anchorsFile), envs)
		if err != nil {
			return err
		}
	}
	if ev.Proofs == nil {
		log.Warn("audit export: the bundle has no journal proofs", "reason", ev.Note)
	}
	h, err := replay.Build(*callID, envs)
	if err != nil {
		return err
	}
	c := callCDR(ctx, running, newAdminAPI(cfg.HTTP), filepath.Join(cfg.DataDir, "cdr"), h)
	m, err := bundle.Write(ctx, *out, *callID, envs, c, bundle.WriteOptions{Evidence: ev, Signer: key})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported call %s: %d events, cdr %t, journal proofs %t, to %s\ndigest %s\n",
		*callID, len(m.Events), c != nil, *m.JournalProofs, *out, m.Digest)
	printSigner(stdout, m.SignerPublicKey)
	return nil
}

// callCDR finds the call's CDR, from the running switch or, when it is
// stopped, from the CDR store opened read-only; nil when there is none
// (yet) or it cannot be read: the CDR is optional.
func callCDR(ctx context.Context, running bool, api adminAPI, cdrDir string, h replay.History) *domain.CDR {
	var list []domain.CDR
	var err error
	if running {
		list, err = cdrsFor(ctx, api, h.Caller, h.Callee)
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

// cmdAuditVerifyBundle checks a bundle against its manifest, signature and
// journal proofs, without any config or access to the switch. A tampered
// bundle, a bad signature, or (with --pubkey) an unsigned bundle or one
// signed by another key is an error (exit 1) saying which.
func cmdAuditVerifyBundle(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newVerbFlagSet("audit verify-bundle")
	pubFile := fs.String("pubkey", "", "the signer's public key (PEM, as keygen writes FILE.pub): the bundle must be signed by it")
	pubB64 := fs.String("pubkey-b64", "", "the signer's public key as base64 of its 32 bytes (signer_public_key)")
	const use = "usage: softswitch audit verify-bundle DIR [--pubkey FILE|--pubkey-b64 KEY]"
	// DIR may come before or after the flags.
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 || rest[0] == "" {
		return usageError(use)
	}
	dir := rest[0]
	if err := parseFlags(fs, rest[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError(use)
	}
	trusted, err := trustedKey(*pubFile, *pubB64)
	if err != nil {
		return err
	}
	r, err := bundle.Verify(ctx, dir, bundle.VerifyOptions{PublicKey: trusted})
	if err != nil {
		return err
	}
	m := r.Manifest
	fmt.Fprintf(stdout, "bundle ok: call %s, %d events, %d files, chain %s\ndigest %s\n",
		m.CallID, len(m.Events), len(m.Files), m.Chain.Head, m.Digest)
	switch {
	case r.Signer != nil && trusted != nil:
		fmt.Fprintf(stdout, "signed by %s, the given key\n", m.SignerPublicKey)
	case r.Signer != nil:
		fmt.Fprintf(stdout, "signed by %s (no key given: check it is the exporter's with --pubkey)\n", m.SignerPublicKey)
	default:
		fmt.Fprintln(stdout, "unsigned")
	}
	reportJournal(stdout, r)
	return nil
}

// reportJournal says what ties the bundle to the journal, and what the
// auditor still has to compare outside it.
func reportJournal(w io.Writer, r bundle.Report) {
	m := r.Manifest
	switch {
	case m.JournalProofs == nil:
		fmt.Fprintf(w, "journal proofs: none (format %s)\n", m.Format)
	case !*m.JournalProofs:
		fmt.Fprintf(w, "journal proofs: none (%s)\n", m.JournalNote)
	default:
		fmt.Fprintf(w, "journal proofs: %d of %d events are the journal's records at their positions, given the chain values in the manifest\n",
			r.Proofs, len(m.Events))
	}
	if m.Anchor != nil {
		fmt.Fprintf(w, "anchor: position %d chain %s (compare with your notarized anchors)\n", m.Anchor.Position, m.Anchor.Chain)
	} else if m.JournalProofs != nil && *m.JournalProofs {
		fmt.Fprintln(w, "anchor: none covering the call yet (confirm the chain values against the journal)")
	}
	if m.JournalHead != nil {
		fmt.Fprintf(w, "journal head at export: position %d chain %s\n", m.JournalHead.Position, m.JournalHead.Chain)
	}
}

func printSigner(w io.Writer, signer string) {
	if signer == "" {
		fmt.Fprintln(w, "unsigned (no audit.signing_key_file or $"+config.SigningKeyEnv+")")
		return
	}
	fmt.Fprintf(w, "signed by %s\n", signer)
}
