package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"softswitch/billing/rating"
	"softswitch/domain"
	"softswitch/eventstore/journal"
	"softswitch/projections"
	"softswitch/switching"
)

// ratesDecksPath is the admin API endpoint that publishes a deck: POST
// the CSV, with deck, side and owner as query parameters.
const ratesDecksPath = "/api/v1/rates/decks"

// cmdRates dispatches `softswitch rates ...`.
func cmdRates(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return usageError(usage)
	}
	return cmdRatesImport(ctx, args[1:], stdout)
}

// publishedDeck is what the switch answers and the command prints.
type publishedDeck struct {
	Deck     string `json:"deck"`
	Version  int    `json:"version"`
	Ref      string `json:"ref"`
	Side     string `json:"side"`
	Owner    string `json:"owner"`
	Currency string `json:"currency"`
	Rows     int    `json:"rows"`
}

// cmdRatesImport validates a deck CSV and publishes it as the next
// version of the deck: through the running switch's admin API when one
// answers (it holds the journal), else by appending to the journal
// directly. A bad CSV exits 2 naming its line and column.
func cmdRatesImport(ctx context.Context, args []string, stdout io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("rates import", &cf)
	deckName := fs.String("deck", "", "deck name ([A-Za-z0-9._-])")
	side := fs.String("side", "", "buy (a carrier's prices) or sell (an account's)")
	owner := fs.String("owner", "", "carrier:NAME or trunk:NAME (buy), account:USER or account:* (sell)")
	file, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *deckName == "":
		return usageError("--deck NAME is required\n" + usage)
	case *side != string(rating.Buy) && *side != string(rating.Sell):
		return usageError(fmt.Sprintf("--side %q: want buy or sell\n%s", *side, usage))
	case *owner == "":
		return usageError("--owner is required\n" + usage)
	}
	csvBytes, err := os.ReadFile(file)
	if err != nil {
		return usageError(err.Error())
	}
	rows, currency, err := rating.ParseCSV(bytes.NewReader(csvBytes))
	if err != nil {
		return usageError(file + ": " + err.Error())
	}
	// The deck's own fields, checked before anything is opened.
	probe := rating.Deck{Name: *deckName, Version: 1, Side: rating.Side(*side), Owner: *owner, Currency: currency, Rows: rows}
	if err := probe.Validate(); err != nil {
		return usageError(err.Error())
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	pub, err := postDeck(ctx, newAdminAPI(cfg.HTTP), *deckName, *side, *owner, csvBytes)
	if errors.Is(err, syscall.ECONNREFUSED) {
		pub, err = publishToJournal(ctx, filepath.Join(cfg.DataDir, "journal"), cfg.NodeID, probe)
	}
	if errors.Is(err, rating.ErrInvalidDeck) {
		// A name already used by another side or owner: the command
		// line is wrong, as with a bad CSV.
		return usageError(err.Error())
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "published deck %s version %d (%s, %s %s, %d rows, %s)\n",
		pub.Deck, pub.Version, pub.Ref, pub.Side, pub.Owner, pub.Rows, pub.Currency)
	return nil
}

// parseInterspersed parses flags given before or after the one
// positional argument (DECK.csv) and returns it.
func parseInterspersed(fs *flag.FlagSet, args []string) (string, error) {
	file, err := parseOptionalFile(fs, args)
	if err != nil {
		return "", err
	}
	if file == "" {
		return "", usageError("one DECK.csv is required\n" + usage)
	}
	return file, nil
}

