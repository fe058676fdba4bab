-- Compression fitted to how the events lie on disk, measured on 10 M events (bench/query,
-- OPTIMIZE FINAL): 18.8 -> 13.4 B/event, with answer times within the run-to-run noise
-- (ZSTD decodes a little slower than the default LZ4; the figures are in bench/README.md).
--   ts          Delta beats DoubleDelta: rows go visitor by visitor, so the time jumps at
--               every visitor and DoubleDelta pays for each jump twice (3.9 -> 2.7 B).
--   visitor_id  sorted within a day: Delta leaves small steps and zeros (2.8 -> 2.3 B).
--   session_id  repeats for each event of a visit; ZSTD(3) finds the runs (1.6 -> 1.5 B).
--   the LowCardinality columns  their dictionary keys repeat for a visitor's events, which
--               ZSTD packs about 40 % tighter than LZ4 (channel 0.50 -> 0.29 B).
--   engaged_ms, scroll  mostly zeros: plain ZSTD beats T64 or LZ4.
-- Only metadata changes: parts already written keep their codecs until a merge rewrites
-- them, so the migration is instant and every stored event stays readable.
ALTER TABLE {{table "events"}} {{onCluster}}
    MODIFY COLUMN ts CODEC(Delta, ZSTD(3)),
    MODIFY COLUMN name CODEC(ZSTD(1)),
    MODIFY COLUMN visitor_id CODEC(Delta, ZSTD(1)),
    MODIFY COLUMN session_id CODEC(ZSTD(3)),
    MODIFY COLUMN channel CODEC(ZSTD(1)),
    MODIFY COLUMN source CODEC(ZSTD(1)),
    MODIFY COLUMN medium CODEC(ZSTD(1)),
    MODIFY COLUMN campaign CODEC(ZSTD(1)),
    MODIFY COLUMN click_id CODEC(ZSTD(1)),
    MODIFY COLUMN referrer_domain CODEC(ZSTD(1)),
    MODIFY COLUMN hostname CODEC(ZSTD(1)),
    MODIFY COLUMN device CODEC(ZSTD(1)),
    MODIFY COLUMN browser CODEC(ZSTD(1)),
    MODIFY COLUMN browser_version CODEC(ZSTD(1)),
    MODIFY COLUMN os CODEC(ZSTD(1)),
    MODIFY COLUMN os_version CODEC(ZSTD(1)),
    MODIFY COLUMN country CODEC(ZSTD(1)),
    MODIFY COLUMN region CODEC(ZSTD(1)),
    MODIFY COLUMN city CODEC(ZSTD(1)),
    MODIFY COLUMN language CODEC(ZSTD(1)),
    MODIFY COLUMN content_name CODEC(ZSTD(1)),
    MODIFY COLUMN engaged_ms CODEC(ZSTD(1)),
    MODIFY COLUMN scroll CODEC(ZSTD(1)),
    MODIFY COLUMN currency CODEC(ZSTD(1));
