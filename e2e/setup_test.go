package e2e

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/omnistat/omnistat/internal/apptest"
)

// Without the embedded engine and without --clickhouse-url, serve says how to get one.
func TestServeWithoutEngineSaysWhatToDo(t *testing.T) {
	cmd := exec.Command(apptest.Binary(t), "serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0")
	cmd.Dir = t.TempDir() // no .cache/chdb above it
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("serve started without an engine:\n%s", out)
	}
	for _, want := range []string{"libchdb.so", "make setup", "--clickhouse-url"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("serve's error does not mention %q:\n%s", want, out)
		}
	}
}

// A running server answers the management commands through its admin socket, and
// errors come back as sentences.
func TestCLIAgainstRunningServer(t *testing.T) {
	srv := apptest.Start(t)
	if out := srv.CLI("site", "add", "cli.test", "--timezone", "Europe/Berlin"); strings.TrimSpace(out) != "1" {
		t.Fatalf("site add printed %q", out)
	}
	_, err := apptest.RunCLI(t, "site", "add", "cli.test", "--data-dir", srv.DataDir)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate site: %v", err)
	}
	_, err = apptest.RunCLI(t, "key", "create", "--site", "nope.test", "--data-dir", srv.DataDir)
	if err == nil || !strings.Contains(err.Error(), "omnistat site add nope.test") {
		t.Fatalf("key for an unknown site: %v", err)
	}
	if out := srv.CLI("user", "add", "ann@example.com", "--password", "correct horse battery"); !strings.Contains(out, "ann@example.com") {
		t.Fatalf("user add printed %q", out)
	}
	if out := srv.CLI("demo", "--days", "3"); !strings.Contains(out, "demo.example") {
		t.Fatalf("demo printed %q", out)
	}
	key := strings.TrimSpace(srv.CLI("key", "create", "--site", "demo.example"))
	got := queryAPI(t, srv.URL, key, `{"site":"demo.example","date_range":"7d","metrics":["visitors","conversions"]}`)
	if totals := got["totals"].(map[string]any); totals["visitors"].(float64) < 100 || totals["conversions"].(float64) < 1 {
		t.Fatalf("the demo site's totals %v; want a living site with conversions", totals)
	}
	srv.Stop()
	// With the server stopped, the command opens the engine itself.
	out, err := apptest.RunCLI(t, "key", "create", "--site", "cli.test", "--data-dir", srv.DataDir)
	if err != nil || !strings.HasPrefix(out, "os_") {
		t.Fatalf("key create without a server: %q %v", out, err)
	}
}
