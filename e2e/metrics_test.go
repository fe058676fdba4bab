package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/omnistat/omnistat/internal/apptest"
)

// /metrics shows the server's live traffic volume, so it is not on the public address:
// only on the --debug-addr listener, beside the profiles (bound before the server says
// it is healthy).
func TestMetricsOnlyOnTheDebugListener(t *testing.T) {
	debug := fmt.Sprintf("127.0.0.1:%d", apptest.FreePort(t))
	srv := apptest.Start(t, "--debug-addr", debug)
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if s, body := get(srv.URL + "/metrics"); s != 404 || strings.Contains(body, "omnistat_") {
		t.Fatalf("public /metrics: %d %.200s; want 404", s, body)
	}
	if s, body := get("http://" + debug + "/metrics"); s != 200 || !strings.Contains(body, "omnistat_events_accepted_total") || !strings.Contains(body, "omnistat_spool_bytes") {
		t.Fatalf("/metrics on --debug-addr: %d %.300s", s, body)
	}
}
