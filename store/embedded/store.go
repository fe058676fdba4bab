// Package embedded runs ClickHouse inside the Omnistat process: chDB's libchdb.so, loaded
// at run time with purego (no cgo, so the binary still builds with CGO_ENABLED=0 and runs
// without the library when a ClickHouse server is configured instead). It implements
// store.Store over a small pool of chdb connections on one data directory.
//
// The engine allows one data directory per process, and a second process on the same
// directory fails to lock it; Open returns that as an error naming the directory.
package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/omnistat/omnistat/store"
)

// Options configure Open.
type Options struct {
	Path     string // data directory; created if missing
	LibPath  string // libchdb.so; empty: FindLibrary("")
	Database string // default "omnistat"
	Conns    int    // connections in the pool; default 4
}

// Store is the embedded engine. It is safe for concurrent use.
type Store struct {
	db    string
	pool  chan *conn
	all   []*conn
	once  sync.Once
	alive bool
}

var (
	openMu    sync.Mutex
	openPath  string // the data directory this process's engine uses
	openCount int    // open Stores on openPath
)

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Holds reports whether dir is a data directory with Omnistat's database in it (the
// engine keeps a database's definition in metadata/NAME.sql), without loading the engine.
func Holds(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "metadata", "omnistat.sql"))
	return err == nil
}

// Open loads the engine (once per process), connects to the data directory and makes
// sure the database exists.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Database == "" {
		o.Database = "omnistat"
	}
	if !identRE.MatchString(o.Database) {
		return nil, fmt.Errorf("embedded.Open: database name %q is not a plain identifier", o.Database)
	}
	if o.Conns <= 0 {
		o.Conns = 4
	}
	if o.Path == "" {
		return nil, fmt.Errorf("embedded.Open: no data directory given")
	}
	path, err := filepath.Abs(o.Path)
	if err != nil {
		return nil, fmt.Errorf("embedded.Open: %w", err)
	}
	if err := os.MkdirAll(path, 0o750); err != nil {
		return nil, fmt.Errorf("embedded.Open: create data directory: %w", err)
	}
	libPath, err := FindLibrary(o.LibPath)
	if err != nil {
		return nil, err
	}
	l, err := load(libPath)
	if err != nil {
		return nil, fmt.Errorf("embedded.Open: %w", err)
	}

	openMu.Lock()
	defer openMu.Unlock()
	if openPath != "" && openPath != path {
		return nil, fmt.Errorf("embedded.Open: this process already runs the engine on %s; it cannot also open %s", openPath, path)
	}
	s := &Store{db: o.Database, pool: make(chan *conn, o.Conns), alive: true}
	args := []string{"clickhouse", "--path=" + path,
		// JSON results carry 64-bit integers as numbers, which Query decodes exactly.
		"--output_format_json_quote_64bit_integers=0",
	}
	for i := 0; i < o.Conns; i++ {
		c, err := openConn(l, args)
		if err != nil {
			s.closeAll()
			return nil, fmt.Errorf("embedded.Open %s: %w", path, err)
		}
		s.all = append(s.all, c)
		s.pool <- c
	}
	openPath = path
	openCount++
	// A chdb connection keeps its session, so one USE per connection makes unqualified
	// table names resolve in the store's database for every later statement.
	for _, c := range s.all {
		for _, q := range []string{"CREATE DATABASE IF NOT EXISTS " + o.Database, "USE " + o.Database} {
			if _, msg := c.query([]byte(q), "TabSeparated", nil); msg != "" {
				s.closeAll()
				release()
				return nil, fmt.Errorf("embedded.Open %s: %w", path, engineError(msg))
			}
		}
	}
	return s, nil
}

// Database implements store.Store.
func (s *Store) Database() string { return s.db }

