// Package chtest runs a real ClickHouse server for tests of the clickhouse-go driver
// (store/server) and of code above it: Debian's clickhouse-server 18.16, the only
// server Debian ships, started as a child process on a free loopback port with its own
// configuration and data directory, and stopped when the test ends.
//
// The server is old (2018): it exercises the client code (connect, batches, scans,
// errors, a server that goes away and comes back), not Omnistat's analytics SQL, which
// needs store.MinServerVersion.
//
// A Server can be stopped and started again mid-test on the same port and data
// directory, so outage tests see the same server, with its data, come back.
//
// The server runs as the user running the tests; 18.16 does not refuse root. Two of
// its quirks shape the configuration below: it exits at start-up without
// mark_cache_size, and an idle client connection holds a graceful stop up for the
// profile's poll_interval (10 s unless set).
package chtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binary is where Debian's clickhouse-server package installs the server.
const Binary = "/usr/sbin/clickhouse-server"

// Database is the database named in Server.URL. Nothing creates it up front: the
// driver's Dial does, as it does on a fresh production server.
const Database = "omnistat_test"

const (
	startTimeout = 30 * time.Second
	// stopTimeout bounds a graceful stop. The server waits for open client connections
	// up to shutdown_wait_unfinished (1 s in the configuration below), so it normally
	// exits well within this; after it, the process is killed.
	stopTimeout = 5 * time.Second
)

// Server is one clickhouse-server child process and its directory.
type Server struct {
	URL  string // clickhouse://127.0.0.1:PORT/omnistat_test, for store/server.Dial
	Addr string // 127.0.0.1:PORT, the native protocol's address
	Port int
	Dir  string // configuration, data (Dir/data) and logs (Dir/log)

	t    testing.TB
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// The configuration is complete on its own (nothing is read from /etc): one native
// port on loopback, no HTTP or interserver port, every path inside the test's
// directory, and UTC, so that times in tests do not depend on the machine.
const configXML = `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>information</level>
    <log>{dir}/log/server.log</log>
    <errorlog>{dir}/log/error.log</errorlog>
    <size>10M</size>
    <count>1</count>
    <console>0</console>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>{port}</tcp_port>
  <path>{dir}/data/</path>
  <tmp_path>{dir}/tmp/</tmp_path>
  <user_files_path>{dir}/user_files/</user_files_path>
  <format_schema_path>{dir}/format_schemas/</format_schema_path>
  <users_config>{dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <max_concurrent_queries>100</max_concurrent_queries>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <shutdown_wait_unfinished>1</shutdown_wait_unfinished>
</yandex>
`

const usersXML = `<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>2000000000</max_memory_usage>
      <!-- An idle connection notices a stopping server only when its poll times out
           (10 s by default): without this, Stop waits that long for every open pool. -->
      <poll_interval>1</poll_interval>
    </default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks>
        <ip>127.0.0.1</ip>
        <ip>::1</ip>
      </networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas>
    <default>
      <interval>
        <duration>3600</duration>
        <queries>0</queries>
        <errors>0</errors>
        <result_rows>0</result_rows>
        <read_rows>0</read_rows>
        <execution_time>0</execution_time>
      </interval>
    </default>
  </quotas>
</yandex>
`

// StartServer starts a server for the test and waits until it accepts native
// connections; it is stopped when the test ends. A missing server binary fails the
// test: CI installs it, and a skipped driver test would pass silently.
func StartServer(t testing.TB) *Server {
	t.Helper()
	if _, err := os.Stat(Binary); err != nil {
		t.Fatalf("chtest: no ClickHouse server at %s (%v); install it with: apt-get install -y clickhouse-server", Binary, err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("chtest: pick a port: %v", err)
	}
	dir := t.TempDir()
	r := strings.NewReplacer("{dir}", dir, "{port}", fmt.Sprint(port))
	for name, text := range map[string]string{"config.xml": r.Replace(configXML), "users.xml": usersXML} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatalf("chtest: %v", err)
		}
	}
	for _, sub := range []string{"data", "tmp", "user_files", "format_schemas", "log"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatalf("chtest: %v", err)
		}
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s := &Server{t: t, Dir: dir, Addr: addr, Port: port, URL: "clickhouse://" + addr + "/" + Database}
	// Registered before Start, so that a server that starts but never listens is
	// stopped too.
	t.Cleanup(s.Stop)
	s.Start()
	return s
}

// freePort asks the kernel for a free port. Another process could take it before the
// server binds it; the server then fails to start and the test says why.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Start starts the server (again, after Stop) on the same port and data directory and
// waits until it accepts native connections. It does nothing if the server runs. A
// failure fails the test given to StartServer, with the tail of the server's logs:
// call Start from that test or one of its subtests, not from another goroutine.
func (s *Server) Start() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("chtest: %v", err)
	}
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running() {
		return nil
	}
	out, err := os.OpenFile(filepath.Join(s.Dir, "log", "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close() // the child has its own descriptor
	cmd := exec.Command(Binary, "--config-file="+filepath.Join(s.Dir, "config.xml"))
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid: true, // Stop signals the whole group
		// If the test binary dies without running its cleanups (a panic elsewhere,
		// go test's -timeout), the kernel kills the server rather than leave it
		// running on its port.
		Pdeathsig: syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", Binary, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done

	deadline := time.Now().Add(startTimeout)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("clickhouse-server exited while starting (%v); %s", cmd.ProcessState, s.logTail())
		default:
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("clickhouse-server did not accept connections on %s within %s; %s", s.Addr, startTimeout, s.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the server: SIGTERM, then SIGKILL if it has not exited after a few
// seconds. The data stays for a later Start. It does nothing if the server is not
// running.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running() {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(stopTimeout):
		s.kill()
	}
}

// kill ends the process group at once and waits for the server to exit. Called with
// s.mu held.
func (s *Server) kill() {
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
}

// running reports whether the child process is alive. Called with s.mu held.
func (s *Server) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// logTail is the end of the server's error log and console output, for failure
// messages.
func (s *Server) logTail() string {
	var b strings.Builder
	for _, name := range []string{"error.log", "stdout.log"} {
		data, err := os.ReadFile(filepath.Join(s.Dir, "log", name))
		if errors.Is(err, os.ErrNotExist) || len(data) == 0 {
			continue
		}
		if len(data) > 3000 {
			data = data[len(data)-3000:]
		}
		fmt.Fprintf(&b, "\n--- end of %s ---\n%s", name, data)
	}
	if b.Len() == 0 {
		return "the server wrote no log"
	}
	return "server log:" + b.String()
}
