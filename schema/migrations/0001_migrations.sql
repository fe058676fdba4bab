-- The ledger of applied migrations. Written after each migration's statements all ran;
-- every statement is IF NOT EXISTS, so a migration stopped halfway runs again cleanly.
CREATE TABLE IF NOT EXISTS schema_migrations {{onCluster}} (
    version    UInt32,
    name       String,
    applied_at DateTime('UTC')
) ENGINE = {{replicatedAll "ReplacingMergeTree(applied_at)" "schema_migrations"}}
ORDER BY version;
