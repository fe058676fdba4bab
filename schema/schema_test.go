package schema_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/omnistat/omnistat/schema"
	"github.com/omnistat/omnistat/store"
	"github.com/omnistat/omnistat/store/embedded/embeddedtest"
)

func TestMain(m *testing.M) { embeddedtest.Main(m) }

func TestMigrateTwiceIsIdempotent(t *testing.T) {
	st := embeddedtest.Open(t)
	ctx := context.Background()
	all, err := schema.Migrations(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	did, err := schema.Migrate(ctx, st, schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(did) != len(all) {
		t.Fatalf("first run applied %v; want all %d migrations", did, len(all))
	}
	did, err = schema.Migrate(ctx, st, schema.Options{})
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if len(did) != 0 {
		t.Fatalf("second run applied %v again; want nothing", did)
	}
	res, err := st.Query(ctx, "SELECT count() FROM schema_migrations FINAL", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows[0][0] != int64(len(all)) {
		t.Fatalf("ledger has %v rows; want %d", res.Rows[0][0], len(all))
	}
}

// The collector inserts by schema.EventColumns; this keeps it equal to the table.
func TestEventColumnsMatchTheTable(t *testing.T) {
	st := embeddedtest.Open(t)
	ctx := context.Background()
	if _, err := schema.Migrate(ctx, st, schema.Options{}); err != nil {
		t.Fatal(err)
	}
	res, err := st.Query(ctx, "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'events' ORDER BY position", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, r := range res.Rows {
		got = append(got, fmt.Sprintf("%s %s", r[0], r[1]))
	}
	for _, c := range schema.EventColumns {
		want = append(want, c.Name+" "+c.Type)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events table columns:\n%s\n\nschema.EventColumns:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestClusterDDL(t *testing.T) {
	ms, err := schema.Migrations(schema.Options{Cluster: "analytics", Database: "omnistat"})
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, m := range ms {
		all = append(all, m.Statements...)
	}
	for _, stmt := range all {
		if !strings.Contains(stmt, "ON CLUSTER analytics") {
			t.Errorf("statement without ON CLUSTER:\n%s", stmt)
		}
		if strings.Contains(stmt, "ENGINE = MergeTree") || strings.Contains(stmt, "ENGINE = ReplacingMergeTree") {
			t.Errorf("non-replicated engine in cluster DDL:\n%s", stmt)
		}
	}
	joined := strings.Join(all, "\n;\n")
	for _, want := range []string{
		"CREATE TABLE IF NOT EXISTS events_local ON CLUSTER analytics (",
		"ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/events_local', '{replica}')",
		"CREATE TABLE IF NOT EXISTS events ON CLUSTER analytics AS events_local\nENGINE = Distributed(analytics, omnistat, events_local, visitor_id)",
		"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/sites', '{replica}', version)",
		"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/schema_migrations', '{replica}', applied_at)",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("cluster DDL lacks:\n%s", want)
		}
	}
	if strings.Contains(joined, "non_replicated_deduplication_window") {
		t.Error("cluster DDL sets non_replicated_deduplication_window, which replicated tables do not take")
	}
	if _, err := schema.Migrations(schema.Options{Cluster: "x; DROP"}); err == nil {
		t.Error("a cluster name that is not an identifier was accepted")
	}
	single, _ := schema.Migrations(schema.Options{})
	for _, m := range single {
		for _, s := range m.Statements {
			if strings.Contains(s, "ON CLUSTER") || strings.Contains(s, "Replicated") || strings.Contains(s, "_local") {
				t.Errorf("single-node DDL has cluster parts:\n%s", s)
			}
		}
	}
}

// A server whose events table predates migration 0006 (the path as plain String) keeps
// every event when it is upgraded, and the path becomes dictionary-encoded.
func TestPathMigrationKeepsEvents(t *testing.T) {
	st := embeddedtest.Open(t)
	before, after := upgrade(t, st, 6, []string{
		"ALTER TABLE events MODIFY COLUMN path String SETTINGS mutations_sync = 2",
		"INSERT INTO events (site_id, ts, name, visitor_id, session_id, path) SELECT 1, toDateTime64('2026-11-01 00:00:00', 3, 'UTC') + number, 'pageview', number % 7, number % 11, concat('/p/', toString(number % 13)) FROM numbers(1000)",
	}, "SELECT toTypeName(path), count(), uniqExact(path), sum(length(path)) FROM events GROUP BY 1")
	if before != "[[String 1000 13 4230]]" || after != "[[LowCardinality(String) 1000 13 4230]]" {
		t.Fatalf("before the upgrade %s; after %s", before, after)
	}
}

// A server whose events were written before migration 0007 keeps every one of them,
// and a merge rewrites them with the new codecs.
func TestCodecMigrationKeepsEvents(t *testing.T) {
	st := embeddedtest.Open(t)
	// The check after the upgrade reads the parts as a merge rewrote them.
	before, after := upgrade(t, st, 7, []string{
		"ALTER TABLE events MODIFY COLUMN ts CODEC(DoubleDelta, ZSTD(1)), MODIFY COLUMN channel REMOVE CODEC, MODIFY COLUMN visitor_id REMOVE CODEC",
		"INSERT INTO events (site_id, ts, name, visitor_id, session_id, channel, path) SELECT 1, toDateTime64('2026-11-01 00:00:00', 3, 'UTC') + number * 7, 'pageview', number % 97, number % 131, ['Direct', 'Email', 'Referral'][number % 3 + 1], '/' FROM numbers(20000)",
	}, "SELECT count(), uniqExact(visitor_id), uniqExact(session_id), sum(toUnixTimestamp64Milli(ts)), arraySort(groupUniqArray(channel)) FROM events", "OPTIMIZE TABLE events FINAL")
	if before != after || !strings.HasPrefix(after, "[[20000 97 131 ") {
		t.Fatalf("before the upgrade %s; after %s", before, after)
	}
	codecs, err := st.Query(context.Background(), "SELECT name, compression_codec FROM system.columns WHERE database = currentDatabase() AND table = 'events' AND name IN ('ts', 'channel', 'visitor_id') ORDER BY name", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(codecs.Rows); got != "[[channel CODEC(ZSTD(1))] [ts CODEC(Delta(8), ZSTD(3))] [visitor_id CODEC(Delta(8), ZSTD(1))]]" {
		t.Fatalf("codecs after the upgrade: %s", got)
	}
}

// upgrade plays an upgrade from before migration version: it migrates st fully, runs
// setup (which puts back what the migration changes, and writes events the old way),
// rewrites the ledger as the older server left it, and migrates again, checking that
// exactly version and the later migrations run. It returns check's rows before and
// after, the after side read once the statements in afterUpgrade have run.
func upgrade(t *testing.T, st store.Store, version int, setup []string, check string, afterUpgrade ...string) (before, after string) {
	t.Helper()
	ctx := context.Background()
	if _, err := schema.Migrate(ctx, st, schema.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range setup {
		if err := st.Exec(ctx, stmt, nil); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := st.Exec(ctx, "TRUNCATE TABLE schema_migrations", nil); err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, m := range mustMigrations(t) {
		if m.Version >= version {
			want = append(want, m.Version)
			continue
		}
		if err := st.Exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ({v:UInt32}, {n:String}, now())",
			map[string]string{"v": fmt.Sprint(m.Version), "n": m.Name}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := st.Query(ctx, check, nil)
	if err != nil {
		t.Fatal(err)
	}
	before = fmt.Sprint(res.Rows)
	did, err := schema.Migrate(ctx, st, schema.Options{})
	if err != nil || fmt.Sprint(did) != fmt.Sprint(want) {
		t.Fatalf("upgrade applied %v, %v; want %v", did, err, want)
	}
	for _, stmt := range afterUpgrade {
		if err := st.Exec(ctx, stmt, nil); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if res, err = st.Query(ctx, check, nil); err != nil {
		t.Fatal(err)
	}
	return before, fmt.Sprint(res.Rows)
}

func mustMigrations(t *testing.T) []schema.Migration {
	t.Helper()
	ms, err := schema.Migrations(schema.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ms
}
