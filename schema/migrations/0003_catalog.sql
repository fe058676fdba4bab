-- Small metadata tables. ClickHouse has no UPDATE in place, so each is a
-- ReplacingMergeTree on a version column: a change writes a new row with a higher
-- version, a delete writes one with deleted = 1, and readers use FINAL (cheap at this
-- size). In a cluster they are replicated to every node, not sharded.
CREATE TABLE IF NOT EXISTS sites {{onCluster}} (
    id         UInt32,
    domain     String,
    timezone   String,
    created_at DateTime('UTC'),
    deleted    UInt8,
    version    UInt64
) ENGINE = {{replicatedAll "ReplacingMergeTree(version)" "sites"}}
ORDER BY id;

CREATE TABLE IF NOT EXISTS api_keys {{onCluster}} (
    id         String,
    secret_sha256 String,
    name       String,
    site_ids   Array(UInt32),
    created_at DateTime('UTC'),
    deleted    UInt8,
    version    UInt64
) ENGINE = {{replicatedAll "ReplacingMergeTree(version)" "api_keys"}}
ORDER BY id;

CREATE TABLE IF NOT EXISTS goals {{onCluster}} (
    site_id    UInt32,
    id         UInt32,
    name       String,
    event      String,
    page       String,
    created_at DateTime('UTC'),
    deleted    UInt8,
    version    UInt64
) ENGINE = {{replicatedAll "ReplacingMergeTree(version)" "goals"}}
ORDER BY (site_id, id);

CREATE TABLE IF NOT EXISTS links {{onCluster}} (
    slug       String,
    site_id    UInt32,
    target     String,
    campaign   String,
    channel    String,
    source     String,
    medium     String,
    created_at DateTime('UTC'),
    deleted    UInt8,
    version    UInt64
) ENGINE = {{replicatedAll "ReplacingMergeTree(version)" "links"}}
ORDER BY slug;

CREATE TABLE IF NOT EXISTS users {{onCluster}} (
    email         String,
    password_hash String,
    created_at    DateTime('UTC'),
    deleted       UInt8,
    version       UInt64
) ENGINE = {{replicatedAll "ReplacingMergeTree(version)" "users"}}
ORDER BY email;

-- Daily salts for the cookieless visitor id. A salt is random, never derived, and is
-- deleted after two days, so yesterday's visitor ids cannot be recomputed from logs.
CREATE TABLE IF NOT EXISTS salts {{onCluster}} (
    day     Date,
    salt    String,
    created DateTime('UTC')
) ENGINE = {{replicatedAll "ReplacingMergeTree(created)" "salts"}}
ORDER BY day
TTL created + INTERVAL 2 DAY;
