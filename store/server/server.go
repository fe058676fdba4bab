// Package server is the store.Store driver for a ClickHouse server or cluster, over the
// native protocol with clickhouse-go/v2.
//
// Open is what `omnistat serve --clickhouse-url` uses: it connects and refuses a server
// older than store.MinServerVersion, with both versions named, before it creates or
// migrates anything there. Dial connects without judging the version; the driver's own tests use it
// against Debian's ClickHouse 18.16 (internal/chtest).
//
// # URL and database
//
// The URL is clickhouse://[user[:password]@]host[:port][/database][?options], with the
// options clickhouse-go reads (dial_timeout=5s, read_timeout, compress=lz4, secure,
// max_open_conns, alt_hosts=h2:9000,...; any other option is sent as a ClickHouse
// setting). The database defaults to "omnistat". Dial first connects to "default" and
// creates the database when missing, then opens the pool with the database as every
// connection's default database: statements name tables without a database prefix, as
// on the embedded engine, and Database returns the name for the few that need it. On a
// cluster the database is created on the node Dial reached only; create it ON CLUSTER
// beforehand.
//
// # Results
//
// Query results have the JSON shape of the embedded engine's (store.Result):
//   - every integer type is int64 when the value fits, else uint64 (UInt64 above 2⁶³−1);
//     a 128- or 256-bit integer too large for both is a float64;
//   - Float32 and Float64 are float64 (Float32 by its shortest decimal form, so 0.1 stays
//     0.1); NaN and ±Inf are nil, as ClickHouse writes them in JSON;
//   - Decimal is float64;
//   - Bool is bool; String, FixedString, Enum, UUID and IP addresses are strings;
//   - Date, DateTime and DateTime64(p) are text in ClickHouse's own format
//     ("2006-01-02", "2006-01-02 15:04:05", with p fractional digits for DateTime64), in
//     the column's time zone or else the server's, exactly as ClickHouse prints them
//     (Omnistat's columns are declared 'UTC');
//   - Array and Tuple are []any, Map and a named Tuple are map[string]any, and NULL
//     is nil.
//
// A Store is safe for concurrent use: clickhouse-go keeps a pool of connections.
package server

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	chdriver "github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/omnistat/omnistat/store"
)

// DefaultDatabase is the database used when the URL names none.
const DefaultDatabase = "omnistat"

// defaultDialTimeout replaces clickhouse-go's 30 s: a server that does not answer a
// connect within a few seconds is reported unavailable, and the collector's retry
// loop, not a blocked request, waits for it.
const defaultDialTimeout = 5 * time.Second

var (
	identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	tableRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)
)

// Store is a pool of native connections to one server or cluster.
type Store struct {
	conn chdriver.Conn
	opts clickhouse.Options // as parsed from the URL, with Auth.Database = db
	db   string
	// server is the version from the connection handshake, which decides which
	// settings the server understands.
	server chdriver.ServerVersion
}

var _ store.Store = (*Store)(nil)

// parseURL reads the --clickhouse-url. Only the native protocol is accepted: the HTTP
// interface behaves differently (and old servers reject clickhouse-go's HTTP client).
func parseURL(rawURL string) (*clickhouse.Options, error) {
	scheme, _, ok := strings.Cut(rawURL, "://")
	if !ok || scheme != "clickhouse" {
		return nil, fmt.Errorf("want a clickhouse://user:password@host:9000/database URL (the native protocol), got scheme %q", scheme)
	}
	opts, err := clickhouse.ParseDSN(rawURL)
	if err != nil {
		return nil, err
	}
	if opts.Auth.Database == "" {
		opts.Auth.Database = DefaultDatabase
	}
	if !identRE.MatchString(opts.Auth.Database) {
		return nil, fmt.Errorf("database name %q is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*)", opts.Auth.Database)
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = defaultDialTimeout
	}
	return opts, nil
}

// Dial connects to the server in rawURL, creates the URL's database when missing and
// pings. It does not check the server's version; Open does.
func Dial(ctx context.Context, rawURL string) (*Store, error) {
	s, err := dial(ctx, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("server.Dial: %w", err)
	}
	return s, nil
}

// Open is Dial with the version check: a server older than store.MinServerVersion is
// refused, with both versions named, before anything (even the database) is created
// on it.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	s, err := dial(ctx, rawURL, store.CheckVersion)
	if err != nil {
		return nil, fmt.Errorf("server.Open: %w", err)
	}
	return s, nil
}

