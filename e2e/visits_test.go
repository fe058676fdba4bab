package e2e

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/omnistat/omnistat/internal/apptest"
	"github.com/omnistat/omnistat/internal/browser"
)

// sendPage posts a pageview of path on shop.test from the visitor at ip, with referrer.
func sendPage(t *testing.T, base, ip, path, referrer string) {
	t.Helper()
	body := fmt.Sprintf(`{"site":"shop.test","name":"pageview","url":"https://shop.test%s","referrer":%q}`, path, referrer)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/event", strings.NewReader(body))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("User-Agent", browser.UserAgent)
	req.Header.Set("X-Forwarded-For", ip)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("pageview %s: %d", path, resp.StatusCode)
	}
}

// A restart (a deploy, or a crash) does not end the visits in progress (§3.2: a visit is
// a visitor's events with no gap over 30 minutes): a visitor who came from Google and
// opens a second page after the restart is one visit of two pages, in Organic Search.
// Visitor A's first page was stored before a clean stop; visitor B's was still in the
// spool when the server was killed.
func TestRestartKeepsVisitsInProgress(t *testing.T) {
	flags := []string{"--flush-interval", "1h", "--rate-limit", "0", "--trust-proxy", "127.0.0.1"}
	srv := apptest.Start(t, flags...)
	srv.CLI("site", "add", "shop.test")
	key := strings.TrimSpace(srv.CLI("key", "create", "--site", "shop.test"))
	const a, b, google = "10.9.0.1", "10.9.0.2", "https://www.google.com/"
	sendPage(t, srv.URL, a, "/a-landing", google)
	srv.Stop() // ships A's first page: the store has it

	again := apptest.StartIn(t, srv.DataDir, flags...)
	sendPage(t, again.URL, a, "/a-second", "https://shop.test/a-landing")
	sendPage(t, again.URL, b, "/b-landing", google)
	again.Kill() // B's first page is only in the spool

	last := apptest.StartIn(t, srv.DataDir, "--flush-interval", "100ms", "--rate-limit", "0", "--trust-proxy", "127.0.0.1")
	sendPage(t, last.URL, b, "/b-second", "https://shop.test/b-landing")
	deadline := time.Now().Add(30 * time.Second)
	var totals map[string]any
	for {
		totals = queryAPI(t, last.URL, key, `{"site":"shop.test","date_range":"day","metrics":["pageviews","visits","bounce_rate"]}`)["totals"].(map[string]any)
		if totals["pageviews"].(float64) == 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if totals["pageviews"] != 4.0 || totals["visits"] != 2.0 || totals["bounce_rate"] != 0.0 {
		t.Errorf("totals %v; want 4 pageviews in 2 visits, none bounced", totals)
	}
	got := queryAPI(t, last.URL, key, `{"site":"shop.test","date_range":"day","metrics":["visits","pageviews"],"dimensions":["channel"]}`)
	if rows := fmt.Sprint(got["results"]); rows != "[map[dimensions:[Organic Search] metrics:[2 4]]]" {
		t.Errorf("by channel %s; want both visits and their 4 pages in Organic Search", rows)
	}
}
