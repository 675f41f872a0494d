-- Rating (issue 5, docs/rating.md): the sell side (price, currency,
-- rate_deck "name@vN", rate_prefix; billable_s already holds its billable
-- seconds) and the buy side (cost, cost_currency, cost_deck, cost_prefix,
-- cost_billable_s). Amounts are the exact decimal strings of `cdr list
-- --json`; price_micro and cost_micro are the same amounts in Int64
-- micro-units (1e-6), the columns to sum: sum(price_micro) is exact in
-- Int64 up to 9.2e12 currency units, and never sum the strings.
-- Rows written before this migration read as rating_status '' (not yet
-- rated) and zero amounts. One ALTER: 18.16 has no ADD COLUMN IF NOT
-- EXISTS, so a migration that died half-way must not leave some columns.
ALTER TABLE {database}.{table}
    ADD COLUMN rating_status String,
    ADD COLUMN rating_version UInt32,
    ADD COLUMN price String,
    ADD COLUMN currency String,
    ADD COLUMN rate_deck String,
    ADD COLUMN rate_prefix String,
    ADD COLUMN cost String,
    ADD COLUMN cost_currency String,
    ADD COLUMN cost_deck String,
    ADD COLUMN cost_prefix String,
    ADD COLUMN cost_billable_s Int64,
    ADD COLUMN price_micro Int64,
    ADD COLUMN cost_micro Int64