// dial connects; check, when not nil, judges the server's version first.
func dial(ctx context.Context, rawURL string, check func(version string) error) (*Store, error) {
	opts, err := parseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("--clickhouse-url: %w", err)
	}
	s := &Store{opts: *opts, db: opts.Auth.Database}
	// The pool's connections name the database in their handshake, which fails when
	// it does not exist: create it over a connection to "default" first.
	if s.server, err = s.ensureDatabase(ctx, check); err != nil {
		return nil, err
	}
	if s.conn, err = connect(ctx, &s.opts); err != nil {
		return nil, err
	}
	return s, nil
}

// EnsureDatabase creates the store's database when it does not exist (CREATE DATABASE
// IF NOT EXISTS), over a separate connection to "default". Dial calls it; call it
// again after dropping the database.
func (s *Store) EnsureDatabase(ctx context.Context) error {
	if _, err := s.ensureDatabase(ctx, nil); err != nil {
		return fmt.Errorf("server.EnsureDatabase: %w", err)
	}
	return nil
}

// ensureDatabase returns the server's version from the connection handshake. check,
// when not nil, may refuse that version before the database is created.
func (s *Store) ensureDatabase(ctx context.Context, check func(version string) error) (chdriver.ServerVersion, error) {
	opts := s.opts
	opts.Auth.Database = "default"
	opts.MaxOpenConns, opts.MaxIdleConns = 1, 1
	conn, err := connect(ctx, &opts)
	if err != nil {
		return chdriver.ServerVersion{}, err
	}
	defer conn.Close()
	v, err := conn.ServerVersion()
	if err != nil {
		return chdriver.ServerVersion{}, classify("server version", err)
	}
	if check != nil {
		if err := check(fmt.Sprintf("%d.%d.%d", v.Version.Major, v.Version.Minor, v.Version.Patch)); err != nil {
			return chdriver.ServerVersion{}, err
		}
	}
	// s.db matched identRE in parseURL; the backticks are for the reader.
	if err := conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS `"+s.db+"`"); err != nil {
		return chdriver.ServerVersion{}, classify("create database "+s.db, err)
	}
	return *v, nil
}

// connect opens a pool and pings it, so that a wrong address or password is reported
// by Dial and not by the first query.
func connect(ctx context.Context, opts *clickhouse.Options) (chdriver.Conn, error) {
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, classify("connect", err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, classify("connect to "+strings.Join(opts.Addr, ","), err)
	}
	return conn, nil
}

// Database implements store.Store.
func (s *Store) Database() string { return s.db }

// Close implements store.Store.
func (s *Store) Close() error {
	if err := s.conn.Close(); err != nil {
		return fmt.Errorf("server.Close: %w", err)
	}
	return nil
}

// ServerVersion implements store.Store.
func (s *Store) ServerVersion(ctx context.Context) (string, error) {
	res, err := s.Query(ctx, "SELECT version()", nil)
	if err != nil {
		return "", fmt.Errorf("server.ServerVersion: %w", err)
	}
	if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
		return "", fmt.Errorf("server.ServerVersion: SELECT version() returned %d rows", len(res.Rows))
	}
	v, ok := res.Rows[0][0].(string)
	if !ok {
		return "", fmt.Errorf("server.ServerVersion: SELECT version() returned %T", res.Rows[0][0])
	}
	return v, nil
}

// withParams binds params to the query's {name:Type} placeholders on the server side.
// Without params nothing is attached, so statements also run on servers that predate
// query parameters.
func withParams(ctx context.Context, query string, params store.Params) context.Context {
	if len(params) == 0 {
		return ctx
	}
	// The server reads each value in ClickHouse's escaped text form; EncodeParams
	// escapes scalars (clickhouse-go only quotes the value for the protocol).
	p := make(clickhouse.Parameters, len(params))
	for k, v := range store.EncodeParams(query, params) {
		p[k] = v
	}
	return clickhouse.Context(ctx, clickhouse.WithParameters(p))
}

// Exec implements store.Store.
func (s *Store) Exec(ctx context.Context, query string, params store.Params) error {
	if err := s.conn.Exec(withParams(ctx, query, params), query); err != nil {
		return fmt.Errorf("server.Exec: %w", classify("", err))
	}
	return nil
}

