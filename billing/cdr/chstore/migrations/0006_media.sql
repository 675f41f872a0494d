-- RTP media plane (issue 13, docs/media.md): the call's last media
-- quality snapshot (domain.CDR.Media, from call.media_stats) flattened
-- into columns for the caller's leg (a_) and the answering B-leg (b_),
-- so quality is summed and filtered without parsing JSON; then the
-- recording's path and SHA-256. *_media_leg is the leg id ('a', 'b1', ...)
-- and '' when the CDR has no entry for that leg: a call whose media did
-- not go through the switch, and every row written before this migration
-- (the DEFAULTs). Counters are packets the switch received from that
-- leg's endpoint; *_rtp_sent what it sent to it; *_rtp_dropped those not
-- relayed, of which *_rtp_foreign came from another source than the
-- latched one (*_rtp_source) and *_rtp_malformed did not parse.
-- One ALTER, as 0003: 18.16 has no ADD COLUMN IF NOT EXISTS, so a
-- migration that died half-way must not leave some columns.
ALTER TABLE {database}.{table}
    ADD COLUMN a_media_leg String DEFAULT '',
    ADD COLUMN a_rtp_packets UInt64 DEFAULT 0,
    ADD COLUMN a_rtp_bytes UInt64 DEFAULT 0,
    ADD COLUMN a_rtp_lost Int64 DEFAULT 0,
    ADD COLUMN a_rtp_out_of_order UInt64 DEFAULT 0,
    ADD COLUMN a_rtp_duplicates UInt64 DEFAULT 0,
    ADD COLUMN a_jitter_ms Float64 DEFAULT 0,
    ADD COLUMN a_rtt_ms Float64 DEFAULT 0,
    ADD COLUMN a_mos Float64 DEFAULT 0,
    ADD COLUMN a_rtp_sent UInt64 DEFAULT 0,
    ADD COLUMN a_rtp_foreign UInt64 DEFAULT 0,
    ADD COLUMN a_rtp_malformed UInt64 DEFAULT 0,
    ADD COLUMN a_rtp_dropped UInt64 DEFAULT 0,
    ADD COLUMN a_rtp_source String DEFAULT '',
    ADD COLUMN b_media_leg String DEFAULT '',
    ADD COLUMN b_rtp_packets UInt64 DEFAULT 0,
    ADD COLUMN b_rtp_bytes UInt64 DEFAULT 0,
    ADD COLUMN b_rtp_lost Int64 DEFAULT 0,
    ADD COLUMN b_rtp_out_of_order UInt64 DEFAULT 0,
    ADD COLUMN b_rtp_duplicates UInt64 DEFAULT 0,
    ADD COLUMN b_jitter_ms Float64 DEFAULT 0,
    ADD COLUMN b_rtt_ms Float64 DEFAULT 0,
    ADD COLUMN b_mos Float64 DEFAULT 0,
    ADD COLUMN b_rtp_sent UInt64 DEFAULT 0,
    ADD COLUMN b_rtp_foreign UInt64 DEFAULT 0,
    ADD COLUMN b_rtp_malformed UInt64 DEFAULT 0,
    ADD COLUMN b_rtp_dropped UInt64 DEFAULT 0,
    ADD COLUMN b_rtp_source String DEFAULT '',
    ADD COLUMN recording String DEFAULT '',
    ADD COLUMN recording_sha256 String DEFAULT ''
