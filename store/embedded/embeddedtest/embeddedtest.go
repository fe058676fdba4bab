// Package embeddedtest gives tests a real embedded ClickHouse engine. The engine allows
// one data directory per process, so every test package shares one directory (made by
// Main) and each test gets a database of its own: tests stay independent and may run
// in parallel without a shared, hard-coded test database.
package embeddedtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"

	"github.com/omnistat/omnistat/store/embedded"
)

var (
	mu  sync.Mutex
	dir string
)

// Main runs a package's tests and removes the engine's data directory afterwards, unless
// KEEPDB is set (then it prints where it is). Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	mu.Lock()
	if dir != "" {
		if os.Getenv("KEEPDB") != "" {
			println("embeddedtest: data kept in", dir)
		} else {
			os.RemoveAll(dir)
		}
	}
	mu.Unlock()
	os.Exit(code)
}

// Dir returns this process's engine data directory, creating it on first use.
func Dir(t testing.TB) string {
	mu.Lock()
	defer mu.Unlock()
	if dir == "" {
		d, err := os.MkdirTemp("", "omnistat-chdb-")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
	}
	return dir
}

// Open returns a store on a fresh database, dropped when the test ends.
func Open(t testing.TB) *embedded.Store {
	t.Helper()
	ctx := context.Background()
	st, err := embedded.Open(ctx, embedded.Options{Path: Dir(t), Database: NewName(), Conns: 2})
	if err != nil {
		t.Fatalf("open the embedded engine: %v", err)
	}
	t.Cleanup(func() {
		_ = st.Exec(ctx, "DROP DATABASE IF EXISTS "+st.Database()+" SYNC", nil)
		st.Close()
	})
	return st
}

// NewName returns a random database name.
func NewName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "t_" + hex.EncodeToString(b)
}
