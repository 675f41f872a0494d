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
	"strings"

	"softswitch/domain"
	"softswitch/eventstore/journal"
	"softswitch/eventstore/kafkalog"
	"softswitch/internal/config"
)

// cmdAuditVerify recomputes the hash chain of <data_dir>/journal over the
// whole log or --from..--to. It only reads, without the writer's lock, so
// it runs beside a live switch. A broken chain is returned as an error, so
// main prints "chain broken at position N: reason" and exits 1.
func cmdAuditVerify(ctx context.Context, args []string, stdout io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("audit verify", &cf)
	from := fs.Uint64("from", 0, "first position to check (default: the first)")
	to := fs.Uint64("to", 0, "last position to check (default: the head)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	onKafka := fs.Bool("kafka", false, "also check the Kafka events topic: every node's partition chains, and this node's records against the journal (tampered, forged, missing)")
	anchors := fs.String("anchors", "", "a JSON-lines file of exported anchors (anchors.jsonl) the log must still match")
	index := fs.Bool("index", true, "also rebuild each aggregate index sidecar from its segment and compare (a forged sidecar could hide a call from a stopped node's replay)")
	recordings := fs.Bool("recordings", true, "also recompute the SHA-256 of the file each call.recording event in the range names (a relative path from the current directory, as the switch wrote it); a missing or different file fails")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	dir := filepath.Join(cfg.DataDir, "journal")
	// Recordings are checked in the chain's pass: each file against the
	// event the chain has just vouched for.
	var (
		recs  *recordingCheck
		types []string
		each  func(domain.Envelope) error
	)
	if *recordings {
		recs, types = &recordingCheck{}, []string{domain.TypeRecording}
		each = func(env domain.Envelope) error { recs.add(env); return nil }
	}
	res, err := journal.VerifyEach(ctx, dir, *from, *to, types, each)
	if err != nil {
		return err
	}
	var idx *journal.IndexCheck
	if *index {
		ic, err := journal.VerifyIndex(ctx, dir)
		if err != nil {
			return err
		}
		idx = &ic
	}
	var anchored *int
	if *anchors != "" {
		n, err := checkAnchors(ctx, dir, *anchors)
		if err != nil {
			return err
		}
		anchored = &n
	}
	var topic *kafkalog.TopicCheck
	if *onKafka {
		tc, err := checkKafka(ctx, cfg)
		if err != nil {
			return err
		}
		topic = &tc
	}
	if *asJSON {
		err := json.NewEncoder(stdout).Encode(struct {
			Dir string `json:"dir"`
			journal.VerifyResult
			Index        *journal.IndexCheck  `json:"index,omitempty"`
			Anchors      *int                 `json:"anchors_matched,omitempty"`
			Kafka        *kafkalog.TopicCheck `json:"kafka,omitempty"`
			KafkaOK      *bool                `json:"kafka_ok,omitempty"`
			Recordings   *recordingCheck      `json:"recordings,omitempty"`
			RecordingsOK *bool                `json:"recordings_ok,omitempty"`
			JournalOK    bool                 `json:"ok"`
		}{dir, res, idx, anchored, topic, kafkaOK(topic), recs, recordingsOK(recs), true})
		if err != nil {
			return err
		}
		return verifyFailures(topic, recs)
	}
	rate := 0.0
	if s := res.Elapsed.Seconds(); s > 0 {
		rate = float64(res.Count) / s
	}
	fmt.Fprintf(stdout, "journal %s: chain intact\n", dir)
	fmt.Fprintf(stdout, "count:     %d (positions %d..%d)\n", res.Count, res.From, res.Head)
	fmt.Fprintf(stdout, "head:      %d\n", res.Head)
	fmt.Fprintf(stdout, "head hash: %s\n", res.HeadChain)
	if res.TornTailBytes > 0 {
		fmt.Fprintf(stdout, "torn tail: %d bytes after the head (a write in progress, or a crash tail the next open truncates)\n", res.TornTailBytes)
	}
	fmt.Fprintf(stdout, "elapsed:   %s (%.0f events/s)\n", res.Elapsed.Round(1e6), rate)
	if idx != nil {
		fmt.Fprintf(stdout, "index:     %d sidecars match their segments, %d missing or unreadable (scanned by readers instead) (%s)\n",
			idx.Sidecars, idx.Unused, idx.Elapsed.Round(1e6))
	}
	if anchored != nil {
		fmt.Fprintf(stdout, "anchors:   %d matched\n", *anchored)
	}
	if recs != nil {
		fmt.Fprintf(stdout, "recordings: %d checked, %d missing or different\n", recs.Checked, len(recs.Findings))
		for _, f := range recs.Findings {
			fmt.Fprintf(stdout, "recording: %s\n", f)
		}
	}
	if topic != nil {
		printTopic(stdout, cfg.NodeID, *topic)
	}
	return verifyFailures(topic, recs)
}

// verifyFailures is the error that makes verify exit 1 for what it
// printed: the Kafka topic's chains, recordings; nil when all is well.
func verifyFailures(topic *kafkalog.TopicCheck, recs *recordingCheck) error {
	var errs []error
	if topic != nil && !topic.OK() {
		errs = append(errs, errTopic)
	}
	if recs != nil && !recs.OK() {
		errs = append(errs, errRecordings)
	}
	return errors.Join(errs...)
}

func recordingsOK(c *recordingCheck) *bool {
	if c == nil {
		return nil
	}
	ok := c.OK()
	return &ok
}

func kafkaOK(c *kafkalog.TopicCheck) *bool {
	if c == nil {
		return nil
	}
	ok := c.OK()
	return &ok
}

// checkAnchors checks that the chain value stored at each exported
// anchor's position is still the anchored one. With the chain verified
// from position 1 (above), a log rewritten after an anchor was exported,
// chain recomputed and all, fails here.
func checkAnchors(ctx context.Context, dir, file string) (int, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	n := 0
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var a domain.AuditAnchored
		if err := json.Unmarshal([]byte(line), &a); err != nil || a.Position == 0 {
			return n, fmt.Errorf("%s line %d: not an anchor", file, i+1)
		}
		res, err := journal.Verify(ctx, dir, a.Position, a.Position)
		if err != nil {
			return n, fmt.Errorf("anchor at position %d: %w", a.Position, err)
		}
		if res.HeadChain != a.Chain {
			return n, fmt.Errorf("%w: anchor at position %d does not match the log (anchored %s, log has %s)",
				journal.ErrChainBroken, a.Position, a.Chain, res.HeadChain)
		}
		n++
	}
	return n, nil
}

