package server_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/omnistat/omnistat/internal/chtest"
	"github.com/omnistat/omnistat/store"
	"github.com/omnistat/omnistat/store/server"
)

// hostile strings must come back byte for byte: quotes, backslashes, control
// characters, SQL and placeholder look-alikes, multi-byte text.
var hostile = []string{
	"it's", `back\slash`, "new\nline", "tab\there", "cr\rlf", "nul\x00byte",
	"'); DROP TABLE x; --", `"double" 'single' ` + "`back`", "{x:String}", "?", "$1",
	"unicode ✓ 日本語 émoji 🙂", "", strings.Repeat("long ", 200),
}

// TestAgainstDebianServer runs the driver against a real ClickHouse 18.16 server. One
// server serves every subtest (it takes about a second to start); each subtest that
// writes uses its own database. The outage subtest runs last, as it stops the server.
func TestAgainstDebianServer(t *testing.T) {
	srv := chtest.StartServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	urlFor := func(db string) string { return "clickhouse://" + srv.Addr + "/" + db }
	dial := func(t *testing.T, db string) *server.Store {
		t.Helper()
		st, err := server.Dial(ctx, urlFor(db))
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	query := func(t *testing.T, st *server.Store, sql string) *store.Result {
		t.Helper()
		res, err := st.Query(ctx, sql, nil)
		if err != nil {
			t.Fatalf("Query(%s): %v", sql, err)
		}
		return res
	}

	t.Run("Dial pings and creates the database", func(t *testing.T) {
		st := dial(t, "dial_db")
		if st.Database() != "dial_db" {
			t.Fatalf("Database() = %q; want dial_db", st.Database())
		}
		res := query(t, st, "SELECT currentDatabase()")
		if got := res.Rows[0][0]; got != "dial_db" {
			t.Fatalf("currentDatabase() = %v; want dial_db (the URL's database is every connection's default)", got)
		}
		v, err := st.ServerVersion(ctx)
		if err != nil || !strings.HasPrefix(v, "18.16.") {
			t.Fatalf("ServerVersion = %q, %v; want Debian's 18.16.x", v, err)
		}
	})

	t.Run("the URL without a database means omnistat", func(t *testing.T) {
		st, err := server.Dial(ctx, "clickhouse://"+srv.Addr+"?dial_timeout=2s")
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if got := query(t, st, "SELECT currentDatabase()").Rows[0][0]; got != "omnistat" || st.Database() != "omnistat" {
			t.Fatalf("database %v / %q; want omnistat", got, st.Database())
		}
	})

	t.Run("EnsureDatabase recreates a dropped database", func(t *testing.T) {
		st := dial(t, "ensure_db")
		if err := st.Exec(ctx, "DROP DATABASE ensure_db", nil); err != nil {
			t.Fatal(err)
		}
		if err := st.EnsureDatabase(ctx); err != nil {
			t.Fatal(err)
		}
		if err := st.EnsureDatabase(ctx); err != nil {
			t.Fatalf("EnsureDatabase on an existing database: %v", err)
		}
		res := query(t, st, "SELECT count() FROM system.databases WHERE name = 'ensure_db'")
		if res.Rows[0][0] != int64(1) {
			t.Fatalf("ensure_db exists %v times; want 1", res.Rows[0][0])
		}
	})

	t.Run("batch insert with explicit columns scans back exactly", func(t *testing.T) {
		st := dial(t, "insert_db")
		// The column order of the table differs from the insert's on purpose: the
		// explicit column list decides.
		err := st.Exec(ctx, `CREATE TABLE rt (
				d Date, id UInt32, big UInt64, s String, ts DateTime, flag UInt8, f Float64,
				tags Array(String), neg Int64, price Decimal(18, 4), maybe Nullable(String), u UUID
			) ENGINE = MergeTree PARTITION BY toYYYYMM(d) ORDER BY id`, nil)
		if err != nil {
			t.Fatal(err)
		}
		cols := []store.Column{
			{Name: "id", Type: "UInt32"}, {Name: "big", Type: "UInt64"}, {Name: "s", Type: "String"},
			{Name: "ts", Type: "DateTime"}, {Name: "flag", Type: "UInt8"}, {Name: "f", Type: "Float64"},
			{Name: "tags", Type: "Array(String)"}, {Name: "d", Type: "Date"}, {Name: "neg", Type: "Int64"},
			{Name: "price", Type: "Decimal(18, 4)"}, {Name: "maybe", Type: "Nullable(String)"}, {Name: "u", Type: "UUID"},
		}
		base := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)
		const n = 1000
		var rows, want [][]any
		for i := 0; i < n; i++ {
			h := hostile[i%len(hostile)]
			ts := base.Add(time.Duration(i) * 37 * time.Minute)
			id := uuid.NewSHA1(uuid.NameSpaceOID, []byte{byte(i), byte(i >> 8)})
			var maybe *string
			var wantMaybe any
			if i%3 != 0 {
				maybe, wantMaybe = &h, h
			}
			tags := []string{h, "x"}
			wantTags := []any{h, "x"}
			if i%5 == 0 {
				tags, wantTags = []string{}, []any{}
			}
			rows = append(rows, []any{uint32(i), uint64(math.MaxUint64) - uint64(i), h, ts, uint8(i % 2), float64(i) / 4,
				tags, ts, -int64(i) * 1e12, int64(i)*12345 + 1, maybe, id})
			want = append(want, []any{int64(i), uint64(math.MaxUint64) - uint64(i), h, ts.Format("2006-01-02 15:04:05"), int64(i % 2),
				float64(i) / 4, wantTags, ts.Format("2006-01-02"), -int64(i) * 1e12, float64(int64(i)*12345+1) / 1e4, wantMaybe, id.String()})
		}
		// 18.16 does not know insert_deduplication_token: the driver must leave it out.
		if err := st.Insert(ctx, "rt", cols, rows, "batch-1"); err != nil {
			t.Fatal(err)
		}
		res := query(t, st, "SELECT id, big, s, ts, flag, f, tags, d, neg, price, maybe, u FROM rt ORDER BY id")
		wantTypes := []string{"UInt32", "UInt64", "String", "DateTime", "UInt8", "Float64", "Array(String)", "Date",
			"Int64", "Decimal(18, 4)", "Nullable(String)", "UUID"}
		if !reflect.DeepEqual(res.Types, wantTypes) {
			t.Fatalf("types %q; want %q", res.Types, wantTypes)
		}
		if res.Columns[0] != "id" || res.Columns[11] != "u" {
			t.Fatalf("columns %q", res.Columns)
		}
		if len(res.Rows) != n {
			t.Fatalf("%d rows back; want %d", len(res.Rows), n)
		}
		for i := range want {
			if !reflect.DeepEqual(res.Rows[i], want[i]) {
				t.Fatalf("row %d:\n got %#v\nwant %#v", i, res.Rows[i], want[i])
			}
		}
		// The same table in database.table form.
		if err := st.Insert(ctx, "insert_db.rt", cols[:1], [][]any{{uint32(n)}}, ""); err != nil {
			t.Fatalf("Insert into insert_db.rt: %v", err)
		}
		if got := query(t, st, "SELECT count() FROM rt").Rows[0][0]; got != int64(n+1) {
			t.Fatalf("count() = %v; want %d", got, n+1)
		}
	})

	t.Run("query results are JSON-shaped", func(t *testing.T) {
		st := dial(t, "omnistat_test")
		res := query(t, st, `SELECT
				toInt8(-1), toUInt64(18446744073709551615), toFloat32(0.1), nan, toDecimal32(2.5, 2),
				toDate('2026-02-03'), toDateTime('2026-02-03 04:05:06', 'UTC'), CAST(NULL AS Nullable(UInt8)),
				toNullable(7), [[1, 2], [3]], emptyArrayString(), toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0'),
				toFixedString('ab', 3), CAST('b' AS Enum8('a' = 1, 'b' = 2)), [toDate('2026-01-01')]`)
		want := []any{int64(-1), uint64(math.MaxUint64), 0.1, nil, 2.5,
			"2026-02-03", "2026-02-03 04:05:06", nil,
			int64(7), []any{[]any{int64(1), int64(2)}, []any{int64(3)}}, []any{}, "61f0c404-5cb3-11e7-907b-a6006ad3dba0",
			"ab\x00", "b", []any{"2026-01-01"}}
		for i := range want {
			if !reflect.DeepEqual(res.Rows[0][i], want[i]) {
				t.Errorf("column %d (%s): got %#v; want %#v", i, res.Types[i], res.Rows[0][i], want[i])
			}
		}
		empty := query(t, st, "SELECT number FROM system.numbers LIMIT 0")
		if empty.Rows == nil || len(empty.Rows) != 0 || len(empty.Columns) != 1 {
			t.Fatalf("empty result %#v; want columns and a non-nil empty Rows", empty)
		}
	})

	t.Run("server errors keep the server's code and message", func(t *testing.T) {
		st := dial(t, "omnistat_test")
		check := func(name string, err error, code int, text string) {
			t.Helper()
			var ee *store.EngineError
			if !errors.As(err, &ee) || ee.Code != code || !strings.Contains(ee.Message, text) {
				t.Errorf("%s: err = %v; want an EngineError %d containing %q", name, err, code, text)
			}
			if errors.Is(err, store.ErrUnavailable) {
				t.Errorf("%s: a rejected statement is reported as the server being unavailable", name)
			}
		}
		_, err := st.Query(ctx, "SELECT * FROM no_such_table", nil)
		check("Query", err, 60, "no_such_table doesn't exist")
		if err != nil && !strings.HasPrefix(err.Error(), "server.Query: ") {
			t.Errorf("error %q does not name the operation", err)
		}
		check("Exec", st.Exec(ctx, "CREATE TABLE oops (", nil), 62, "Syntax error")
		check("Insert", st.Insert(ctx, "no_such_table", []store.Column{{Name: "id", Type: "UInt32"}}, [][]any{{uint32(1)}}, ""), 60, "no_such_table")
	})

	t.Run("Insert refuses what it cannot send", func(t *testing.T) {
		st := dial(t, "omnistat_test")
		col := []store.Column{{Name: "id", Type: "UInt32"}}
		for _, c := range []struct {
			name  string
			table string
			cols  []store.Column
			rows  [][]any
			want  string
		}{
			{"table with SQL in it", "t; DROP TABLE x", col, [][]any{{uint32(1)}}, "not a plain identifier"},
			{"empty database part", ".t", col, [][]any{{uint32(1)}}, "not a plain identifier"},
			{"column with SQL in it", "t", []store.Column{{Name: "id) SELECT 1 --", Type: "UInt32"}}, [][]any{{uint32(1)}}, "not a plain identifier"},
		} {
			err := st.Insert(ctx, c.table, c.cols, c.rows, "")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: err = %v; want %q", c.name, err, c.want)
			}
		}
		if err := st.Insert(ctx, "whatever", col, nil, ""); err != nil {
			t.Errorf("Insert of no rows: %v; want nil without a round trip", err)
		}
	})

	t.Run("Open refuses the old server naming both versions, creating nothing", func(t *testing.T) {
		st, err := server.Open(ctx, urlFor("refused_db"))
		if err == nil {
			st.Close()
			t.Fatal("Open accepted an 18.16 server")
		}
		if !strings.Contains(err.Error(), "18.16") || !strings.Contains(err.Error(), store.MinServerVersion) {
			t.Fatalf("Open = %v; want a refusal naming 18.16 and %s", err, store.MinServerVersion)
		}
		res := query(t, dial(t, "omnistat_test"), "SELECT count() FROM system.databases WHERE name = 'refused_db'")
		if res.Rows[0][0] != int64(0) {
			t.Fatal("Open created the database on a server it refused")
		}
	})

	t.Run("nobody listening is unavailable", func(t *testing.T) {
		_, err := server.Dial(ctx, "clickhouse://127.0.0.1:1/x?dial_timeout=1s")
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("Dial to a closed port: %v; want ErrUnavailable", err)
		}
	})

	// Last: it stops the server.
	t.Run("a server that goes away is unavailable, and usable again when back", func(t *testing.T) {
		st := dial(t, "insert_db")
		srv.Stop()
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := st.Query(qctx, "SELECT 1", nil); !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("Query on a stopped server: %v; want ErrUnavailable", err)
		}
		err := st.Insert(qctx, "rt", []store.Column{{Name: "id", Type: "UInt32"}}, [][]any{{uint32(1)}}, "")
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("Insert on a stopped server: %v; want ErrUnavailable", err)
		}
		if err := st.Exec(qctx, "SELECT 1", nil); !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("Exec on a stopped server: %v; want ErrUnavailable", err)
		}
		srv.Start()
		// The pool may hand out a connection that died with the old server; the
		// caller's retry gets a fresh one.
		var res *store.Result
		deadline := time.Now().Add(10 * time.Second)
		for {
			if res, err = st.Query(ctx, "SELECT count() FROM rt", nil); err == nil {
				break
			}
			if !errors.Is(err, store.ErrUnavailable) || time.Now().After(deadline) {
				t.Fatalf("the store did not recover after the server came back: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if res.Rows[0][0] != int64(1001) {
			t.Fatalf("after the restart rt has %v rows; want the 1001 written before", res.Rows[0][0])
		}
	})
}
