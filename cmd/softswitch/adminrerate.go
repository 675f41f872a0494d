package main

import (
	"context"
	"net/http"
	"time"

	"softswitch/billing/cdr"
	"softswitch/billing/rating"
	"softswitch/domain"
)

// historyWriter is implemented by CDR stores that keep every rating
// version for auditors (ClickHouse's cdr_rating_history).
type historyWriter interface {
	PutRatingHistory(ctx context.Context, cdrs []domain.CDR) error
}

// rerateResult is what a re-rating run did.
type rerateResult struct {
	Examined  int `json:"examined"`
	Rerated   int `json:"rerated"`
	Unchanged int `json:"unchanged"`
	Unrated   int `json:"unrated"`
}

// rerate rates again, with the decks in force now, every CDR whose call
// started in [from, to): POST /api/v1/rates/rerate?from=T&to=T. A CDR
// whose rating does not change is left alone; a changed one is written as
// a new version (the store keeps the newest for queries) and, where the
// store keeps history, appended to it, so an auditor sees both.
func (a *admin) rerate(w http.ResponseWriter, r *http.Request) {
	from, err1 := time.Parse(time.RFC3339, r.URL.Query().Get("from"))
	to, err2 := time.Parse(time.RFC3339, r.URL.Query().Get("to"))
	if err1 != nil || err2 != nil || !from.Before(to) {
		http.Error(w, "from and to: RFC 3339 times with from < to", http.StatusBadRequest)
		return
	}
	store := a.pipe.store()
	if store == nil {
		http.Error(w, "CDR store not open yet (unreachable?)", http.StatusServiceUnavailable)
		return
	}
	res, err := rerate(r.Context(), store, a.decks.decks.Rater(), from, to)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func rerate(ctx context.Context, store cdr.Store, rater *rating.Rater, from, to time.Time) (rerateResult, error) {
	var res rerateResult
	list, err := store.List(ctx, cdr.Filter{Since: from, Until: to})
	if err != nil {
		return res, err
	}
	var changed, before []domain.CDR
	for _, c := range list {
		res.Examined++
		old := c
		rater.Rate(&c)
		if rating.SameRating(old.Rating, c.Rating) {
			res.Unchanged++
			continue
		}
		before = append(before, old)
		if c.RatingStatus == domain.RatingUnrated {
			res.Unrated++
		}
		changed = append(changed, c)
	}
	if len(changed) == 0 {
		return res, nil
	}
	if rw, ok := store.(cdr.RecordWriter); ok {
		err = rw.PutRecords(ctx, changed)
	} else {
		// The store's own checkpoint must not move: re-rating is not
		// consuming the log.
		var cp uint64
		if cp, err = store.Checkpoint(ctx); err == nil {
			err = store.Put(ctx, changed, cp)
		}
	}
	if err != nil {
		return res, err
	}
	if hw, ok := store.(historyWriter); ok {
		// The version being replaced goes in too: the history may not
		// hold first ratings, and an auditor must see both.
		if err := hw.PutRatingHistory(ctx, append(before, changed...)); err != nil {
			return res, err
		}
	}
	res.Rerated = len(changed)
	return res, nil
}
