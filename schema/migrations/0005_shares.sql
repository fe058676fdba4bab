-- Shared links: a read-only view of one site's dashboard at /share/{id}, optionally
-- behind a password (bcrypt). The id is the link's secret; it is kept as is, like
-- Plausible's shared links, so the people who manage a site can copy a link again.
CREATE TABLE IF NOT EXISTS shares {{onCluster}} (
    id            String,
    site_id       UInt32,
    name          String,
    password_hash String,
    created_at    DateTime('UTC'),
    deleted       UInt8,
    version       UInt64
) ENGINE = {{replicatedAll "ReplacingMergeTree(version)" "shares"}}
ORDER BY id;
