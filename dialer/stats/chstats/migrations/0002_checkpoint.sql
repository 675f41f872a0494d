-- The statistics consumer's checkpoint: one row per Put; the highest
-- version is the current position.
CREATE TABLE IF NOT EXISTS {database}.{table}_checkpoint (
    position UInt64,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY tuple()
