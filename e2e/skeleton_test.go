package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/omnistat/omnistat/internal/apptest"
	"github.com/omnistat/omnistat/internal/browser"
)

// A visitor opens a page with the snippet; the pageview is answered by the reporting
// API and shown on the dashboard.
func TestPageviewReachesAPIAndDashboard(t *testing.T) {
	srv := apptest.Start(t, "--flush-interval", "200ms")
	if id := strings.TrimSpace(srv.CLI("site", "add", "shop.test")); id != "1" {
		t.Fatalf("site add printed %q; want the id 1", id)
	}
	key := strings.TrimSpace(srv.CLI("key", "create", "--site", "shop.test"))

	// The site owner's page, on its own origin.
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>Pricing</title>
<script defer data-site="shop.test" src="http://omnistat.test:%d/js/omnistat.js"></script>
</head><body><h1>Pricing</h1></body></html>`, srv.Port)
	}))
	defer page.Close()
	pageURL := strings.Replace(page.URL, "127.0.0.1", "shop.test", 1) + "/pricing"

	ctx := browser.New(t)
	browser.Do(t, ctx, 30*time.Second, chromedp.Navigate(pageURL), chromedp.WaitVisible(chromedp.CSS("h1")))

	var got map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for {
		got = queryAPI(t, srv.URL, key, `{"site":"shop.test","date_range":"day","metrics":["visitors","pageviews"]}`)
		totals, _ := got["totals"].(map[string]any)
		if totals["visitors"] == 1.0 && totals["pageviews"] == 1.0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pageview did not reach the API within 30s; last answer %v\nserver log:\n%s", got, srv.Log())
		}
		time.Sleep(200 * time.Millisecond)
	}

	srv.CLI("user", "add", "owner@shop.test", "--password", "correct horse battery")
	dash := srv.URL + "/?site=shop.test&range=day"
	browser.Do(t, ctx, 30*time.Second,
		chromedp.Navigate(dash),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		chromedp.SetValue(chromedp.ID("login-email"), "owner@shop.test"),
		chromedp.SetValue(chromedp.ID("login-password"), "correct horse battery"),
		chromedp.Click(chromedp.CSS("#login-form button")),
		chromedp.WaitVisible(chromedp.ID("stat-pageviews")),
	)
	visitors := browser.Get(t, ctx, 10*time.Second, chromedp.Text(chromedp.ID("stat-visitors")))
	pageviews := browser.Get(t, ctx, 10*time.Second, chromedp.Text(chromedp.ID("stat-pageviews")))
	if visitors != "1" || pageviews != "1" {
		t.Fatalf("dashboard shows visitors %q, pageviews %q; want 1 and 1", visitors, pageviews)
	}
}

func queryAPI(t *testing.T, base, key, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/query", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("query answered %d: %s", resp.StatusCode, b)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
