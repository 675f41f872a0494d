-- The CDR table. Column names are the JSON field names of `softswitch cdr
-- list`; times are Int64 Unix milliseconds UTC because 18.16 has no
-- DateTime64 and its DateTime (UInt32 seconds) cannot hold a start before
-- 1970 or a millisecond. answer/end are NULL when the JSON says null.
-- carrier/trunk are written empty until the interconnect issue fills them.
-- version orders re-inserts of one id: the highest wins (see
-- docs/clickhouse.md).
CREATE TABLE IF NOT EXISTS {database}.{table} (
    id String,
    call_id String,
    caller String,
    callee String,
    source String,
    start Int64,
    answer Nullable(Int64),
    `end` Nullable(Int64),
    duration_ms Int64,
    billable_s Int64,
    disposition String,
    sip_code Int32,
    reason String,
    ended_by String,
    legs String,
    carrier String,
    trunk String,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(toDateTime(intDiv(greatest(start, 0), 1000), 'UTC'))
ORDER BY (intDiv(start, 86400000), id)
