package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"softswitch/audit/replay"
	"softswitch/billing/cdr"
	"softswitch/billing/cdr/boltstore"
	"softswitch/domain"
	"softswitch/eventstore/journal"
	"softswitch/eventstore/kafkalog"
	"softswitch/internal/config"
)

// replayPage is how many envelopes one GET /api/v1/events asks for.
const replayPage = 100_000

// cmdReplay prints one call's history: its SIP ladder, route decisions,
// outcome and rating (docs/audit.md). The call's events come from the
// running switch (its call index, GET /api/v1/calls/{id}/events); when
// nothing listens, from the journal directory through its aggregate
// index, read-only (journal.ReadAggregateDir), so a few seeks either way.
func cmdReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("replay", &cf)
	callID := fs.String("call-id", "", "the A-leg SIP Call-ID of the call")
	asJSON := fs.Bool("json", false, "print the call's raw event envelopes, one JSON object per line")
	source := fs.String("source", "auto", "where to read the log: auto (the running switch, else the journal) or kafka (the shared events topic)")
	var since timeFlag
	fs.Var(&since, "since", "with --source kafka: RFC 3339 time at or before the call's start (from its CDR or calls search); the call's partition is read from there instead of from its start")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *callID == "" {
		return usageError("--call-id ID is required\n" + usage)
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	if *source != "auto" && *source != "kafka" {
		return usageError("--source: auto or kafka, got " + *source)
	}
	envs, running, err := callEvents(ctx, cfg, *source, *callID, time.Time(since), stderr)
	if err != nil {
		return err
	}
	// Whatever the source (the switch, the journal, Kafka), what is
	// printed holds no secret (domain.RedactSecrets).
	for i := range envs {
		envs[i] = domain.RedactSecrets(envs[i])
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, e := range envs {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	}
	h, err := replay.Build(*callID, envs)
	if err != nil {
		return err
	}
	h.Rating = callRating(ctx, running, newAdminAPI(cfg.HTTP), filepath.Join(cfg.DataDir, "cdr"), h)
	return replay.Render(stdout, h)
}

// callEvents reads the call's envelopes from source (auto or kafka);
// running says whether the switch answered (where its CDR is then looked
// up). No events is an error: there is nothing to replay or export.
func callEvents(ctx context.Context, cfg *config.Config, source, callID string, since time.Time, stderr io.Writer) ([]domain.Envelope, bool, error) {
	var envs []domain.Envelope
	running := true
	var err error
	if source == "kafka" {
		if !cfg.Kafka.On() {
			return nil, false, usageError("--source kafka: the config has no kafka.brokers")
		}
		envs, err = kafkalog.ReadAggregate(ctx, cfg.Kafka.Brokers, kafkalog.TopicNames(cfg.Kafka.TopicPrefix).Events, domain.CallKey(callID), since)
	} else {
		envs, running, err = nodeCallEvents(ctx, cfg, callID, stderr)
	}
	if err == nil && len(envs) == 0 {
		err = fmt.Errorf("no events for call %s (aggregate %s)", callID, domain.CallKey(callID))
	}
	return envs, running, err
}

// nodeCallEvents reads a call's envelopes from the running switch or,
// when nothing answers, from its stopped journal; running says which.
func nodeCallEvents(ctx context.Context, cfg *config.Config, callID string, stderr io.Writer) ([]domain.Envelope, bool, error) {
	envs, err := callEventsFromSwitch(ctx, newAdminAPI(cfg.HTTP), callID)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return envs, true, err
	}
	// The read takes no lock, so this also serves a switch whose admin
	// API listens elsewhere.
	envs, err = callEventsFromJournal(ctx, filepath.Join(cfg.DataDir, "journal"), callID, newLogger(cfg.Log, stderr))
	return envs, false, err
}

// callEventsFromSwitch pages through the running switch's journal and keeps
// the call's envelopes, in log order.
func callEventsFromSwitch(ctx context.Context, api adminAPI, callID string) ([]domain.Envelope, error) {
	// The call index answers in a few journal seeks; a switch without it
	// (or without the call) is scanned.
	if envs, err := indexedCallEvents(ctx, api, callID); err == nil && len(envs) > 0 {
		return envs, nil
	}
	key := domain.CallKey(callID)
	var out []domain.Envelope
	for from := uint64(1); ; {
		n, next, err := eventsPage(ctx, api, from, func(env domain.Envelope) {
			if env.Aggregate == key {
				out = append(out, env)
			}
		})
		if err != nil {
			return nil, err
		}
		if n < replayPage {
			return out, nil
		}
		from = next
	}
}

