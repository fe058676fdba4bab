// Package store is Omnistat's one door to ClickHouse: a small interface that the embedded
// engine (store/embedded, chDB loaded in-process) and a ClickHouse server (store/server,
// clickhouse-go native protocol) both implement, so every other package speaks one SQL
// dialect and never knows which engine answers.
//
// Rules every caller follows:
//   - Values never enter SQL text. Queries use ClickHouse's typed placeholders
//     ({name:Type}) and pass values in Params; both drivers bind them server-side.
//   - Result values are JSON-shaped (see Result), so a query that needs a time back
//     selects it as a number (toUnixTimestamp64Milli) or a formatted string.
//   - Inserts go in batches, one round trip per batch, with an explicit column list.
package store

import (
	"context"
	"errors"
	"fmt"
)

// Params are the values bound to a query's {name:Type} placeholders. Values are given
// as text; the placeholder's type tells the engine how to parse them.
type Params map[string]string

// Store is what the rest of Omnistat needs from ClickHouse.
type Store interface {
	// Exec runs a statement that returns no rows (DDL, ALTER, INSERT ... SELECT).
	Exec(ctx context.Context, query string, params Params) error
	// Query runs a SELECT and returns all of its rows.
	Query(ctx context.Context, query string, params Params) (*Result, error)
	// Insert writes rows into table in one round trip. columns name the table's
	// columns in the order of each row's values. dedupToken, when not empty, makes a
	// retried insert of the same block a no-op on the engine's side.
	Insert(ctx context.Context, table string, columns []Column, rows [][]any, dedupToken string) error
	// ServerVersion is the engine's version string, as SELECT version() answers it.
	ServerVersion(ctx context.Context) (string, error)
	// Database is the database this store's tables live in.
	Database() string
	// Close releases the engine or the connection pool.
	Close() error
}

// Column names a column and its ClickHouse type, for Insert.
type Column struct {
	Name string
	Type string
}

// Result is the rows of a query. Values are JSON-shaped: string, float64 or int64 /
// uint64 for numbers, bool, nil, []any for arrays and map[string]any for maps.
type Result struct {
	Columns []string
	Types   []string
	Rows    [][]any
}

// Index returns the position of the named column, or -1.
func (r *Result) Index(name string) int {
	for i, c := range r.Columns {
		if c == name {
			return i
		}
	}
	return -1
}

// EngineError is an error that the ClickHouse engine reported for a statement. Its
// message is the engine's own, so operators can look it up; it never reaches an HTTP
// client, which gets a generic sentence instead.
type EngineError struct {
	Code    int // ClickHouse error code when known, else 0
	Message string
}

func (e *EngineError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("clickhouse error %d: %s", e.Code, e.Message)
	}
	return "clickhouse error: " + e.Message
}

// IsEngineError reports whether err came from the engine rejecting a statement (as
// opposed to the engine being unreachable).
func IsEngineError(err error) bool {
	var e *EngineError
	return errors.As(err, &e)
}

// ErrUnavailable is wrapped by errors that mean the engine could not be reached:
// retrying later may succeed.
var ErrUnavailable = errors.New("clickhouse is unavailable")
