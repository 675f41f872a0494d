package chsettle

import "strings"

// The statement SQL, shown and explained in docs/settlement.md; a test
// checks the document quotes each of these verbatim, so they cannot drift.
// {cdr}, {daily} and {builds} are the qualified table names (identifiers
// validated by Config, never user input); values are bound with ?.
//
// Every read of the CDR table follows docs/billing-queries.md: FINAL in a
// subquery with only the sorting key's day bound inside, every other
// filter outside (18.16 filters before collapsing otherwise).

// sumsColumns are the additive figures, Int64 so that one scan fits all.
const sumsColumns = `
    toInt64(count()) AS calls,
    toInt64(countIf(disposition = 'answered')) AS answered,
    toInt64(countIf(disposition = 'answered' AND rating_status = 'unrated')) AS unrated,
    toInt64(sum(cost_billable_s)) AS billable_s,
    toInt64(sumIf(ifNull(` + "`end`" + `, 0) - ifNull(answer, 0),
        disposition = 'answered' AND isNotNull(answer) AND isNotNull(` + "`end`" + `))) AS answered_ms,
    toInt64(sum(cost_micro)) AS cost_micro`

// finalColumns is what the FINAL subquery keeps of each CDR.
const finalColumns = "id, carrier, start, answer, `end`, callee, disposition, rating_status, cost_prefix, cost_currency, cost_billable_s, cost_micro"

// qStatementFinal is the exact statement straight from the CDR table.
// Args: first day, last day (sorting-key bound), carrier, from ms, to ms.
const qStatementFinal = `SELECT cost_prefix, cost_currency,` + sumsColumns + `
FROM (SELECT ` + finalColumns + `
      FROM {cdr} FINAL
      WHERE intDiv(start, 86400000) BETWEEN ? AND ?)
WHERE carrier = ? AND start >= ? AND start < ?{callee}
GROUP BY cost_prefix, cost_currency`

// calleeClause narrows qStatementFinal to an MVNO's number ranges.
// Arg: a pattern ^(r1|r2…) of the ranges, which Query.Validate holds to
// digits. (18.16 rejects a lambda over callee here: "Unknown
// identifier".)
const calleeClause = `
  AND match(callee, ?)`

// qDaySignature is, per day, what any insert into the day changes: the
// raw row count (duplicates included) and the highest version.
// Args: first day, last day.
const qDaySignature = `SELECT intDiv(start, 86400000) AS day, toInt64(count()) AS raw_rows, max(version) AS max_version
FROM {cdr}
WHERE intDiv(start, 86400000) BETWEEN ? AND ?
GROUP BY day`

// qBuilds is the signature each day's newest rollup was built at.
// Args: first day, last day.
const qBuilds = `SELECT day, toInt64(argMax(raw_rows, build)), argMax(max_version, build)
FROM {builds}
WHERE day BETWEEN ? AND ?
GROUP BY day`

// qBuildDays rolls days up, every carrier at once, from FINAL.
// Args: build, first day, last day.
const qBuildDays = `INSERT INTO {daily} (day, build, carrier, cost_prefix, cost_currency, calls, answered, unrated, billable_s, answered_ms, cost_micro)
SELECT intDiv(start, 86400000) AS day, toUInt64(?) AS build, carrier, cost_prefix, cost_currency,` + sumsColumns + `
FROM (SELECT ` + finalColumns + `
      FROM {cdr} FINAL
      WHERE intDiv(start, 86400000) BETWEEN ? AND ?)
GROUP BY day, carrier, cost_prefix, cost_currency`

// qStatementDaily reads the newest build of whole days.
// Args: carrier, first day, last day, first day, last day.
const qStatementDaily = `SELECT cost_prefix, cost_currency,
    toInt64(sum(calls)), toInt64(sum(answered)), toInt64(sum(unrated)),
    sum(billable_s), sum(answered_ms), sum(cost_micro)
FROM {daily}
WHERE carrier = ? AND day BETWEEN ? AND ?
  AND (day, build) IN (SELECT day, max(build) FROM {builds} WHERE day BETWEEN ? AND ? GROUP BY day)
GROUP BY cost_prefix, cost_currency`

// qOurCalls are the answered calls of a carrier reconciliation compares.
// Args: first day, last day, carrier, from ms, to ms.
const qOurCalls = `SELECT id, callee, ifNull(answer, start), ifNull(` + "`end`" + `, 0) - ifNull(answer, 0), cost_micro, cost_currency
FROM (SELECT ` + finalColumns + `
      FROM {cdr} FINAL
      WHERE intDiv(start, 86400000) BETWEEN ? AND ?)
WHERE carrier = ? AND start >= ? AND start < ? AND disposition = 'answered'`

// ddl creates the adapter's own tables; no migration of the CDR table.
var ddl = []string{
	// One row per (day, build, carrier, prefix, currency); a rebuild
	// writes a new build rather than replacing rows, so a prefix that
	// vanished from a day cannot linger in the newest build.
	`CREATE TABLE IF NOT EXISTS {daily} (
    day Int64, build UInt64, carrier String, cost_prefix String, cost_currency String,
    calls Int64, answered Int64, unrated Int64, billable_s Int64, answered_ms Int64, cost_micro Int64
) ENGINE = MergeTree ORDER BY (day, carrier, build, cost_prefix, cost_currency)`,
	// A build is visible once its marker is written (after its rows).
	`CREATE TABLE IF NOT EXISTS {builds} (
    day Int64, build UInt64, raw_rows Int64, max_version UInt64, built_at Int64
) ENGINE = ReplacingMergeTree(build) ORDER BY day`,
	`CREATE TABLE IF NOT EXISTS {reconciliation} (
    run_id String, run_at Int64, carrier String, file String, kind String,
    callee String, our_id String, our_start Nullable(Int64), their_start Nullable(Int64), their_line Int64,
    our_duration_ms Int64, their_duration_ms Int64, duration_diff_ms Int64,
    our_amount String, their_amount String, amount_diff String, currency String
) ENGINE = MergeTree ORDER BY (carrier, run_id, kind, callee)`,
}

// qInsertReconciliation is the columns of one discrepancy row.
const qInsertReconciliation = `INSERT INTO {reconciliation} (run_id, run_at, carrier, file, kind, callee, our_id, our_start, their_start, their_line,
    our_duration_ms, their_duration_ms, duration_diff_ms, our_amount, their_amount, amount_diff, currency)`

func (s *Source) sql(q string) string { return s.names.Replace(q) }

func namesReplacer(db, cdrTable string) *strings.Replacer {
	qd := "`" + db + "`."
	return strings.NewReplacer(
		"{cdr}", qd+cdrTable,
		"{daily}", qd+cdrTable+"_settle_daily",
		"{builds}", qd+cdrTable+"_settle_builds",
		"{reconciliation}", qd+"reconciliation",
	)
}
