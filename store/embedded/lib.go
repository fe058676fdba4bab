package embedded

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// LibVersion is the chDB release scripts/fetch-chdb.sh fetches; the cache folder is
// named after it.
const LibVersion = "26.7.3-stable.1"

// LibEnv names the environment variable that points at libchdb.so.
const LibEnv = "OMNISTAT_CHDB_LIB"

// ErrNoLibrary means libchdb.so was not found. Its text tells the user how to get it.
var ErrNoLibrary = errors.New("the embedded ClickHouse engine (libchdb.so) was not found: run `make setup` (it fetches it into .cache/chdb/), " +
	"or point --chdb-lib / " + LibEnv + " at a libchdb.so, or use a ClickHouse server with --clickhouse-url")

// FindLibrary returns the path of libchdb.so: explicit if not empty, else $OMNISTAT_CHDB_LIB,
// else .cache/chdb/VERSION/libchdb.so in the working directory or any parent of it (so
// the binary and the tests find `make setup`'s cache from anywhere in the checkout), else
// libchdb.so next to the executable.
func FindLibrary(explicit string) (string, error) {
	if explicit == "" {
		explicit = os.Getenv(LibEnv)
	}
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("chdb library %s: %w", explicit, err)
		}
		return explicit, nil
	}
	rel := filepath.Join(".cache", "chdb", LibVersion, "libchdb.so")
	if dir, err := os.Getwd(); err == nil {
		for {
			p := filepath.Join(dir, rel)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	if exe, err := os.Executable(); err == nil {
		for _, p := range []string{filepath.Join(filepath.Dir(exe), "libchdb.so"), filepath.Join(filepath.Dir(exe), "..", rel)} {
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	return "", ErrNoLibrary
}

// lib holds the C functions of libchdb.so that Omnistat calls. The C API is documented
// in chdb's programs/local/chdb.h.
type lib struct {
	setSignalHandlersEnabled func(enabled bool)
	connect                  func(argc int32, argv unsafe.Pointer) unsafe.Pointer
	closeConn                func(conn unsafe.Pointer)
	queryN                   func(conn unsafe.Pointer, query unsafe.Pointer, queryLen uintptr, format unsafe.Pointer, formatLen uintptr) unsafe.Pointer
	queryWithParamsN         func(conn unsafe.Pointer, query unsafe.Pointer, queryLen uintptr, format unsafe.Pointer, formatLen uintptr,
		names unsafe.Pointer, nameLens unsafe.Pointer, values unsafe.Pointer, valueLens unsafe.Pointer, count uintptr) unsafe.Pointer
	streamInsertN       func(conn unsafe.Pointer, query unsafe.Pointer, queryLen uintptr, format unsafe.Pointer, formatLen uintptr) unsafe.Pointer
	streamAppend        func(stream unsafe.Pointer, data unsafe.Pointer, n uintptr) int32
	streamDone          func(stream unsafe.Pointer) unsafe.Pointer
	streamInsertError   func(stream unsafe.Pointer) unsafe.Pointer
	destroyInsertStream func(stream unsafe.Pointer)
	resultBuffer        func(res unsafe.Pointer) unsafe.Pointer
	resultLength        func(res unsafe.Pointer) uintptr
	resultError         func(res unsafe.Pointer) unsafe.Pointer
	destroyResult       func(res unsafe.Pointer)
	version             func() unsafe.Pointer
}

var (
	loadOnce sync.Once
	loaded   *lib
	loadErr  error
	loadPath string
)

// load opens libchdb.so once per process. The engine's own signal handlers are turned
// off before the first connect: with them on, a Go nil dereference (a SIGSEGV that Go
// turns into a recoverable panic) hangs the whole process instead of panicking.
func load(path string) (*lib, error) {
	loadOnce.Do(func() {
		loadPath = path
		h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			loadErr = fmt.Errorf("load %s: %w", path, err)
			return
		}
		l := &lib{}
		purego.RegisterLibFunc(&l.setSignalHandlersEnabled, h, "chdb_set_signal_handlers_enabled")
		purego.RegisterLibFunc(&l.connect, h, "chdb_connect")
		purego.RegisterLibFunc(&l.closeConn, h, "chdb_close_conn")
		purego.RegisterLibFunc(&l.queryN, h, "chdb_query_n")
		purego.RegisterLibFunc(&l.queryWithParamsN, h, "chdb_query_with_params_n")
		purego.RegisterLibFunc(&l.streamInsertN, h, "chdb_stream_insert_n")
		purego.RegisterLibFunc(&l.streamAppend, h, "chdb_stream_append")
		purego.RegisterLibFunc(&l.streamDone, h, "chdb_stream_done")
		purego.RegisterLibFunc(&l.streamInsertError, h, "chdb_stream_insert_error")
		purego.RegisterLibFunc(&l.destroyInsertStream, h, "chdb_destroy_insert_stream")
		purego.RegisterLibFunc(&l.resultBuffer, h, "chdb_result_buffer")
		purego.RegisterLibFunc(&l.resultLength, h, "chdb_result_length")
		purego.RegisterLibFunc(&l.resultError, h, "chdb_result_error")
		purego.RegisterLibFunc(&l.destroyResult, h, "chdb_destroy_query_result")
		purego.RegisterLibFunc(&l.version, h, "chdb_version")
		l.setSignalHandlersEnabled(false)
		loaded = l
	})
	if loadErr == nil && loadPath != path {
		return nil, fmt.Errorf("libchdb.so is already loaded from %s; cannot also load %s", loadPath, path)
	}
	return loaded, loadErr
}

// cstring returns a NUL-terminated copy of s and a pointer to its first byte.
func cstring(s string) ([]byte, unsafe.Pointer) {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return b, unsafe.Pointer(&b[0])
}

// goString copies a NUL-terminated C string.
func goString(p unsafe.Pointer) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(p, n)) != 0 {
		n++
	}
	return string(unsafe.Slice((*byte)(p), n))
}
