-- The consumer checkpoint: one row per stream, re-inserted by every Put;
-- the highest version is the current position.
CREATE TABLE IF NOT EXISTS {database}.{table}_checkpoint (
    stream String,
    position UInt64,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY stream