// postDeck asks the running switch to publish; ECONNREFUSED (wrapped)
// means none runs.
func postDeck(ctx context.Context, api adminAPI, name, side, owner string, csvBytes []byte) (publishedDeck, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	q := url.Values{"deck": {name}, "side": {side}, "owner": {owner}}
	req, err := api.request(ctx, http.MethodPost, ratesDecksPath+"?"+q.Encode(), bytes.NewReader(csvBytes))
	if err != nil {
		return publishedDeck{}, err
	}
	// Not a CORS "simple" type: the admin API takes a deck only as text/csv.
	req.Header.Set("Content-Type", "text/csv")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return publishedDeck{}, err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	switch res.StatusCode {
	case http.StatusOK:
		var p publishedDeck
		return p, json.Unmarshal(body, &p)
	case http.StatusBadRequest:
		return publishedDeck{}, usageError(string(bytes.TrimSpace(body)))
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		return publishedDeck{}, fmt.Errorf("the switch at %s runs and holds the journal, but has no %s endpoint: stop it to import into the journal", api.addr, ratesDecksPath)
	}
	return publishedDeck{}, api.answered(res, body)
}

// publishToJournal replays the decks from the journal and appends the
// next version. The journal is locked by a running switch, so this is
// the path when none runs.
func publishToJournal(ctx context.Context, dir, node string, d rating.Deck) (publishedDeck, error) {
	store, err := journal.Open(ctx, dir, journal.Options{}, nil)
	if errors.Is(err, journal.ErrLocked) {
		return publishedDeck{}, fmt.Errorf("%w: a switch holds it but did not answer on its admin API", err)
	}
	if err != nil {
		return publishedDeck{}, err
	}
	defer store.Close()
	decks := projections.NewRateDecks()
	set := projections.Set{decks}
	if _, err := set.Replay(ctx, store); err != nil {
		return publishedDeck{}, fmt.Errorf("replay rate decks: %w", err)
	}
	rec := switching.NewRecorder(store, set, node, time.Now, &switching.Metrics{})
	return newDeckPublisher(rec, decks).Publish(ctx, d)
}

// deckPublisher appends rates.deck_published for a node: the admin API
// handler and the journal path of `rates import` share it. decks must be
// in rec's projection set.
type deckPublisher struct {
	rec   *switching.Recorder
	decks *projections.RateDecks
	mu    sync.Mutex // one publication at a time: each takes the next version
}

// newDeckPublisher returns a publisher over the node's recorder and its
// RateDecks projection.
func newDeckPublisher(rec *switching.Recorder, decks *projections.RateDecks) *deckPublisher {
	return &deckPublisher{rec: rec, decks: decks}
}

// Publish gives d the next version of its name (d.Version is ignored),
// validates it and records it.
func (p *deckPublisher) Publish(ctx context.Context, d rating.Deck) (publishedDeck, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, err := p.decks.NextVersion(d.Name, d.Side, d.Owner)
	if err != nil {
		return publishedDeck{}, &rating.DeckError{Row: -1, Field: "owner", Err: err}
	}
	d.Version = v
	if err := d.Validate(); err != nil {
		return publishedDeck{}, err
	}
	e := d.Event()
	rec := domain.Recorded{Event: e, Seq: p.decks.Seq(e.AggregateKey()) + 1, At: p.rec.Now()}
	if err := p.rec.Record(ctx, rec); err != nil {
		return publishedDeck{}, err
	}
	return publishedDeck{Deck: d.Name, Version: v, Ref: d.Ref(), Side: string(d.Side), Owner: d.Owner, Currency: d.Currency, Rows: len(d.Rows)}, nil
}

// ServeHTTP is POST /api/v1/rates/decks?deck=NAME&side=buy|sell&owner=O
// with the CSV as the body: 200 with the published version as JSON, 400
// naming the line and column of a bad CSV. The lead wires it in
// admin.routes: mux.Handle("POST "+ratesDecksPath, publisher).
func (p *deckPublisher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rows, currency, err := rating.ParseCSV(http.MaxBytesReader(w, r.Body, 64<<20))
	if err != nil {
		http.Error(w, "deck CSV: "+err.Error(), http.StatusBadRequest)
		return
	}
	d := rating.Deck{Name: q.Get("deck"), Side: rating.Side(q.Get("side")), Owner: q.Get("owner"), Currency: currency, Rows: rows}
	pub, err := p.Publish(r.Context(), d)
	switch {
	case errors.Is(err, rating.ErrInvalidDeck):
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, pub)
}
