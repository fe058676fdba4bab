package embedded_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omnistat/omnistat/store"
	"github.com/omnistat/omnistat/store/embedded/embeddedtest"
)

func TestMain(m *testing.M) { embeddedtest.Main(m) }

var hostile = []string{
	"it's", `back\slash`, "new\nline", "tab\there", "'); DROP TABLE t; --", "{x:String}",
	"unicode ✓ 日本語 🚀", "\x00nul", strings.Repeat("long ", 2000), "",
}

func TestInsertRoundTrip(t *testing.T) {
	st := embeddedtest.Open(t)
	ctx := context.Background()
	err := st.Exec(ctx, `CREATE TABLE rt (
		id UInt32, big UInt64, neg Int64, s String, lc LowCardinality(String), fs FixedString(2),
		ts DateTime64(3, 'UTC'), dt DateTime('UTC'), f Float64, b UInt8, m Map(LowCardinality(String), String),
		arr Array(String), d Decimal(18, 4), n Nullable(String)
	) ENGINE = MergeTree ORDER BY id`, nil)
	if err != nil {
		t.Fatal(err)
	}
	cols := columns("id", "UInt32", "big", "UInt64", "neg", "Int64", "s", "String", "lc", "LowCardinality(String)", "fs", "FixedString(2)", "ts", "DateTime64(3, 'UTC')", "dt", "DateTime('UTC')", "f", "Float64", "b", "UInt8", "m", "Map(LowCardinality(String), String)", "arr", "Array(String)", "d", "Decimal(18, 4)", "n", "Nullable(String)")
	base := time.Date(2026, 3, 29, 1, 30, 0, 123e6, time.UTC)
	var rows [][]any
	for i := 0; i < 5000; i++ {
		h := hostile[i%len(hostile)]
		var n any
		if i%2 == 0 {
			n = h
		}
		rows = append(rows, []any{uint32(i), uint64(1<<63 + uint64(i)), int64(-i), h, "lc" + fmt.Sprint(i%3), "GB",
			base.Add(time.Duration(i) * time.Millisecond), base, float64(i) / 4, uint8(i % 2),
			map[string]string{"k": h}, []string{h, "x"}, int64(i*10000 + 1234), n})
	}
	if err := st.Insert(ctx, "rt", cols, rows, ""); err != nil {
		t.Fatal(err)
	}
	cnt, _ := st.Query(ctx, "SELECT count(), max(id), min(id) FROM rt", nil)
	t.Logf("count %v", cnt.Rows)
	res, err := st.Query(ctx, "SELECT id, big, neg, s, lc, fs, toUnixTimestamp64Milli(ts), toUnixTimestamp(dt), f, b, m['k'], arr, toString(d), n FROM rt ORDER BY id", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != len(rows) {
		t.Fatalf("got %d rows; want %d", len(res.Rows), len(rows))
	}
	for i, r := range res.Rows {
		h := hostile[i%len(hostile)]
		want := []any{int64(i), uint64(1<<63 + uint64(i)), int64(-i), h, "lc" + fmt.Sprint(i%3), "GB",
			base.Add(time.Duration(i) * time.Millisecond).UnixMilli(), base.Unix(), float64(i) / 4, int64(i % 2), h, []any{h, "x"},
			fmt.Sprintf("%d.1234", i), nil}
		if i%2 == 0 {
			want[13] = h
		}
		if i%4 == 0 { // whole numbers come back as integers from JSON
			want[8] = int64(i / 4)
		}
		if i == 0 {
			want[12] = "0.1234"
		}
		if fmt.Sprint(r) != fmt.Sprint(want) {
			t.Fatalf("row %d:\n got %#v\nwant %#v", i, r, want)
		}
	}
}

// columns pairs names and types: columns("a", "UInt8", "b", "String").
func columns(nameType ...string) []store.Column {
	var out []store.Column
	for i := 0; i+1 < len(nameType); i += 2 {
		out = append(out, store.Column{Name: nameType[i], Type: nameType[i+1]})
	}
	return out
}

func TestParamsAreNeverSQL(t *testing.T) {
	st := embeddedtest.Open(t)
	ctx := context.Background()
	if err := st.Exec(ctx, "CREATE TABLE p (s String) ENGINE = MergeTree ORDER BY s", nil); err != nil {
		t.Fatal(err)
	}
	for _, h := range hostile {
		if err := st.Exec(ctx, "INSERT INTO p VALUES ({s:String})", store.Params{"s": h}); err != nil {
			t.Fatalf("insert %q: %v", h, err)
		}
		res, err := st.Query(ctx, "SELECT count() FROM p WHERE s = {s:String}", store.Params{"s": h})
		if err != nil {
			t.Fatalf("query %q: %v", h, err)
		}
		if got := res.Rows[0][0]; got != int64(1) {
			t.Fatalf("count for %q = %v; want 1", h, got)
		}
	}
	res, err := st.Query(ctx, "SELECT count() FROM p WHERE s IN {all:Array(String)}", store.Params{"all": store.QuoteArray(hostile)})
	if err != nil || res.Rows[0][0] != int64(len(hostile)) {
		t.Fatalf("IN array parameter matched %v rows (err %v); want %d", res, err, len(hostile))
	}
	res, err = st.Query(ctx, "SELECT count() FROM p", nil)
	if err != nil || res.Rows[0][0] != int64(len(hostile)) {
		t.Fatalf("table p has %v rows (err %v); want %d: a parameter changed the statement", res, err, len(hostile))
	}
}

func TestEngineErrorsKeepTheEngineMessage(t *testing.T) {
	st := embeddedtest.Open(t)
	_, err := st.Query(context.Background(), "SELECT * FROM no_such_table", nil)
	if err == nil {
		t.Fatal("query of a missing table succeeded")
	}
	if !store.IsEngineError(err) || !strings.Contains(err.Error(), "no_such_table") || !strings.Contains(err.Error(), "60") {
		t.Fatalf("error %q: want an EngineError with code 60 naming the table", err)
	}
	if err := st.Exec(context.Background(), "SELECT {x:UInt8}", store.Params{"x": "abc"}); err == nil {
		t.Fatal("an out-of-range parameter was accepted")
	}
}

func TestConcurrentQueries(t *testing.T) {
	st := embeddedtest.Open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res, err := st.Query(ctx, "SELECT sum(number) FROM numbers({n:UInt64})", store.Params{"n": fmt.Sprint(1000 + i)})
			if err != nil {
				errs <- err
				return
			}
			n := int64(1000 + i)
			if res.Rows[0][0] != n*(n-1)/2 {
				errs <- fmt.Errorf("sum for %d = %v", n, res.Rows[0][0])
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestVersionIsModern(t *testing.T) {
	st := embeddedtest.Open(t)
	v, err := st.ServerVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CheckVersion(v); err != nil {
		t.Fatalf("embedded engine %s: %v", v, err)
	}
}