// Query implements store.Store.
func (s *Store) Query(ctx context.Context, query string, params store.Params) (*store.Result, error) {
	rows, err := s.conn.Query(withParams(ctx, query, params), query)
	if err != nil {
		return nil, fmt.Errorf("server.Query: %w", classify("", err))
	}
	defer rows.Close()
	types := rows.ColumnTypes()
	// Empty, not nil, slices: a result with no rows encodes as [] in JSON, as the
	// embedded engine's does.
	res := &store.Result{Columns: make([]string, len(types)), Types: make([]string, len(types)), Rows: [][]any{}}
	for i, ct := range types {
		res.Columns[i] = ct.Name()
		res.Types[i] = ct.DatabaseTypeName()
	}
	dest := make([]any, len(types))
	for rows.Next() {
		for i, ct := range types {
			dest[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("server.Query: scan row %d: %w", len(res.Rows), classify("", err))
		}
		row := make([]any, len(dest))
		for i, p := range dest {
			row[i] = jsonValue(res.Types[i], reflect.ValueOf(p).Elem().Interface())
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("server.Query: %w", classify("", err))
	}
	return res, nil
}

// dedupTokenSince is the first release that knows the insert_deduplication_token
// setting (22.2). Older servers reject a query that carries an unknown setting, so the
// token is left out there: such servers are refused by Open and reach Insert only in
// the driver's tests against 18.16.
var dedupTokenSince = [2]uint64{22, 2}

func (s *Store) knowsDedupToken() bool {
	v := s.server.Version
	return v.Major > dedupTokenSince[0] || v.Major == dedupTokenSince[0] && v.Minor >= dedupTokenSince[1]
}

// Insert implements store.Store: one PrepareBatch, every row appended, one Send. The
// INSERT names its columns (old servers need the explicit list, and it keeps the
// batch independent of the table's column order). Row values are passed to
// clickhouse-go as they are, except that a Decimal column takes the scaled int64 the
// callers pass to both drivers (amount × 10^scale).
func (s *Store) Insert(ctx context.Context, table string, columns []store.Column, rows [][]any, dedupToken string) error {
	if len(rows) == 0 {
		return nil
	}
	if !tableRE.MatchString(table) {
		return fmt.Errorf("server.Insert: table name %q is not a plain identifier (or database.table)", table)
	}
	names := make([]string, len(columns))
	scales := make([]int32, len(columns)) // -1: not a Decimal column
	for i, c := range columns {
		if !identRE.MatchString(c.Name) {
			return fmt.Errorf("server.Insert %s: column name %q is not a plain identifier", table, c.Name)
		}
		names[i] = c.Name
		scales[i] = decimalScale(c.Type)
	}
	if dedupToken != "" && s.knowsDedupToken() {
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"insert_deduplication_token": dedupToken}))
	}
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+strings.Join(names, ", ")+")")
	if err != nil {
		return fmt.Errorf("server.Insert %s: %w", table, classify("", err))
	}
	vals := make([]any, len(columns))
	for ri, r := range rows {
		if len(r) != len(columns) {
			batch.Abort()
			return fmt.Errorf("server.Insert %s: row %d has %d values for %d columns", table, ri, len(r), len(columns))
		}
		for i, v := range r {
			vals[i] = v
			if n, ok := v.(int64); ok && scales[i] >= 0 {
				vals[i] = decimal.New(n, -scales[i])
			}
		}
		if err := batch.Append(vals...); err != nil {
			batch.Abort()
			return fmt.Errorf("server.Insert %s: row %d: %w", table, ri, classify("", err))
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("server.Insert %s: %w", table, classify("", err))
	}
	return nil
}

// decimalScale returns the scale S of a Decimal(P, S) or DecimalN(S) type, or -1.
func decimalScale(typ string) int32 {
	typ = strings.TrimSpace(typ)
	if inner, ok := unwrapType(typ, "Nullable"); ok {
		typ = inner
	}
	var arg string
	switch {
	case strings.HasPrefix(typ, "Decimal("):
		var hasScale bool
		_, arg, hasScale = strings.Cut(strings.TrimSuffix(strings.TrimPrefix(typ, "Decimal("), ")"), ",")
		if !hasScale {
			return 0 // Decimal(P) has scale 0
		}
	case strings.HasPrefix(typ, "Decimal32("), strings.HasPrefix(typ, "Decimal64("),
		strings.HasPrefix(typ, "Decimal128("), strings.HasPrefix(typ, "Decimal256("):
		_, arg, _ = strings.Cut(strings.TrimSuffix(typ, ")"), "(")
	default:
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(arg))
	if err != nil || n < 0 {
		return -1
	}
	return int32(n)
}
