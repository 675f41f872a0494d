package chsettle

import (
	"context"
	"fmt"
	"time"
)

// signature is what a day's raw rows looked like: any insert into the day
// (a new CDR, a re-rated version, a redelivered duplicate) adds rows and
// normally raises the highest version; a background merge removes rows.
// Either way the signature changes and the day is rebuilt — a merge
// rebuilds needlessly, which costs one day's FINAL and is never wrong.
type signature struct {
	rawRows    int64
	maxVersion uint64
}

// refresh rebuilds, from FINAL, every day in [first, last] whose raw rows
// no longer match the signature its newest build recorded. Days with no
// rows are skipped: they have nothing to roll up.
func (s *Source) refresh(ctx context.Context, first, last int64) error {
	now, err := s.signatures(ctx, s.sql(qDaySignature), first, last)
	if err != nil {
		return err
	}
	built, err := s.signatures(ctx, s.sql(qBuilds), first, last)
	if err != nil {
		return err
	}
	var stale []int64
	for day := first; day <= last; day++ {
		sig, ok := now[day]
		if ok && built[day] != sig {
			stale = append(stale, day)
		}
	}
	// Contiguous runs of stale days rebuild in one INSERT ... SELECT.
	for i := 0; i < len(stale); {
		j := i
		for j+1 < len(stale) && stale[j+1] == stale[j]+1 {
			j++
		}
		if err := s.build(ctx, stale[i], stale[j], now); err != nil {
			return err
		}
		i = j + 1
	}
	return nil
}

// build rolls days [first, last] up under a new build id, then records
// each day's signature as read before the rollup. Rows inserted in
// between are either in the rollup or not; the recorded signature is
// older than they are, so the next statement sees the day changed and
// rebuilds it — the rollup can be stale for a moment, never trusted stale.
func (s *Source) build(ctx context.Context, first, last int64, sigs map[int64]signature) error {
	id := s.nextBuild()
	start := time.Now()
	if err := s.conn.Exec(ctx, s.sql(qBuildDays), id, first, last); err != nil {
		return fmt.Errorf("chsettle: rollup days %d-%d: %w", first, last, err)
	}
	batch, err := s.conn.PrepareBatch(ctx, s.sql("INSERT INTO {builds} (day, build, raw_rows, max_version, built_at)"))
	if err != nil {
		return fmt.Errorf("chsettle: rollup marker: %w", err)
	}
	defer batch.Abort() //nolint:errcheck // a no-op after Send
	for day := first; day <= last; day++ {
		sig := sigs[day]
		if err := batch.Append(day, id, sig.rawRows, sig.maxVersion, time.Now().UnixMilli()); err != nil {
			return fmt.Errorf("chsettle: rollup marker: %w", err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("chsettle: rollup marker: %w", err)
	}
	s.log.Info("settlement rollup rebuilt", "first_day", first, "last_day", last, "build", id, "took", time.Since(start))
	return nil
}

func (s *Source) signatures(ctx context.Context, sqlText string, first, last int64) (map[int64]signature, error) {
	rows, err := s.conn.Query(ctx, sqlText, first, last)
	if err != nil {
		return nil, fmt.Errorf("chsettle: day signatures: %w", err)
	}
	defer rows.Close()
	out := map[int64]signature{}
	for rows.Next() {
		var day int64
		var sig signature
		if err := rows.Scan(&day, &sig.rawRows, &sig.maxVersion); err != nil {
			return nil, fmt.Errorf("chsettle: day signatures: %w", err)
		}
		out[day] = sig
	}
	return out, rows.Err()
}
