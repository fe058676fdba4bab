package server_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/omnistat/omnistat/internal/chtest"
	"github.com/omnistat/omnistat/store"
	"github.com/omnistat/omnistat/store/server"
)

var hostile = []string{"it's", `back\slash`, "new\nline", "tab\there", "'); DROP TABLE t; --", "{x:String}", "unicode ✓ 日本語", ""}

// One server for the package's tests: starting 18.16 takes a second or two.
func TestAgainstDebianServer(t *testing.T) {
	srv := chtest.StartServer(t)
	ctx := context.Background()

	t.Run("dial, ping and the database", func(t *testing.T) {
		st, err := server.Dial(ctx, srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		v, _ := st.ServerVersion(ctx)
		if !strings.HasPrefix(v, "18.16") {
			t.Fatalf("version %q; want the Debian server's 18.16", v)
		}
		res, err := st.Query(ctx, "SELECT currentDatabase()", nil)
		if err != nil || res.Rows[0][0] != "omnistat_test" {
			t.Fatalf("current database %v, %v; want omnistat_test (created by Dial)", res, err)
		}
	})

	t.Run("batch insert with explicit columns and scan back", func(t *testing.T) {
		st, err := server.Dial(ctx, srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		err = st.Exec(ctx, `CREATE TABLE rt (id UInt32, big UInt64, s String, ts DateTime, flag UInt8, f Float64, tags Array(String), d Date)
			ENGINE = MergeTree() PARTITION BY toYYYYMM(d) ORDER BY id`, nil)
		if err != nil {
			t.Fatal(err)
		}
		cols := []store.Column{{Name: "id", Type: "UInt32"}, {Name: "big", Type: "UInt64"}, {Name: "s", Type: "String"},
			{Name: "ts", Type: "DateTime"}, {Name: "flag", Type: "UInt8"}, {Name: "f", Type: "Float64"},
			{Name: "tags", Type: "Array(String)"}, {Name: "d", Type: "Date"}}
		base := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)
		var rows [][]any
		for i := 0; i < 1000; i++ {
			h := hostile[i%len(hostile)]
			rows = append(rows, []any{uint32(i), uint64(1<<63 + uint64(i)), h, base.Add(time.Duration(i) * time.Second), uint8(i % 2),
				float64(i) / 4, []string{h, "x"}, base})
		}
		if err := st.Insert(ctx, "rt", cols, rows, "token-1"); err != nil {
			t.Fatal(err)
		}
		res, err := st.Query(ctx, "SELECT id, big, s, ts, flag, f, tags, d FROM rt ORDER BY id", nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Rows) != 1000 || len(res.Columns) != 8 || res.Types[1] != "UInt64" {
			t.Fatalf("got %d rows, columns %v %v", len(res.Rows), res.Columns, res.Types)
		}
		for i, r := range res.Rows {
			h := hostile[i%len(hostile)]
			want := []any{int64(i), uint64(1<<63 + uint64(i)), h, base.Add(time.Duration(i) * time.Second).Format("2006-01-02 15:04:05"),
				int64(i % 2), float64(i) / 4, []any{h, "x"}, "2026-03-29"}
			if fmt.Sprint(r) != fmt.Sprint(want) {
				t.Fatalf("row %d:\n got %#v\nwant %#v", i, r, want)
			}
		}
	})

	t.Run("server errors keep the server's message", func(t *testing.T) {
		st, err := server.Dial(ctx, srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		_, err = st.Query(ctx, "SELECT * FROM no_such_table", nil)
		var ee *store.EngineError
		if !errors.As(err, &ee) || ee.Code != 60 || !strings.Contains(ee.Message, "no_such_table") {
			t.Fatalf("err = %v; want EngineError 60 naming the table", err)
		}
		if errors.Is(err, store.ErrUnavailable) {
			t.Fatal("a rejected statement is reported as the server being unavailable")
		}
	})

	t.Run("Open refuses the old server naming both versions", func(t *testing.T) {
		_, err := server.Open(ctx, srv.URL)
		if err == nil || !strings.Contains(err.Error(), "18.16") || !strings.Contains(err.Error(), store.MinServerVersion) {
			t.Fatalf("Open = %v; want a refusal naming 18.16 and %s", err, store.MinServerVersion)
		}
	})

	t.Run("a server that goes away is unavailable, and back is usable", func(t *testing.T) {
		st, err := server.Dial(ctx, srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		srv.Stop()
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, err = st.Query(qctx, "SELECT 1", nil)
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("query on a stopped server: %v; want ErrUnavailable", err)
		}
		err = st.Insert(qctx, "rt", []store.Column{{Name: "id", Type: "UInt32"}}, [][]any{{uint32(1)}}, "")
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("insert on a stopped server: %v; want ErrUnavailable", err)
		}
		srv.Start()
		deadline := time.Now().Add(20 * time.Second)
		for {
			if _, err = st.Query(ctx, "SELECT 1", nil); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the pool did not recover after the server came back: %v", err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	t.Run("bad URL", func(t *testing.T) {
		if _, err := server.Dial(ctx, "clickhouse://127.0.0.1:1/bad-name"); err == nil || !strings.Contains(err.Error(), "identifier") {
			t.Fatalf("err = %v; want the database name refused", err)
		}
	})
}

func TestNormalize(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.FixedZone("x", 3600))
	v := uint64(1 << 63)
	cases := []struct {
		in   any
		want string
	}{
		{uint8(7), "int64 7"},
		{int32(-7), "int64 -7"},
		{uint64(5), "int64 5"},
		{v, "uint64 9223372036854775808"},
		{float32(1.5), "float64 1.5"},
		{ts, "string 2026-01-02 02:04:05.006"},
		{ts.Truncate(time.Second), "string 2026-01-02 02:04:05"},
		{[]string{"a"}, "[]interface {} [a]"},
		{map[string]string{"k": "v"}, "map[string]interface {} map[k:v]"},
		{(*string)(nil), "<nil> <nil>"},
	}
	for _, c := range cases {
		got := server.Normalize(c.in)
		if s := fmt.Sprintf("%T %v", got, got); s != c.want {
			got = s
			t.Errorf("Normalize(%#v) = %s; want %s", c.in, got, c.want)
		}
	}
}
