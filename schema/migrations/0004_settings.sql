-- Server-wide secrets and settings, e.g. the key that signs dashboard session cookies.
-- Like salts, the first value written wins on every node (argMin by created).
CREATE TABLE IF NOT EXISTS settings {{onCluster}} (
    name    String,
    value   String,
    created DateTime64(3, 'UTC')
) ENGINE = {{replicatedAll "MergeTree" "settings"}}
ORDER BY (name, created);
