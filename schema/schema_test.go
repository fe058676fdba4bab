package schema_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/omnistat/omnistat/schema"
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