// eventsPage reads one page of GET /api/v1/events from position from. It
// returns how many envelopes the page held and the position after the last.
func eventsPage(ctx context.Context, api adminAPI, from uint64, fn func(domain.Envelope)) (int, uint64, error) {
	req, err := api.request(ctx, http.MethodGet, "/api/v1/events?from="+strconv.FormatUint(from, 10)+"&limit="+strconv.Itoa(replayPage), nil)
	if err != nil {
		return 0, 0, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err // ECONNREFUSED (wrapped) sends the caller to the journal
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return 0, 0, api.answered(res, b)
	}
	dec := json.NewDecoder(bufio.NewReaderSize(res.Body, 1<<16))
	n, next := 0, from
	for {
		var env domain.Envelope
		err := dec.Decode(&env)
		if errors.Is(err, io.EOF) {
			return n, next, nil
		}
		if err != nil {
			return n, next, fmt.Errorf("events from %s at position %d: %w", api.addr, next, err)
		}
		n++
		if env.Position >= next {
			next = env.Position + 1
		} else {
			next++
		}
		fn(env)
	}
}

// callEventsFromJournal reads a call's envelopes from the journal
// directory through its aggregate index (docs/journal.md): a few small
// reads per segment instead of a scan of the log. It takes no lock and
// writes nothing, so it also reads the journal of a switch that runs but
// does not answer on the configured admin address. A journal that does
// not exist holds no events.
func callEventsFromJournal(ctx context.Context, dir, callID string, log *slog.Logger) ([]domain.Envelope, error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	start := time.Now()
	var out []domain.Envelope
	err := journal.ReadAggregateDir(ctx, dir, domain.CallKey(callID), func(env domain.Envelope) error {
		out = append(out, env)
		return nil
	})
	log.Debug("replay: call read from the journal", "dir", dir, "events", len(out), "elapsed", time.Since(start))
	return out, err
}

// callRating is the rating of the call's CDR (callCDR); nil when there is
// no CDR (yet) or it cannot be read: the rating is optional.
func callRating(ctx context.Context, running bool, api adminAPI, cdrDir string, h replay.History) *domain.Rating {
	if c := callCDR(ctx, running, api, cdrDir, h); c != nil {
		return &c.Rating
	}
	return nil
}

// cdrsFor asks the running switch for the CDRs of a caller and callee.
func cdrsFor(ctx context.Context, api adminAPI, caller, callee string) ([]domain.CDR, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	q := url.Values{}
	if caller != "" {
		q.Set("caller", caller)
	}
	if callee != "" {
		q.Set("callee", callee)
	}
	req, err := api.request(ctx, http.MethodGet, "/api/v1/cdrs?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return nil, api.answered(res, b)
	}
	var list []domain.CDR
	return list, json.NewDecoder(res.Body).Decode(&list)
}

// cdrsFromStoreFiltered reads a stopped switch's CDR store read-only.
func cdrsFromStoreFiltered(ctx context.Context, dir string, f cdr.Filter) ([]domain.CDR, error) {
	s, err := boltstore.OpenReadOnly(dir, time.Second)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.List(ctx, f)
}

// indexedCallEvents asks the running switch for one call's events through
// its call index (GET /api/v1/calls/{id}/events).
func indexedCallEvents(ctx context.Context, api adminAPI, callID string) ([]domain.Envelope, error) {
	req, err := api.request(ctx, http.MethodGet, "/api/v1/calls/"+url.PathEscape(callID)+"/events", nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("switch answered %s", res.Status)
	}
	var out []domain.Envelope
	dec := json.NewDecoder(res.Body)
	for dec.More() {
		var env domain.Envelope
		if err := dec.Decode(&env); err != nil {
			return nil, err
		}
		out = append(out, env)
	}
	return out, nil
}
