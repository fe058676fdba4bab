package server_test

import (
	"net/http"
	"testing"

	"github.com/omnistat/omnistat/app"
)

// Uptime and CDN checks ask for the tracker with HEAD: the same answer as GET, no body.
func TestTrackerScriptAnswersHEAD(t *testing.T) {
	f := newFixture(t, app.Config{})
	hdr := map[string]string{"Accept-Encoding": "gzip"}
	_, get, _ := f.do(http.MethodGet, "/js/omnistat.js", "", hdr)
	status, head, body := f.do(http.MethodHead, "/js/omnistat.js", "", hdr)
	if status != http.StatusOK || body != "" {
		t.Fatalf("HEAD: %d with %d bytes of body; want 200 and none", status, len(body))
	}
	for _, h := range []string{"Content-Type", "Content-Encoding", "ETag", "Cache-Control"} {
		if head.Get(h) != get.Get(h) {
			t.Errorf("HEAD %s %q; GET has %q", h, head.Get(h), get.Get(h))
		}
	}
	if status, _, _ := f.do(http.MethodHead, "/js/omnistat.js", "", map[string]string{"If-None-Match": get.Get("ETag")}); status != http.StatusNotModified {
		t.Errorf("conditional HEAD: %d; want 304", status)
	}
}

// Uptime monitors check the dashboard and the health check with HEAD too.
func TestDashboardAndHealthAnswerHEAD(t *testing.T) {
	f := newFixture(t, app.Config{})
	for _, path := range []string{"/", "/healthz"} {
		if status, _, body := f.do(http.MethodHead, path, "", nil); status != http.StatusOK || body != "" {
			t.Errorf("HEAD %s: %d with %d bytes of body; want 200 and none", path, status, len(body))
		}
	}
}
