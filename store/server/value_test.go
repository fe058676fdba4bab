package server

import (
	"math"
	"math/big"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

func TestJSONValue(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	str := "s"
	var nilStr *string
	huge, _ := new(big.Int).SetString("340282366920938463463374607431768211455", 10)
	for _, c := range []struct {
		name string
		typ  string
		in   any
		want any
	}{
		{"UInt8", "UInt8", uint8(7), int64(7)},
		{"Int32", "Int32", int32(-7), int64(-7)},
		{"UInt64 that fits", "UInt64", uint64(5), int64(5)},
		{"UInt64 above int64", "UInt64", uint64(math.MaxUint64), uint64(math.MaxUint64)},
		{"Int64", "Int64", int64(math.MinInt64), int64(math.MinInt64)},
		{"UInt128 small", "UInt128", big.NewInt(42), int64(42)},
		{"UInt128 huge", "UInt128", huge, 3.402823669209385e38},
		{"Float32 by its shortest form", "Float32", float32(0.1), 0.1},
		{"Float64", "Float64", 1.5, 1.5},
		{"NaN", "Float64", math.NaN(), nil},
		{"Inf", "Float32", float32(math.Inf(-1)), nil},
		{"Decimal", "Decimal(18, 4)", decimal.New(12345, -4), 1.2345},
		{"Bool", "Bool", true, true},
		{"String", "LowCardinality(String)", "x'\n", "x'\n"},
		{"Date", "Date", time.Date(2026, 1, 2, 0, 0, 0, 0, berlin), "2026-01-02"},
		{"DateTime in the column's zone", "DateTime('Europe/Berlin')", ts.In(berlin), "2026-01-02 04:04:05"},
		{"DateTime UTC", "DateTime", ts, "2026-01-02 03:04:05"},
		{"DateTime64(3) keeps its precision", "DateTime64(3, 'UTC')", ts.Truncate(time.Second), "2026-01-02 03:04:05.000"},
		{"DateTime64(3)", "DateTime64(3)", ts, "2026-01-02 03:04:05.006"},
		{"DateTime64(6)", "Nullable(DateTime64(6, 'UTC'))", &ts, "2026-01-02 03:04:05.006000"},
		{"time of unknown type", "", ts, "2026-01-02 03:04:05.006"},
		{"UUID", "UUID", uuid.MustParse("61f0c404-5cb3-11e7-907b-a6006ad3dba0"), "61f0c404-5cb3-11e7-907b-a6006ad3dba0"},
		{"IPv4", "IPv4", net.IPv4(10, 0, 0, 1), "10.0.0.1"},
		{"Nullable value", "Nullable(String)", &str, "s"},
		{"Nullable NULL", "Nullable(String)", nilStr, nil},
		{"nil", "Nullable(Nothing)", nil, nil},
		{"Array(String)", "Array(String)", []string{"a", "b"}, []any{"a", "b"}},
		{"empty array", "Array(String)", []string(nil), []any{}},
		{"Array(Date)", "Array(Date)", []time.Time{ts}, []any{"2026-01-02"}},
		{"Array(Array(UInt8))", "Array(Array(UInt8))", [][]uint8{{1}, {}}, []any{[]any{int64(1)}, []any{}}},
		{"Map", "Map(LowCardinality(String), String)", map[string]string{"k": "v"}, map[string]any{"k": "v"}},
		{"Map with numeric keys and time values", "Map(UInt16, DateTime64(3))", map[uint16]time.Time{7: ts}, map[string]any{"7": "2026-01-02 03:04:05.006"}},
		{"Tuple", "Tuple(String, DateTime64(3, 'UTC'), Date)", []any{"a", ts, ts}, []any{"a", "2026-01-02 03:04:05.006", "2026-01-02"}},
		{"Tuple with named types", "Tuple(a UInt8, b Date)", []any{uint8(1), ts}, []any{int64(1), "2026-01-02"}},
		{"named Tuple", "Tuple(n UInt8, d Date, t DateTime64(3, 'UTC'))", map[string]any{"n": uint8(1), "d": ts, "t": ts},
			map[string]any{"n": int64(1), "d": "2026-01-02", "t": "2026-01-02 03:04:05.006"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := jsonValue(c.typ, c.in)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("jsonValue(%q, %#v) = %#v (%T); want %#v (%T)", c.typ, c.in, got, got, c.want, c.want)
			}
		})
	}
}

func TestSplitTop(t *testing.T) {
	f := func(in string, want ...string) {
		t.Helper()
		if got := splitTop(in); !reflect.DeepEqual(got, want) {
			t.Errorf("splitTop(%q) = %q; want %q", in, got, want)
		}
	}
	f("String", "String")
	f("String, UInt8", "String", "UInt8")
	f("Map(String, UInt8), DateTime64(3, 'UTC')", "Map(String, UInt8)", "DateTime64(3, 'UTC')")
	f("Enum8('a,b' = 1, 'c)' = 2)", "Enum8('a,b' = 1, 'c)' = 2)")
	f(`Enum8('it\'s, ok' = 1), UInt8`, `Enum8('it\'s, ok' = 1)`, "UInt8")
}

func TestDecimalScale(t *testing.T) {
	f := func(typ string, want int32) {
		t.Helper()
		if got := decimalScale(typ); got != want {
			t.Errorf("decimalScale(%q) = %d; want %d", typ, got, want)
		}
	}
	f("Decimal(18, 4)", 4)
	f("Decimal(9,2)", 2)
	f("Decimal(10)", 0)
	f("Decimal64(4)", 4)
	f("Nullable(Decimal32(3))", 3)
	f("Float64", -1)
	f("String", -1)
}

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		url     string
		db      string
		user    string
		addr    string
		timeout time.Duration
		err     string
	}{
		{url: "clickhouse://127.0.0.1:9000", db: "omnistat", addr: "127.0.0.1:9000", timeout: defaultDialTimeout},
		{url: "clickhouse://u:p%40ss@ch:9000/analytics?dial_timeout=2s", db: "analytics", user: "u", addr: "ch:9000", timeout: 2 * time.Second},
		{url: "clickhouse://ch:9000/default", db: "default", addr: "ch:9000", timeout: defaultDialTimeout},
		{url: "http://ch:8123/x", err: "native protocol"},
		{url: "ch:9000", err: "native protocol"},
		{url: "clickhouse://ch:9000/bad-name", err: "not a plain identifier"},
		{url: "clickhouse://ch:9000/x%60y", err: "not a plain identifier"},
		{url: "clickhouse:///x", err: "address"},
		{url: "clickhouse://ch:9000/x?dial_timeout=soon", err: "dial timeout"},
	} {
		opts, err := parseURL(c.url)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("parseURL(%q) error %v; want one containing %q", c.url, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseURL(%q): %v", c.url, err)
			continue
		}
		if opts.Auth.Database != c.db || opts.Auth.Username != c.user || strings.Join(opts.Addr, ",") != c.addr || opts.DialTimeout != c.timeout {
			t.Errorf("parseURL(%q) = db %q user %q addr %q timeout %s; want %q %q %q %s", c.url,
				opts.Auth.Database, opts.Auth.Username, opts.Addr, opts.DialTimeout, c.db, c.user, c.addr, c.timeout)
		}
	}
}