func (s *Store) acquire(ctx context.Context) (*conn, error) {
	select {
	case c := <-s.pool:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// run executes one statement on a pooled connection with the store's database as the
// current one, so callers can name tables without a database prefix.
func (s *Store) run(ctx context.Context, sql []byte, format string, params store.Params) ([]byte, error) {
	c, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { s.pool <- c }()
	out, msg := c.query(sql, format, store.EncodeParams(string(sql), params))
	if msg != "" {
		return nil, engineError(msg)
	}
	return out, nil
}

// Exec implements store.Store.
func (s *Store) Exec(ctx context.Context, query string, params store.Params) error {
	if _, err := s.run(ctx, []byte(query), "TabSeparated", params); err != nil {
		return fmt.Errorf("embedded.Exec: %w", err)
	}
	return nil
}

// Query implements store.Store. Results come from the engine as JSONCompact.
func (s *Store) Query(ctx context.Context, query string, params store.Params) (*store.Result, error) {
	out, err := s.run(ctx, []byte(query), "JSONCompact", params)
	if err != nil {
		return nil, fmt.Errorf("embedded.Query: %w", err)
	}
	res, err := decodeJSONCompact(out)
	if err != nil {
		return nil, fmt.Errorf("embedded.Query: %w", err)
	}
	return res, nil
}

// Insert implements store.Store: the rows encoded as RowBinary and streamed into one
// INSERT, one block for the engine (and one unit for its insert deduplication).
func (s *Store) Insert(ctx context.Context, table string, columns []store.Column, rows [][]any, dedupToken string) error {
	if len(rows) == 0 {
		return nil
	}
	head, err := insertHead(table, columns, dedupToken)
	if err != nil {
		return fmt.Errorf("embedded.Insert: %w", err)
	}
	enc, err := newRowEncoder(columns)
	if err != nil {
		return fmt.Errorf("embedded.Insert %s: %w", table, err)
	}
	buf := bytes.NewBuffer(make([]byte, 0, len(rows)*64))
	for i, r := range rows {
		if err := enc.encode(buf, r); err != nil {
			return fmt.Errorf("embedded.Insert %s: row %d: %w", table, i, err)
		}
	}
	c, err := s.acquire(ctx)
	if err != nil {
		return fmt.Errorf("embedded.Insert %s: %w", table, err)
	}
	defer func() { s.pool <- c }()
	if msg := c.insert(head, "RowBinary", buf.Bytes()); msg != "" {
		return fmt.Errorf("embedded.Insert %s: %w", table, engineError(msg))
	}
	return nil
}

var tokenRE = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)

// insertHead builds the INSERT statement. Table and column names come from Omnistat's
// code, never from users, but are still checked as identifiers; the dedup token is
// generated by the collector and checked against a strict alphabet.
func insertHead(table string, columns []store.Column, dedupToken string) (string, error) {
	if !identRE.MatchString(table) {
		return "", fmt.Errorf("table name %q is not a plain identifier", table)
	}
	names := make([]string, len(columns))
	for i, c := range columns {
		if !identRE.MatchString(c.Name) {
			return "", fmt.Errorf("column name %q is not a plain identifier", c.Name)
		}
		names[i] = c.Name
	}
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(names, ", ") + ")")
	if dedupToken != "" {
		if !tokenRE.MatchString(dedupToken) {
			return "", fmt.Errorf("dedup token %q has characters outside [A-Za-z0-9_.:-]", dedupToken)
		}
		b.WriteString(" SETTINGS insert_deduplication_token = '" + dedupToken + "'")
	}
	return b.String(), nil
}

// ServerVersion implements store.Store.
func (s *Store) ServerVersion(ctx context.Context) (string, error) {
	res, err := s.Query(ctx, "SELECT version()", nil)
	if err != nil {
		return "", err
	}
	if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
		return "", fmt.Errorf("embedded.ServerVersion: unexpected answer")
	}
	v, _ := res.Rows[0][0].(string)
	return v, nil
}

// Close implements store.Store. The engine stays loaded (a shared library cannot be
// unloaded safely), but its connections and the data directory lock are released.
func (s *Store) Close() error {
	openMu.Lock()
	defer openMu.Unlock()
	s.once.Do(func() {
		for range s.all {
			<-s.pool
		}
		s.closeAll()
		release()
	})
	return nil
}

// release forgets the data directory once no Store uses it. Called with openMu held.
func release() {
	if openCount--; openCount <= 0 {
		openCount, openPath = 0, ""
	}
}

func (s *Store) closeAll() {
	for _, c := range s.all {
		c.close()
	}
	s.all = nil
}

var codeRE = regexp.MustCompile(`Code: (\d+)\. `)

// engineError turns the engine's message into a *store.EngineError with its code.
func engineError(msg string) error {
	e := &store.EngineError{Message: strings.TrimSpace(msg)}
	if m := codeRE.FindStringSubmatch(msg); m != nil {
		e.Code, _ = strconv.Atoi(m[1])
	}
	return e
}

// decodeJSONCompact reads the engine's JSONCompact output into a store.Result.
func decodeJSONCompact(out []byte) (*store.Result, error) {
	res := &store.Result{}
	if len(bytes.TrimSpace(out)) == 0 {
		return res, nil
	}
	var doc struct {
		Meta []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"meta"`
		Data [][]any `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode result: %w", err)
	}
	for _, m := range doc.Meta {
		res.Columns = append(res.Columns, m.Name)
		res.Types = append(res.Types, m.Type)
	}
	res.Rows = doc.Data
	for _, row := range res.Rows {
		for i, v := range row {
			row[i] = normalize(v)
		}
	}
	return res, nil
}

// normalize turns json.Number into int64, uint64 or float64, recursively.
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		s := x.String()
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(s, 10, 64); err == nil {
			return u
		}
		f, _ := strconv.ParseFloat(s, 64)
		return f
	case []any:
		for i := range x {
			x[i] = normalize(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = normalize(x[k])
		}
		return x
	}
	return v
}
