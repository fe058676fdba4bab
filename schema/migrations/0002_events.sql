-- Every event, web and offline, one row each: the source of truth for every report.
--
-- ORDER BY (site_id, toDate(ts), visitor_id, ts): every query names one site and a date
-- range, so those two prune granules; visitor_id next keeps a visitor's events together,
-- which is what sessions, funnels and journeys group by, makes SAMPLE BY possible and
-- compresses visitor/session ids well. Monthly partitions keep the part count low
-- (never partition by site). Low-cardinality strings are LowCardinality; long free text
-- gets ZSTD. user_id, channel and ts are first-class columns for cross-channel journeys.
CREATE TABLE IF NOT EXISTS {{table "events"}} {{onCluster}} (
    site_id          UInt32,
    ts               DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    name             LowCardinality(String),
    visitor_id       UInt64,
    session_id       UInt64 CODEC(ZSTD(1)),
    user_id          String CODEC(ZSTD(3)),
    channel          LowCardinality(String),
    source           LowCardinality(String),
    medium           LowCardinality(String),
    campaign         LowCardinality(String),
    term             String CODEC(ZSTD(3)),
    utm_content      String CODEC(ZSTD(3)),
    click_id         LowCardinality(String),
    referrer_domain  LowCardinality(String),
    referrer         String CODEC(ZSTD(3)),
    hostname         LowCardinality(String),
    path             String CODEC(ZSTD(3)),
    title            String CODEC(ZSTD(3)),
    device           LowCardinality(String),
    browser          LowCardinality(String),
    browser_version  LowCardinality(String),
    os               LowCardinality(String),
    os_version       LowCardinality(String),
    screen           UInt16 CODEC(T64, ZSTD(1)),
    country          LowCardinality(String),
    region           LowCardinality(String),
    city             LowCardinality(String),
    language         LowCardinality(String),
    props            Map(LowCardinality(String), String) CODEC(ZSTD(3)),
    content_name     LowCardinality(String),
    content_piece    String CODEC(ZSTD(3)),
    content_target   String CODEC(ZSTD(3)),
    engaged_ms       UInt32 CODEC(T64, ZSTD(1)),
    scroll           UInt8,
    revenue          Decimal64(4) CODEC(ZSTD(1)),
    currency         LowCardinality(String)
) ENGINE = {{replicated "MergeTree" "events"}}
PARTITION BY toYYYYMM(ts)
ORDER BY (site_id, toDate(ts), visitor_id, ts)
SAMPLE BY visitor_id
SETTINGS index_granularity = 8192{{if not .Cluster}}, non_replicated_deduplication_window = 10000{{end}};
{{distributed "events" "visitor_id"}}
