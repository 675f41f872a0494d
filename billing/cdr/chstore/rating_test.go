package chstore_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"softswitch/billing/cdr"
	"softswitch/billing/cdr/cdrtest"
	"softswitch/billing/cdr/chstore"
	"softswitch/domain"
)

func rated(id string, at time.Duration, version int, price, cost string) domain.CDR {
	c := cdrtest.Record(id, at, "alice", "13800138000", domain.DispositionAnswered)
	c.Carrier, c.Trunk = "cm", "gw1"
	c.BillableS = 66
	c.Rating = domain.Rating{
		RatingStatus: domain.RatingRated, RatingVersion: version,
		Price: price, Currency: "CNY", RateDeck: "retail@v1", RatePrefix: "86138",
		Cost: cost, CostCurrency: "CNY", CostDeck: "cm@v1", CostPrefix: "86", CostBillableS: 120,
	}
	return c
}

// TestRatingRoundTrip: the rating columns survive Put/Get/List, and the
// micro-unit columns sum exactly what the strings say.
func TestRatingRoundTrip(t *testing.T) {
	ctx := context.Background()
	cfg := newDatabase(t)
	s, err := chstore.Open(ctx, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	unrated := rated("unrated", time.Second, 1, "0.116", "")
	unrated.RatingStatus, unrated.CostCurrency, unrated.CostDeck, unrated.CostPrefix, unrated.CostBillableS = domain.RatingUnrated, "", "", "", 0
	notBillable := cdrtest.Record("busy", 2*time.Second, "alice", "bob", domain.DispositionBusy)
	notBillable.Rating = domain.Rating{RatingStatus: domain.RatingNotBillable, RatingVersion: 1}
	tests := []domain.CDR{rated("rated", 0, 1, "0.116", "0.10"), unrated, notBillable, rated("small", 3*time.Second, 2, "0.000001", "0.000333")}
	if err := s.Put(ctx, tests, 1); err != nil {
		t.Fatal(err)
	}
	for _, want := range tests {
		got, err := s.Get(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
			t.Fatalf("\n got %s\nwant %s", g, w)
		}
	}
	list, err := s.List(ctx, cdr.Filter{})
	if err != nil || len(list) != len(tests) || list[0].Price != "0.116" {
		t.Fatalf("List: %d, %v", len(list), err)
	}
	var price, cost int64
	q := "SELECT toInt64(sum(price_micro)), toInt64(sum(cost_micro)) FROM `" + cfg.Database + "`.cdr FINAL"
	if err := rawConn(t, cfg).QueryRow(ctx, q).Scan(&price, &cost); err != nil {
		t.Fatal(err)
	}
	if price != 116_000+116_000+1 || cost != 100_000+333 {
		t.Fatalf("sums: price %d cost %d micro-units", price, cost)
	}
	bad := rated("bad", 0, 1, "0.1e2", "")
	if err := s.Put(ctx, []domain.CDR{bad}, 2); err == nil {
		t.Fatal("Put stored a price that is not a decimal")
	}
}

// TestReRatingHistory: a re-rated CDR put again replaces the first
// rating for queries; the audit table keeps both.
func TestReRatingHistory(t *testing.T) {
	ctx := context.Background()
	s, err := chstore.Open(ctx, newDatabase(t), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v1 := rated("call", 0, 1, "0.116", "0.10")
	v2 := rated("call", 0, 2, "0.096", "0.10")
	v2.RateDeck = "retail@v2"
	for i, c := range []domain.CDR{v1, v2} {
		if err := s.Put(ctx, []domain.CDR{c}, uint64(i+1)); err != nil {
			t.Fatal(err)
		}
		if err := s.PutRatingHistory(ctx, []domain.CDR{c}); err != nil {
			t.Fatal(err)
		}
	}
	// A retried history write must not show twice.
	if err := s.PutRatingHistory(ctx, []domain.CDR{v2}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, v1.ID)
	if err != nil || got.RatingVersion != 2 || got.Price != "0.096" || got.RateDeck != "retail@v2" {
		t.Fatalf("Get: %+v, %v", got.Rating, err)
	}
	list, err := s.List(ctx, cdr.Filter{})
	if err != nil || len(list) != 1 || list[0].RatingVersion != 2 {
		t.Fatalf("List: %+v, %v", list, err)
	}
	hist, err := s.RatingHistory(ctx, v1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Price != "0.116" || hist[0].RateDeck != "retail@v1" || hist[1].Price != "0.096" || hist[1].RatingVersion != 2 || hist[1].RatedAt.IsZero() {
		t.Fatalf("history %+v", hist)
	}
}

// TestMigrateRatingColumns: a database made by migrations 0001 and 0002
// (before rating) with a CDR in it opens, gains the columns, reads the
// old CDR as not yet rated and stores rated ones.
func TestMigrateRatingColumns(t *testing.T) {
	ctx := context.Background()
	cfg := newDatabase(t)
	conn := rawConn(t, cfg)
	db := "`" + cfg.Database + "`"
	stmts := []string{
		"CREATE DATABASE " + db,
		"CREATE TABLE " + db + ".schema_migrations (target String, version UInt32, name String, applied_at DateTime) ENGINE = ReplacingMergeTree ORDER BY (target, version)",
	}
	for _, f := range []string{"migrations/0001_cdr.sql", "migrations/0002_checkpoint.sql"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, strings.NewReplacer("{database}", db, "{table}", "cdr").Replace(string(b)))
	}
	for _, q := range stmts {
		if err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+".schema_migrations (target, version, name, applied_at)")
	if err != nil {
		t.Fatal(err)
	}
	for v, name := range map[uint32]string{1: "0001_cdr", 2: "0002_checkpoint"} {
		if err := batch.Append("cdr", v, name, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
	old := cdrtest.Record("old", 0, "alice", "bob", domain.DispositionAnswered)
	batch, err = conn.PrepareBatch(ctx, "INSERT INTO "+db+".cdr (id, call_id, caller, callee, source, start, answer, `end`, duration_ms, billable_s, disposition, sip_code, reason, ended_by, legs, carrier, trunk, version)")
	if err != nil {
		t.Fatal(err)
	}
	answer, end := old.Answer.Time().UnixMilli(), old.End.Time().UnixMilli()
	if err := batch.Append(old.ID, old.CallID, old.Caller, old.Callee, old.Source, old.Start.Time().UnixMilli(), &answer, &end,
		old.DurationMS, old.BillableS, old.Disposition, int32(old.SIPCode), old.Reason, old.EndedBy, "[]", "", "", uint64(1)); err != nil {
		t.Fatal(err)
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}

	s, err := chstore.Open(ctx, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Get(ctx, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.RatingStatus != "" || got.Price != "" || got.RatingVersion != 0 {
		t.Fatalf("old CDR reads rated: %+v", got.Rating)
	}
	if got.Media != nil || got.Recording != "" || got.RecordingSHA256 != "" {
		t.Fatalf("old CDR reads with media: %+v, recording %q %q", got.Media, got.Recording, got.RecordingSHA256)
	}
	r := rated("new", time.Second, 1, "0.116", "0.10")
	if err := s.Put(ctx, []domain.CDR{r}, 1); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, r.ID); err != nil || got.Price != "0.116" || got.CostPrefix != "86" {
		t.Fatalf("Get after migration: %+v, %v", got.Rating, err)
	}
	if err := s.PutRatingHistory(ctx, []domain.CDR{r}); err != nil {
		t.Fatal(err)
	}
}
