package chstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"softswitch/billing/cdr"
	"softswitch/billing/cdr/chstore"
	"softswitch/domain"
)

// benchCDRs returns n realistic answered two-leg CDRs starting at from,
// one per 10 ms, with distinct callers and callees.
func benchCDRs(n int, from time.Time) []domain.CDR {
	rs := make([]domain.CDR, n)
	for i := range rs {
		callID := fmt.Sprintf("%d-%08d@sbc.example.net", from.UnixNano(), i)
		start := from.Add(time.Duration(i) * 10 * time.Millisecond)
		answer, end := start.Add(4200*time.Millisecond), start.Add(95*time.Second+321*time.Millisecond)
		caller, callee := fmt.Sprintf("4930%07d", i%50_000), fmt.Sprintf("4420%08d", i%200_000)
		rs[i] = domain.CDR{
			ID: domain.CDRID(callID, domain.SideA), CallID: callID, Caller: caller, Callee: callee,
			Source: "198.51.100.7:5060", Start: domain.Timestamp(start), Answer: domain.Timestamp(answer),
			End: domain.Timestamp(end), DurationMS: end.Sub(start).Milliseconds(), BillableS: 92,
			Disposition: domain.DispositionAnswered, SIPCode: 200, Reason: "Normal Clearing", EndedBy: domain.ByCaller,
			Legs: []domain.CDRLeg{
				{Leg: "a", Side: domain.SideA, SIPCallID: callID, Peer: "198.51.100.7:5060",
					Start: domain.Timestamp(start), Answer: domain.Timestamp(answer), End: domain.Timestamp(end),
					SIPCode: 200, Reason: "Normal Clearing", EndedBy: domain.ByCaller},
				{Leg: "b", Side: domain.SideB, SIPCallID: "b-" + callID, Peer: "203.0.113.20:5060",
					Target: "sip:" + callee + "@203.0.113.20", Start: domain.Timestamp(start.Add(20 * time.Millisecond)),
					Answer: domain.Timestamp(answer), End: domain.Timestamp(end),
					SIPCode: 200, Reason: "Normal Clearing", EndedBy: domain.ByCaller},
			},
		}
	}
	return rs
}

var benchStart = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

