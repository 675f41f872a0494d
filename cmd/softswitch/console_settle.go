package main

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"softswitch/billing/settle"
)

// settlement is GET /api/v1/settlement?carrier=&from=&to=[&format=csv]:
// the statement `softswitch settle` prints, from the switch's CDR store,
// as JSON or as the same CSV (`settle --csv`) for download.
func (a *admin) settlement(w http.ResponseWriter, r *http.Request) {
	q, field, msg := a.settleQuery(r)
	if field != "" {
		fieldError(w, field, msg)
		return
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		fieldError(w, "format", "json or csv")
		return
	}
	store := a.pipe.store()
	if store == nil {
		http.Error(w, "CDR store not open yet (unreachable?)", http.StatusServiceUnavailable)
		return
	}
	st, err := settle.Compute(r.Context(), settle.StoreSource{Store: store}, q)
	switch {
	case errors.Is(err, settle.ErrMixedCurrency):
		http.Error(w, err.Error(), http.StatusConflict)
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		name := "settlement-" + safeFileName(q.Carrier) + "-" + q.From.UTC().Format("20060102") + "-" + q.To.UTC().Format("20060102") + ".csv"
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		_ = writeStatementCSV(w, st)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// settleQuery reads and checks the statement's fields: the field at
// fault and why, or "" with the query. A date (2006-01-02, what a date
// input sends) is midnight UTC; to is exclusive.
func (a *admin) settleQuery(r *http.Request) (settle.Query, string, string) {
	v := r.URL.Query()
	carrier := strings.TrimSpace(v.Get("carrier"))
	if carrier == "" {
		return settle.Query{}, "carrier", "required"
	}
	if _, ok := a.ic.Carrier(carrier); !ok {
		return settle.Query{}, "carrier", "no carrier " + carrier
	}
	var q settle.Query
	q.Carrier = carrier
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		t, err := parseWhen(v.Get(p.name))
		if err != nil {
			return settle.Query{}, p.name, err.Error()
		}
		*p.dst = t
	}
	if !q.From.Before(q.To) {
		return settle.Query{}, "to", "must be after from"
	}
	return q, "", ""
}

// parseWhen reads a date or an RFC 3339 time.
func parseWhen(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("required")
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	// What a datetime-local input sends, taken as UTC.
	if t, err := time.Parse("2006-01-02T15:04", s); err == nil {
		return t, nil
	}
	return time.Time{}, errors.New("want a date (2006-01-02) or an RFC 3339 time")
}

// safeFileName keeps a carrier's name usable in a download's file name.
func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}
