// Package server is the store.Store driver for a ClickHouse server or cluster, over the
// native protocol with clickhouse-go/v2. Dial connects without judging the server (the
// client tests use it against an old server); Open also refuses servers older than
// store.MinServerVersion, before anything is migrated.
//
// The URL names the database (clickhouse://user:pass@host:9000/db, default "omnistat");
// it is created when missing and is the connection's default database, so statements
// name tables without a database prefix, as on the embedded engine.
//
// Query results are JSON-shaped like the embedded engine's: integers as int64 (uint64
// when they do not fit), floats and decimals as float64, dates and times as text in
// ClickHouse's own format (UTC), UUIDs as text, arrays as []any, maps as map[string]any.
package server

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	chdriver "github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/omnistat/omnistat/store"
)

// Store is a connection pool to one server or cluster.
type Store struct {
	conn    chdriver.Conn
	db      string
	version string
	major   int
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Dial connects and pings, creating the URL's database when missing.
func Dial(ctx context.Context, rawURL string) (*Store, error) {
	opts, err := clickhouse.ParseDSN(rawURL)
	if err != nil {
		return nil, fmt.Errorf("--clickhouse-url: %w", err)
	}
	db := opts.Auth.Database
	if db == "" || db == "default" && !strings.Contains(rawURL, "/default") {
		db = "omnistat"
	}
	if !identRE.MatchString(db) {
		return nil, fmt.Errorf("--clickhouse-url: database %q is not a plain identifier", db)
	}
	if opts.DialTimeout == 0 || opts.DialTimeout > 10*time.Second {
		opts.DialTimeout = 5 * time.Second
	}
	// First connect to "default": the target database may not exist yet.
	opts.Auth.Database = "default"
	boot, err := open(ctx, opts)
	if err != nil {
		return nil, err
	}
	v, err := boot.ServerVersion()
	if err != nil {
		boot.Close()
		return nil, unavailable("server.Dial", err)
	}
	if err := boot.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+db); err != nil {
		boot.Close()
		return nil, wrapErr("server.Dial: create database", err)
	}
	boot.Close()
	opts.Auth.Database = db
	conn, err := open(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &Store{conn: conn, db: db, version: fmt.Sprintf("%d.%d.%d", v.Version.Major, v.Version.Minor, v.Version.Patch), major: int(v.Version.Major)}, nil
}

func open(ctx context.Context, opts *clickhouse.Options) (chdriver.Conn, error) {
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, unavailable("server.Dial", err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, wrapErr("server.Dial: ping", err)
	}
	return conn, nil
}

// Open is Dial plus the version check: a server older than store.MinServerVersion is
// refused with both versions named.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	s, err := Dial(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	if err := store.CheckVersion(s.version); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Database implements store.Store.
func (s *Store) Database() string { return s.db }

// Close implements store.Store.
func (s *Store) Close() error { return s.conn.Close() }

// ServerVersion implements store.Store.
func (s *Store) ServerVersion(ctx context.Context) (string, error) { return s.version, nil }

func (s *Store) withParams(ctx context.Context, query string, params store.Params) context.Context {
	if len(params) == 0 {
		return ctx
	}
	p := clickhouse.Parameters{}
	for k, v := range store.EncodeParams(query, params) {
		p[k] = v
	}
	return clickhouse.Context(ctx, clickhouse.WithParameters(p))
}

// Exec implements store.Store.
func (s *Store) Exec(ctx context.Context, query string, params store.Params) error {
	if err := s.conn.Exec(s.withParams(ctx, query, params), query); err != nil {
		return wrapErr("server.Exec", err)
	}
	return nil
}

// Query implements store.Store.
func (s *Store) Query(ctx context.Context, query string, params store.Params) (*store.Result, error) {
	rows, err := s.conn.Query(s.withParams(ctx, query, params), query)
	if err != nil {
		return nil, wrapErr("server.Query", err)
	}
	defer rows.Close()
	res := &store.Result{}
	types := rows.ColumnTypes()
	for _, ct := range types {
		res.Columns = append(res.Columns, ct.Name())
		res.Types = append(res.Types, ct.DatabaseTypeName())
	}
	for rows.Next() {
		ptrs := make([]any, len(types))
		for i, ct := range types {
			ptrs[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, wrapErr("server.Query: scan", err)
		}
		row := make([]any, len(ptrs))
		for i, p := range ptrs {
			row[i] = Normalize(reflect.ValueOf(p).Elem().Interface())
			if t, ok := row[i].(string); ok && isDate(res.Types[i]) {
				row[i] = strings.TrimSuffix(t, " 00:00:00")
			}
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("server.Query", err)
	}
	return res, nil
}

// Insert implements store.Store with PrepareBatch and an explicit column list (old
// servers need it). Decimal columns take the scaled integers the collector passes.
func (s *Store) Insert(ctx context.Context, table string, columns []store.Column, rows [][]any, dedupToken string) error {
	if len(rows) == 0 {
		return nil
	}
	if !identRE.MatchString(strings.ReplaceAll(table, ".", "_")) {
		return fmt.Errorf("server.Insert: table name %q is not an identifier", table)
	}
	names := make([]string, len(columns))
	scales := make([]int32, len(columns))
	for i, c := range columns {
		if !identRE.MatchString(c.Name) {
			return fmt.Errorf("server.Insert: column name %q is not an identifier", c.Name)
		}
		names[i] = c.Name
		scales[i] = -1
		if strings.HasPrefix(c.Type, "Decimal(") {
			parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(c.Type, "Decimal("), ")"), ",")
			if len(parts) == 2 {
				n, _ := strconv.Atoi(strings.TrimSpace(parts[1]))
				scales[i] = int32(n)
			}
		}
	}
	if dedupToken != "" && s.major >= 22 {
		// insert_deduplication_token exists from ClickHouse 22; older servers reject
		// the unknown setting (they are refused by Open anyway, but Dial allows them).
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"insert_deduplication_token": dedupToken}))
	}
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+strings.Join(names, ", ")+")")
	if err != nil {
		return wrapErr("server.Insert "+table, err)
	}
	for ri, r := range rows {
		vals := r
		for i, sc := range scales {
			if sc >= 0 {
				if n, ok := r[i].(int64); ok {
					if &vals[0] == &r[0] {
						vals = append([]any(nil), r...)
					}
					vals[i] = decimal.New(n, -sc)
				}
			}
		}
		if err := batch.Append(vals...); err != nil {
			batch.Abort()
			return fmt.Errorf("server.Insert %s: row %d: %w", table, ri, err)
		}
	}
	if err := batch.Send(); err != nil {
		return wrapErr("server.Insert "+table, err)
	}
	return nil
}

