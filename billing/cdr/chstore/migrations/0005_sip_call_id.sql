-- The switch's own call ids (issue 11): call_id is now the switch's id
-- ("<node>-<ULID>"), never what an endpoint sent, and sip_call_id is the
-- Call-ID the caller sent on the A-leg, kept to search by (each leg's is
-- in legs). Rows written before this migration read sip_call_id as '';
-- their call_id was the SIP Call-ID.
ALTER TABLE {database}.{table}
    ADD COLUMN sip_call_id String
