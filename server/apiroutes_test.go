package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/omnistat/omnistat/app"
)

// A script that calls a wrong path or method under /api/ gets a JSON error it can
// parse, like every other API error (§4), and a known path says which methods it takes.
func TestAPIUnknownRoutesAndMethodsAnswerJSON(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	cases := []struct {
		method, path string
		status       int
		allow, want  string
	}{
		{http.MethodGet, "/api/v1/funnel", 405, "POST", "/api/v1/funnel takes POST, not GET"},
		{http.MethodGet, "/api/v1/query", 405, "POST", "takes POST, not GET"},
		{http.MethodPut, "/api/v1/goals", 405, "DELETE, GET, POST", "takes DELETE or GET or POST, not PUT"},
		{http.MethodDelete, "/api/v1/realtime", 405, "GET", "takes GET, not DELETE"},
		{http.MethodGet, "/api/event", 405, "OPTIONS, POST", "takes OPTIONS or POST, not GET"},
		{http.MethodGet, "/api/v1/nope", 404, "", "/api/v1/nope is not an API endpoint"},
		{http.MethodPost, "/api/v1/nope", 404, "", "/api/v1/nope is not an API endpoint"},
		{http.MethodGet, "/api/", 404, "", "is not an API endpoint"},
		{http.MethodGet, "/api", 404, "", "is not an API endpoint"},
	}
	for _, tc := range cases {
		s, hdr, body := f.do(tc.method, tc.path, "", auth)
		var e map[string]string
		if s != tc.status || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") || json.Unmarshal([]byte(body), &e) != nil {
			t.Errorf("%s %s: %d %s %q; want %d with a JSON error", tc.method, tc.path, s, hdr.Get("Content-Type"), body, tc.status)
			continue
		}
		if !strings.Contains(e["error"], tc.want) {
			t.Errorf("%s %s: error %q; want it to contain %q", tc.method, tc.path, e["error"], tc.want)
		}
		if hdr.Get("Allow") != tc.allow {
			t.Errorf("%s %s: Allow %q; want %q", tc.method, tc.path, hdr.Get("Allow"), tc.allow)
		}
	}
	// The endpoints themselves and the dashboard are unchanged.
	if s, _, body := f.do(http.MethodGet, "/api/v1/realtime?site=shop.example", "", auth); s != 200 {
		t.Errorf("realtime: %d %s", s, body)
	}
	if s, _, _ := f.do(http.MethodOptions, "/api/event", "", map[string]string{"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}); s != 204 {
		t.Errorf("tracker preflight: %d; want 204", s)
	}
	if s, hdr, _ := f.do(http.MethodGet, "/", "", nil); s != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Errorf("dashboard: %d %s", s, hdr.Get("Content-Type"))
	}
}
