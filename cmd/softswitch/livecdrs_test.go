package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"softswitch/billing/cdr/boltstore"
	"softswitch/billing/reconcile"
	"softswitch/billing/settle"
	"softswitch/billing/settle/settletest"
	"softswitch/domain"
	"softswitch/internal/config"
)

// TestSettleBesideRunningSwitch: while a switch holds the embedded store's
// lock, statements and reconciliation read the CDRs through its admin API,
// asking for the period only; when none listens the store is read
// directly; a store locked with no switch answering is an error saying so.
func TestSettleBesideRunningSwitch(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	store, err := boltstore.Open(filepath.Join(data, "cdr"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Put(ctx, settletest.CDRs(), 1); err != nil {
		t.Fatal(err)
	}
	p := &pipeline{}
	p.cdrs.Store(&cdrSink{store: store})
	api := (&admin{pipe: p}).routes()
	var (
		mu      sync.Mutex
		queries []url.Values
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.Query())
		mu.Unlock()
		api.ServeHTTP(w, r)
	}))
	defer srv.Close()
	cfg := &config.Config{DataDir: data}
	cfg.HTTP.Listen = srv.Listener.Addr().String()

	statement := func() (string, error) {
		st, err := settle.Compute(ctx, settle.StoreSource{Store: liveStore{cfg}}, settletest.Period)
		return settletest.Format(st), err
	}
	ourCalls := func() ([]string, error) {
		calls, err := reconcile.StoreSource{Store: liveStore{cfg}}.OurCalls(ctx, "cm", settletest.Period.From, settletest.Period.To)
		var ids []string
		for _, c := range calls {
			ids = append(ids, c.ID)
		}
		slices.Sort(ids)
		return ids, err
	}
	check := func(t *testing.T) {
		t.Helper()
		got, err := statement()
		if err != nil || got != settletest.Want {
			t.Fatalf("statement: %v\n%s\nwant\n%s", err, got, settletest.Want)
		}
		ids, err := ourCalls()
		// Answered calls of cm started in the period: c2 was busy, c6, c7
		// are outside, c8 is cu's.
		var want []string
		for _, id := range []string{"c1", "c3", "c4", "c5", "c9"} {
			want = append(want, domain.CDRID(id, domain.SideA))
		}
		slices.Sort(want)
		if err != nil || !slices.Equal(ids, want) {
			t.Fatalf("our calls %v, %v; want %v", ids, err, want)
		}
	}

	t.Run("through the running switch", func(t *testing.T) {
		check(t)
		mu.Lock()
		defer mu.Unlock()
		if len(queries) != 2 {
			t.Fatalf("switch asked %d times, want 2", len(queries))
		}
		for _, q := range queries {
			if q.Get("from") != "2025-03-14T12:00:00Z" || q.Get("to") != "2025-03-16T06:00:00Z" {
				t.Errorf("query %v, want the period's from and to", q)
			}
		}
		if queries[1].Get("disposition") != "answered" {
			t.Errorf("reconcile's query %v, want disposition=answered", queries[1])
		}
	})
	t.Run("bad from", func(t *testing.T) {
		res, err := http.Get(srv.URL + "/api/v1/cdrs?from=yesterday")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("from=yesterday: %s, want 400", res.Status)
		}
	})
	srv.Close()
	t.Run("no switch, store locked", func(t *testing.T) {
		_, err := statement()
		if !errors.Is(err, boltstore.ErrLocked) || !strings.Contains(err.Error(), "no switch answers on http.listen "+cfg.HTTP.Listen) {
			t.Fatalf("err = %v, want ErrLocked naming http.listen", err)
		}
	})
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	t.Run("switch stopped", check)
}
