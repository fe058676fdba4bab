// Package schema owns Omnistat's ClickHouse tables: the numbered, embedded, forward-only
// migrations in migrations/, their rendering for one server or a cluster (ON CLUSTER,
// Replicated engines, a Distributed table over the sharded events), the migration ledger,
// and the events table's column list that the collector inserts by.
package schema

import (
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one numbered file of statements.
type Migration struct {
	Version    int
	Name       string
	Statements []string
}

// Options choose how the DDL is rendered.
type Options struct {
	// Cluster, when set, renders DDL for a ClickHouse cluster of that name: every
	// statement ON CLUSTER, Replicated* engines (metadata replicated to every node,
	// events sharded), events_local per shard and a Distributed events table over it,
	// sharded by visitor_id so a visitor's sessions and funnels stay on one shard.
	Cluster string
	// Database is the database the tables live in (needed by the Distributed engine).
	Database string
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Migrations renders every migration for o, in version order.
func Migrations(o Options) ([]Migration, error) {
	if o.Cluster != "" && !identRE.MatchString(o.Cluster) {
		return nil, fmt.Errorf("schema: cluster name %q is not a plain identifier", o.Cluster)
	}
	if o.Database == "" {
		o.Database = "omnistat"
	}
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Migration
	for _, path := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(path, "migrations/"), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("schema: migration file %s is not named NNNN_name.sql", path)
		}
		src, err := migrationFiles.ReadFile(path)
		if err != nil {
			return nil, err
		}
		sql, err := render(path, string(src), o)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, Statements: splitStatements(sql)})
	}
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("schema: two migrations numbered %d", out[i].Version)
		}
	}
	return out, nil
}

func render(name, src string, o Options) (string, error) {
	cluster := o.Cluster
	funcs := template.FuncMap{
		// table names a sharded table: its local part in a cluster.
		"table": func(t string) string {
			if cluster != "" {
				return t + "_local"
			}
			return t
		},
		"onCluster": func() string {
			if cluster != "" {
				return "ON CLUSTER " + cluster
			}
			return ""
		},
		// replicated gives the engine of a sharded table: one replica set per shard.
		"replicated": func(engine, t string) string {
			if cluster == "" {
				return engine
			}
			return replicatedEngine(engine, "/clickhouse/tables/{shard}/{database}/"+t+"_local")
		},
		// replicatedAll gives the engine of a small table copied to every node.
		"replicatedAll": func(engine, t string) string {
			if cluster == "" {
				return engine
			}
			return replicatedEngine(engine, "/clickhouse/tables/all/{database}/"+t)
		},
		// distributed adds, in a cluster, the table queries read and write through.
		"distributed": func(t, key string) string {
			if cluster == "" {
				return ""
			}
			return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s ON CLUSTER %s AS %s_local\nENGINE = Distributed(%s, %s, %s_local, %s);",
				t, cluster, t, cluster, o.Database, t, key)
		},
	}
	tpl, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(src)
	if err != nil {
		return "", fmt.Errorf("schema: %s: %w", name, err)
	}
	var b strings.Builder
	if err := tpl.Execute(&b, o); err != nil {
		return "", fmt.Errorf("schema: %s: %w", name, err)
	}
	return b.String(), nil
}

// replicatedEngine turns "ReplacingMergeTree(version)" into
// "ReplicatedReplacingMergeTree('<path>', '{replica}', version)".
func replicatedEngine(engine, path string) string {
	name, args, _ := strings.Cut(engine, "(")
	args = strings.TrimSuffix(args, ")")
	out := "Replicated" + name + "('" + path + "', '{replica}'"
	if args != "" {
		out += ", " + args
	}
	return out + ")"
}

// splitStatements splits a file on semicolons that end a line, dropping comment lines
// and empty statements. Migrations never put a semicolon at a line end inside a string.
func splitStatements(sql string) []string {
	var out []string
	var cur []string
	for _, line := range strings.Split(sql, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur = append(cur, line)
		if strings.HasSuffix(trimmed, ";") {
			stmt := strings.TrimSuffix(strings.TrimSpace(strings.Join(cur, "\n")), ";")
			if strings.TrimSpace(stmt) != "" {
				out = append(out, stmt)
			}
			cur = nil
		}
	}
	if stmt := strings.TrimSpace(strings.Join(cur, "\n")); stmt != "" {
		out = append(out, stmt)
	}
	return out
}
