package e2e

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omnistat/omnistat/internal/apptest"
	"github.com/omnistat/omnistat/store/embedded"
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

// A management command run where there is neither a running server nor its data (a
// second terminal in another directory) must not make a new, empty store and report
// success: it fails and says where it looked and what to do.
func TestAdminCommandElsewhereSaysWhereItLooked(t *testing.T) {
	lib, err := embedded.FindLibrary("")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"site", "add", "elsewhere.example"}, {"user", "add", "me@example.com", "--password", "correct horse battery"}} {
		dir := t.TempDir()
		cmd := exec.Command(apptest.Binary(t), args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), embedded.LibEnv+"="+lib) // the engine is found from anywhere
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("omnistat %s in an empty directory: %v\n%s; want exit code 1", strings.Join(args, " "), err, out)
		}
		for _, want := range []string{filepath.Join(dir, "data"), "--data-dir"} {
			if !strings.Contains(string(out), want) {
				t.Fatalf("omnistat %s: the error does not mention %q:\n%s", strings.Join(args, " "), want, out)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
			t.Fatalf("omnistat %s made ./data: %v", strings.Join(args, " "), err)
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
	cookie := loginCookie(t, srv.URL, "ann@example.com", "correct horse battery")
	if s := sessionStatus(t, srv.URL, cookie); s != 200 {
		t.Fatalf("session after login: %d", s)
	}
	if out := srv.CLI("user", "remove", "ann@example.com"); !strings.Contains(out, "ann@example.com") {
		t.Fatalf("user remove printed %q", out)
	}
	if s := sessionStatus(t, srv.URL, cookie); s != 401 {
		t.Fatalf("the removed user's session: %d; want 401", s)
	}
	if _, err := apptest.RunCLI(t, "user", "remove", "ann@example.com", "--data-dir", srv.DataDir); err == nil || !strings.Contains(err.Error(), "there is no dashboard user ann@example.com") {
		t.Fatalf("removing a removed user: %v", err)
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

// omnistat migrate beside a running server cannot open the engine the server holds. It
// says so in a sentence, exits 1, and runs once the server is stopped.
func TestMigrateWhileServerRunsSaysSo(t *testing.T) {
	srv := apptest.Start(t)
	cmd := exec.Command(apptest.Binary(t), "migrate", "--data-dir", srv.DataDir)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("migrate beside a running server: %v\n%s; want exit code 1", err, out)
	}
	for _, want := range []string{"the server is running", "applies migrations itself", "stop it first"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("migrate beside a running server does not say %q:\n%s", want, out)
		}
	}
	for _, raw := range []string{"DB::Exception", "chdb_connect"} {
		if strings.Contains(string(out), raw) {
			t.Fatalf("migrate beside a running server shows the engine's %q:\n%s", raw, out)
		}
	}
	srv.Stop()
	if out, err := apptest.RunCLI(t, "migrate", "--data-dir", srv.DataDir); err != nil || !strings.Contains(out, "schema is up to date") {
		t.Fatalf("migrate with the server stopped: %q %v", out, err)
	}
}

// loginCookie logs in through the API and returns the session cookie.
func loginCookie(t *testing.T, base, email, password string) string {
	t.Helper()
	resp, err := http.Post(base+"/api/v1/login", "application/json", strings.NewReader(`{"email":"`+email+`","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login as %s: %d", email, resp.StatusCode)
	}
	return strings.Split(resp.Header.Get("Set-Cookie"), ";")[0]
}

func sessionStatus(t *testing.T, base, cookie string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/session", nil)
	req.Header.Set("Cookie", cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
