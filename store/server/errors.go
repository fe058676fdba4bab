package server

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/omnistat/omnistat/store"
)

// classify sorts a clickhouse-go error into the two kinds callers act on:
//   - the server rejected the statement: a *store.EngineError with the server's code and
//     own message, so an operator can look it up;
//   - the server could not be reached or went away: wrapped with store.ErrUnavailable,
//     so the collector keeps its batch and retries later.
//
// Anything else (a value of the wrong type for a column, say) is returned as it is.
// op, when not empty, prefixes the message.
func classify(op string, err error) error {
	prefix := ""
	if op != "" {
		prefix = op + ": "
	}
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		return fmt.Errorf("%s%w", prefix, &store.EngineError{Code: int(ex.Code), Message: ex.Message})
	}
	if isUnavailable(err) {
		return fmt.Errorf("%s%w: %w", prefix, store.ErrUnavailable, err)
	}
	if op == "" {
		return err
	}
	return fmt.Errorf("%s%w", prefix, err)
}

// isUnavailable reports errors that mean "no answer from the server": refused or reset
// connections, a connection closed mid-answer, timeouts. A deadline that expires is
// counted too: a server that does not answer in time may answer a retry.
func isUnavailable(err error) bool {
	var ne net.Error
	switch {
	case errors.As(err, &ne),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, driver.ErrBadConn),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, clickhouse.ErrAcquireConnTimeout):
		return true
	}
	// Some of clickhouse-go's errors about a dead connection are plain strings.
	msg := err.Error()
	for _, s := range []string{"connection refused", "connection reset", "broken pipe", "closed connection"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