// BenchmarkPut measures Store.Put and, in the same run, the ceiling: the
// same rows (legs already JSON, columns already built) inserted by a bare
// clickhouse-go batch into an identical table.
func BenchmarkPut(b *testing.B) {
	ctx := context.Background()
	cfg := newDatabase(b)
	s, err := chstore.Open(ctx, cfg, testLogger(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	conn := rawConnIn(b, cfg, cfg.Database)
	if err := conn.Exec(ctx, "CREATE TABLE cdr_raw AS cdr"); err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{10_000, 50_000} {
		rs := benchCDRs(n, benchStart)
		b.Run(fmt.Sprintf("store/batch=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if err := s.Put(ctx, rs, uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
		b.Run(fmt.Sprintf("raw/batch=%d", n), func(b *testing.B) {
			cols := rawColumns(b, rs)
			b.ReportAllocs()
			for b.Loop() {
				batch, err := conn.PrepareBatch(ctx, "INSERT INTO cdr_raw (id, call_id, caller, callee, source, start, answer, `end`, duration_ms, billable_s, disposition, sip_code, reason, ended_by, legs, carrier, trunk, version)")
				if err != nil {
					b.Fatal(err)
				}
				for i, c := range cols {
					if err := batch.Column(i).Append(c); err != nil {
						b.Fatal(err)
					}
				}
				if err := batch.Send(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// rawColumns builds the insert's columns once, outside the timed loop.
func rawColumns(b *testing.B, rs []domain.CDR) []any {
	n := len(rs)
	var (
		id, callID, caller, callee, source, disp, reason, by, legs, empty = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		start, dur, bill                                                  = make([]int64, n), make([]int64, n), make([]int64, n)
		answer, end                                                       = make([]*int64, n), make([]*int64, n)
		code                                                              = make([]int32, n)
		version                                                           = make([]uint64, n)
	)
	for i, r := range rs {
		l, err := json.Marshal(r.Legs)
		if err != nil {
			b.Fatal(err)
		}
		a, e := r.Answer.Time().UnixMilli(), r.End.Time().UnixMilli()
		id[i], callID[i], caller[i], callee[i], source[i] = r.ID, r.CallID, r.Caller, r.Callee, r.Source
		start[i], answer[i], end[i], dur[i], bill[i] = r.Start.Time().UnixMilli(), &a, &e, r.DurationMS, r.BillableS
		disp[i], code[i], reason[i], by[i], legs[i], version[i] = r.Disposition, int32(r.SIPCode), r.Reason, r.EndedBy, string(l), 1
	}
	return []any{id, callID, caller, callee, source, start, answer, end, dur, bill, disp, code, reason, by, legs, empty, empty, version}
}

// BenchmarkRead measures Get and List on about a million rows (with every
// CDR inserted twice, unmerged duplicates for the reads to collapse),
// comparing FINAL with LIMIT 1 BY id, the alternative that works on 18.16.
func BenchmarkRead(b *testing.B) {
	ctx := context.Background()
	cfg := newDatabase(b)
	cfg.BatchRows = 100_000
	s, err := chstore.Open(ctx, cfg, testLogger(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const total = 1_000_000
	rs := benchCDRs(total/2, benchStart) // 10 ms apart: 500k spans 83 minutes
	rs2 := benchCDRs(total/2, benchStart.AddDate(0, 0, 1))
	for _, batch := range [][]domain.CDR{rs, rs2, rs[:total/4]} {
		if err := s.Put(ctx, batch, 1); err != nil {
			b.Fatal(err)
		}
	}
	conn := rawConnIn(b, cfg, cfg.Database)
	id := rs[1234].ID
	hour := cdr.Filter{Since: benchStart.Add(10 * time.Minute), Until: benchStart.Add(11 * time.Minute)}
	b.Run("Get", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Get(ctx, id); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("List/1min-window(6000)", func(b *testing.B) {
		for b.Loop() {
			if got, err := s.List(ctx, hour); err != nil || len(got) != 6000 {
				b.Fatal(len(got), err)
			}
		}
	})
	b.Run("List/caller-limit100", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.List(ctx, cdr.Filter{Caller: rs[7].Caller, Limit: 100}); err != nil {
				b.Fatal(err)
			}
		}
	})
	alternatives := []struct{ name, q string }{
		{"count/FINAL", "SELECT count() FROM (SELECT id FROM cdr FINAL)"},
		{"count/LIMIT1BY", "SELECT count() FROM (SELECT id FROM cdr ORDER BY id, version DESC LIMIT 1 BY id)"},
		{"count/argMax", "SELECT count() FROM (SELECT id, argMax(start, version) FROM cdr GROUP BY id)"},
		{"window/FINAL", fmt.Sprintf("SELECT id, legs FROM (SELECT id, start, legs FROM cdr FINAL WHERE intDiv(start, 86400000) = %d) WHERE start >= %d AND start < %d", benchStart.UnixMilli()/86_400_000, hour.Since.UnixMilli(), hour.Until.UnixMilli())},
		{"window/LIMIT1BY", fmt.Sprintf("SELECT id, legs FROM (SELECT id, start, legs FROM cdr WHERE intDiv(start, 86400000) = %d ORDER BY id, version DESC LIMIT 1 BY id) WHERE start >= %d AND start < %d", benchStart.UnixMilli()/86_400_000, hour.Since.UnixMilli(), hour.Until.UnixMilli())},
		{"get/FINAL", fmt.Sprintf("SELECT id, legs FROM cdr FINAL WHERE id = '%s'", id)},
		{"get/ORDER-version-LIMIT1", fmt.Sprintf("SELECT id, legs FROM cdr WHERE id = '%s' ORDER BY version DESC LIMIT 1", id)},
	}
	for _, a := range alternatives {
		b.Run("sql/"+a.name, func(b *testing.B) {
			for b.Loop() {
				rows, err := conn.Query(ctx, a.q)
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				if err := rows.Err(); err != nil {
					b.Fatal(err)
				}
				rows.Close()
			}
		})
	}
}
