// Package chtest runs a real ClickHouse server for tests of the clickhouse-go driver:
// Debian's clickhouse-server (18.16, the only server Debian ships), started as a child
// process on free loopback ports with its own data directory, and stopped when the
// test ends. It is old: it exercises the client code (connect, batches, scans, errors,
// a server that goes away), not Omnistat's analytics SQL.
package chtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Binary is Debian's server.
const Binary = "/usr/sbin/clickhouse-server"

// Server is a running clickhouse-server.
type Server struct {
	URL  string // clickhouse://127.0.0.1:PORT/omnistat_test
	Port int
	t    testing.TB
	dir  string
	cmd  *exec.Cmd
	done chan struct{}
}

const configXML = `<yandex>
  <logger><level>warning</level><log>{dir}/server.log</log><errorlog>{dir}/error.log</errorlog><console>0</console></logger>
  <tcp_port>{port}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>{dir}/data/</path>
  <tmp_path>{dir}/tmp/</tmp_path>
  <user_files_path>{dir}/user_files/</user_files_path>
  <format_schema_path>{dir}/format_schemas/</format_schema_path>
  <users_config>{dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
</yandex>
`

const usersXML = `<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`

// StartServer starts a server for the test; it is stopped at the end of the test.
func StartServer(t testing.TB) *Server {
	t.Helper()
	if _, err := os.Stat(Binary); err != nil {
		t.Fatalf("a ClickHouse server is needed at %s: apt-get install -y clickhouse-server", Binary)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	r := strings.NewReplacer("{dir}", dir, "{port}", fmt.Sprint(port))
	if err := os.WriteFile(filepath.Join(dir, "config.xml"), []byte(r.Replace(configXML)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.xml"), []byte(usersXML), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, dir: dir, Port: port, URL: fmt.Sprintf("clickhouse://127.0.0.1:%d/omnistat_test", port)}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start starts the server (again, after Stop) on the same port and data, and waits
// until it accepts connections.
func (s *Server) Start() {
	s.t.Helper()
	var out bytes.Buffer
	s.cmd = exec.Command(Binary, "--config-file="+filepath.Join(s.dir, "config.xml"))
	s.cmd.Stdout, s.cmd.Stderr = &out, &out
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(s.cmd, s.done)
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-s.done:
			s.t.Fatalf("clickhouse-server exited during start: %s\n%s", out.String(), s.errorLog())
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("clickhouse-server did not listen within 30s:\n%s", s.errorLog())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the server (SIGTERM, then SIGKILL after 10 s).
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

func (s *Server) errorLog() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "error.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