// isDate reports a Date or Date32 column (shown without a time of day).
func isDate(typ string) bool {
	typ = strings.TrimPrefix(strings.TrimSuffix(typ, ")"), "Nullable(")
	return typ == "Date" || typ == "Date32"
}

// Normalize turns a scanned value into the JSON shape of store.Result.
func Normalize(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string, bool, float64, int64:
		return x
	case float32:
		return float64(x)
	case int8, int16, int32, int:
		return reflect.ValueOf(x).Int()
	case uint8, uint16, uint32, uint:
		return int64(reflect.ValueOf(x).Uint())
	case uint64:
		if x <= 1<<63-1 {
			return int64(x)
		}
		return x
	case time.Time:
		t := x.UTC()
		if t.Nanosecond() != 0 {
			return t.Format("2006-01-02 15:04:05.000")
		}
		return t.Format("2006-01-02 15:04:05")
	case decimal.Decimal:
		f, _ := x.Float64()
		return f
	case fmt.Stringer:
		if reflect.ValueOf(x).Kind() == reflect.Array { // UUID
			return x.String()
		}
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			return nil
		}
		return Normalize(rv.Elem().Interface())
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = Normalize(rv.Index(i).Interface())
		}
		return out
	case reflect.Map:
		out := make(map[string]any, rv.Len())
		for _, k := range rv.MapKeys() {
			out[fmt.Sprint(k.Interface())] = Normalize(rv.MapIndex(k).Interface())
		}
		return out
	}
	return fmt.Sprint(v)
}

// wrapErr keeps the server's own message for statements it rejected, and marks
// connection failures as store.ErrUnavailable so callers retry.
func wrapErr(op string, err error) error {
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		return fmt.Errorf("%s: %w", op, &store.EngineError{Code: int(ex.Code), Message: ex.Message})
	}
	return unavailable(op, err)
}

func unavailable(op string, err error) error {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, clickhouse.ErrAcquireConnTimeout) ||
		strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "broken pipe") {
		return fmt.Errorf("%s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
