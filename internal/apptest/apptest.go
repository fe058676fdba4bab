// Package apptest starts the real omnistat binary for end-to-end tests: it builds the
// binary once per test process, runs `omnistat serve` on a free port and its own data
// directory, runs CLI commands against it, and stops it (gracefully or with SIGKILL, for
// crash tests).
package apptest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds ./cmd/omnistat once per process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "omnistat-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "omnistat")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/omnistat")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Server is a running `omnistat serve`.
type Server struct {
	t       testing.TB
	URL     string // http://127.0.0.1:PORT
	Port    int
	DataDir string
	Args    []string
	cmd     *exec.Cmd
	log     *bytes.Buffer
	logMu   *sync.Mutex
	done    chan struct{}
}

// Start runs omnistat serve with extra flags on a new data directory.
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	return StartIn(t, t.TempDir(), extra...)
}

// StartIn runs omnistat serve on the given data directory (to restart on the same data).
func StartIn(t testing.TB, dataDir string, extra ...string) *Server {
	t.Helper()
	port := FreePort(t)
	s := &Server{t: t, Port: port, URL: fmt.Sprintf("http://127.0.0.1:%d", port), DataDir: dataDir,
		log: &bytes.Buffer{}, logMu: &sync.Mutex{}, done: make(chan struct{})}
	s.Args = append([]string{"serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--data-dir", dataDir}, extra...)
	s.cmd = exec.Command(Binary(t), s.Args...)
	s.cmd.Stdout = lockedWriter{s.log, s.logMu}
	s.cmd.Stderr = lockedWriter{s.log, s.logMu}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() { s.Stop() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		select {
		case <-s.done:
			t.Fatalf("omnistat serve exited during start:\n%s", s.Log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("omnistat serve not healthy after 60s:\n%s", s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Log is everything the server printed so far.
func (s *Server) Log() string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return s.log.String()
}

// Stop sends SIGTERM and waits for a clean exit (up to 60 s).
func (s *Server) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		s.t.Errorf("omnistat did not stop within 60s of SIGTERM:\n%s", s.Log())
	}
}

// Kill stops the server with SIGKILL, as a crash would.
func (s *Server) Kill() {
	s.cmd.Process.Kill()
	<-s.done
}

// Exited reports whether the process has ended.
func (s *Server) Exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// CLI runs an omnistat command against this server's data directory and returns stdout.
func (s *Server) CLI(args ...string) string {
	s.t.Helper()
	out, err := RunCLI(s.t, append(args, "--data-dir", s.DataDir)...)
	if err != nil {
		s.t.Fatalf("omnistat %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// RunCLI runs the binary with args; the error includes stderr.
func RunCLI(t testing.TB, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, Binary(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%v: %s", err, stderr.String())
	}
	return stdout.String(), nil
}

// FreePort returns a TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