// errTopic makes verify exit 1 when a partition chain is broken or the
// topic does not hold the journal.
var errTopic = errors.New("the Kafka topic's chains are broken or it does not match the journal")

// checkKafka checks the partition chains of the events topic (every
// node's) and compares this node's records with its journal, up to the
// shipper's checkpoint.
func checkKafka(ctx context.Context, cfg *config.Config) (kafkalog.TopicCheck, error) {
	if !cfg.Kafka.On() {
		return kafkalog.TopicCheck{}, usageError("--kafka: the config has no kafka.brokers")
	}
	shipped, err := kafkalog.ShippedBefore(cfg.DataDir, cfg.Kafka.TopicPrefix)
	if err != nil {
		return kafkalog.TopicCheck{}, err
	}
	src, err := auditSource(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return kafkalog.TopicCheck{}, err
	}
	defer src.Close()
	digests := map[string][32]byte{}
	var secret []uint64
	err = src.Read(ctx, 1, func(env domain.Envelope) error {
		if env.Position >= shipped {
			return nil
		}
		if domain.HoldsSecrets(env) {
			// A running switch's API redacts these (HA1s), Kafka holds
			// them whole: they are read from the journal itself below.
			secret = append(secret, env.Position)
			return nil
		}
		d, err := kafkalog.EnvelopeDigest(env)
		digests[env.ID] = d
		return err
	})
	if err != nil {
		return kafkalog.TopicCheck{}, err
	}
	if len(secret) > 0 {
		// Lock-free and read-only, beside the running switch too; a
		// subscriber's events are few, so this is a few reads.
		proofs, err := journal.ReadProofs(ctx, filepath.Join(cfg.DataDir, "journal"), secret)
		if err != nil {
			return kafkalog.TopicCheck{}, err
		}
		for _, p := range proofs {
			env, err := journal.CheckProof(p)
			if err != nil {
				return kafkalog.TopicCheck{}, err
			}
			if digests[env.ID], err = kafkalog.EnvelopeDigest(env); err != nil {
				return kafkalog.TopicCheck{}, err
			}
		}
	}
	return kafkalog.VerifyTopic(ctx, cfg.Kafka.Brokers, kafkalog.TopicNames(cfg.Kafka.TopicPrefix).Events, cfg.NodeID, digests, shipped)
}

func printTopic(w io.Writer, node string, res kafkalog.TopicCheck) {
	rate := 0.0
	if res.Seconds > 0 {
		rate = float64(res.Scanned) / res.Seconds
	}
	ch := res.Chains
	fmt.Fprintf(w, "chains:    %d records of every node, %d linked, %d redelivered, %d begin after retention, %d breaks (%s, %.0f records/s)\n",
		res.Scanned, ch.Linked, ch.Redelivered, len(ch.MidChain), len(ch.Breaks), res.Elapsed, rate)
	for _, b := range ch.Breaks {
		fmt.Fprintf(w, "break:     %s\n", b)
	}
	fmt.Fprintf(w, "kafka:     %d records of node %s, %d matched, %d redelivered, %d tampered, %d forged, %d missing, %d shipped after the journal snapshot\n",
		res.Records, node, res.Matched, res.Duplicates, len(res.Tampered), len(res.Forged), res.Missing, res.Later)
	for _, t := range res.Tampered {
		fmt.Fprintf(w, "tampered:  %s\n", t)
	}
	for _, f := range res.Forged {
		fmt.Fprintf(w, "forged:    %s\n", f)
	}
}
