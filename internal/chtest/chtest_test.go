package chtest_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/omnistat/omnistat/internal/chtest"
)

// The outage tests above this package rely on this: a stopped server refuses
// connections, and Start brings the same server back, on the same port, with its data.
func TestStopAndStartKeepPortAndData(t *testing.T) {
	srv := chtest.StartServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	exec := func(sql string) {
		t.Helper()
		conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{srv.Addr}, DialTimeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	count := func() uint64 {
		t.Helper()
		conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{srv.Addr}, DialTimeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM default.kept").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	exec("CREATE TABLE default.kept (n UInt32) ENGINE = MergeTree ORDER BY n")
	exec("INSERT INTO default.kept SELECT toUInt32(number) FROM system.numbers LIMIT 10")

	// An open, idle connection must not hold the stop up.
	idle, err := clickhouse.Open(&clickhouse.Options{Addr: []string{srv.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if err := idle.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	srv.Stop()
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("Stop took %s; want a graceful stop within a few seconds", d)
	}
	srv.Stop() // stopping a stopped server does nothing
	if c, err := net.DialTimeout("tcp", srv.Addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s accepts connections after Stop", srv.Addr)
	}

	srv.Start()
	srv.Start() // starting a running server does nothing
	if n := count(); n != 10 {
		t.Fatalf("after Start the table has %d rows; want the 10 written before Stop", n)
	}
}
