-- Every rating of every CDR, for auditors (docs/rating.md): the cdr
-- table keeps only the newest rating of a call (ReplacingMergeTree), this
-- one keeps them all. Plain MergeTree: nothing collapses. Written by
-- Store.PutRatingHistory; a retried write may store a (id,
-- rating_version) twice, so readers take any(...) per pair or DISTINCT.
-- rated_at is when it was written, Unix ms UTC (18.16 has no DateTime64).
CREATE TABLE IF NOT EXISTS {database}.{table}_rating_history (
    id String,
    rating_version UInt32,
    rating_status String,
    start Int64,
    price String,
    price_micro Int64,
    currency String,
    rate_deck String,
    rate_prefix String,
    billable_s Int64,
    cost String,
    cost_micro Int64,
    cost_currency String,
    cost_deck String,
    cost_prefix String,
    cost_billable_s Int64,
    rated_at Int64
) ENGINE = MergeTree
PARTITION BY toYYYYMM(toDateTime(intDiv(greatest(start, 0), 1000), 'UTC'))
ORDER BY (id, rating_version)
