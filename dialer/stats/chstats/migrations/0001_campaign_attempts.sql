-- Campaign statistics (issue 15 §6): one row per dialing attempt and per
-- refused decision, written by dialer/stats. Times are Int64 Unix
-- milliseconds UTC, as in the CDR table (18.16 has no DateTime64). id is
-- the event's id, so a replay re-inserts the same row; version orders
-- re-inserts (the highest wins, FINAL or argMax before a merge).
-- callee_call_id joins the CDR table's sip_call_id: the attempt's carrier,
-- trunk, answer time, duration and cost are the CDR's.
CREATE TABLE IF NOT EXISTS {database}.{table} (
    id String,
    campaign String,
    lead String,
    attempt UInt32,
    number String,
    caller_id String,
    agent String,
    placed UInt8,
    outcome String,
    reason String,
    sip_code Int32,
    callee_call_id String,
    early_media String,
    amd String,
    digit String,
    confidence Float64,
    dialed Int64,
    ended Int64,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(toDateTime(intDiv(greatest(dialed, 0), 1000), 'UTC'))
ORDER BY (campaign, intDiv(dialed, 3600000), id)
