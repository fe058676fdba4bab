package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/omnistat/omnistat/app"
)

// viaProxy puts a reverse proxy in front of the fixture's server that does what nginx's
// plain proxy_pass does: Host becomes the upstream's address, and the host and scheme
// the browser asked for travel in X-Forwarded-Host and X-Forwarded-Proto.
func viaProxy(t *testing.T, f *fixture) string {
	t.Helper()
	up, _ := url.Parse(f.srv.URL)
	p := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(up)
		pr.SetXForwarded()
	}})
	t.Cleanup(p.Close)
	return p.URL
}

// browserAt sends requests to base as a browser on https?://host would: with Host and
// Origin of that host.
func browserAt(t *testing.T, base, host string) func(method, path, body string, hdr map[string]string) (int, http.Header, string) {
	return func(method, path, body string, hdr map[string]string) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Host = host
		req.Header.Set("User-Agent", chromeUA)
		req.Header.Set("Origin", "http://"+host)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
}

func loopback() []*net.IPNet {
	_, n, _ := net.ParseCIDR("127.0.0.0/8")
	return []*net.IPNet{n}
}

// login logs ann in through do and returns the headers a dashboard sends with changes.
func login(t *testing.T, f *fixture, do func(method, path, body string, hdr map[string]string) (int, http.Header, string)) map[string]string {
	t.Helper()
	if err := f.a.Catalog.AddUser(context.Background(), "ann@example.com", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	s, hdr, body := do(http.MethodPost, "/api/v1/login", `{"email":"ann@example.com","password":"correct horse battery"}`, nil)
	if s != 200 {
		t.Fatalf("login: %d %s", s, body)
	}
	var l struct{ CSRF string }
	json.Unmarshal([]byte(body), &l)
	return map[string]string{"Cookie": strings.Split(hdr.Get("Set-Cookie"), ";")[0], "X-CSRF-Token": l.CSRF}
}

// Behind a reverse proxy that rewrites Host (nginx's and Apache's default), the
// dashboard's reports and changes come from the origin the proxy was asked for; with
// the proxy in --trust-proxy, that origin is this server's own.
func TestDashboardBehindAProxyThatRewritesHost(t *testing.T) {
	f := newFixture(t, app.Config{TrustProxy: loopback()})
	do := browserAt(t, viaProxy(t, f), "analytics.example")
	user := login(t, f, do)
	if s, _, body := do(http.MethodPost, "/api/v1/query", `{"site":"shop.example","date_range":"day","metrics":["visitors"]}`, user); s != 200 {
		t.Fatalf("a report through the proxy: %d %s", s, body)
	}
	if s, _, body := do(http.MethodPost, "/api/v1/goals", `{"site":"shop.example","event":"signup"}`, user); s != 201 {
		t.Fatalf("a goal added through the proxy: %d %s", s, body)
	}
	s, _, body := do(http.MethodPost, "/api/v1/shares", `{"site":"shop.example","name":"board"}`, user)
	if s != 201 || !strings.Contains(body, `"url":"http://analytics.example/share/`) {
		t.Fatalf("a shared link made through the proxy: %d %s; want its URL on analytics.example", s, body)
	}
	evil := map[string]string{"Cookie": user["Cookie"], "X-CSRF-Token": user["X-CSRF-Token"], "Origin": "http://evil.example"}
	if s, _, body := do(http.MethodPost, "/api/v1/goals", `{"site":"shop.example","event":"evil"}`, evil); s != 403 {
		t.Fatalf("another origin through the proxy: %d %s; want 403", s, body)
	}
}

// X-Forwarded-Host from a peer that is not a trusted proxy is the client's own claim:
// it must not make another origin this server's.
func TestForwardedHostFromAnUntrustedPeerIsIgnored(t *testing.T) {
	f := newFixture(t, app.Config{})
	direct := browserAt(t, f.srv.URL, strings.TrimPrefix(f.srv.URL, "http://"))
	user := login(t, f, direct)
	do := browserAt(t, viaProxy(t, f), "analytics.example")
	if s, _, body := do(http.MethodPost, "/api/v1/goals", `{"site":"shop.example","event":"signup"}`, user); s != 403 {
		t.Fatalf("a change through a proxy not in --trust-proxy: %d %s; want 403", s, body)
	}
	spoof := map[string]string{"Cookie": user["Cookie"], "X-CSRF-Token": user["X-CSRF-Token"],
		"Origin": "http://evil.example", "X-Forwarded-Host": "evil.example", "Forwarded": "host=evil.example"}
	if s, _, body := direct(http.MethodPost, "/api/v1/goals", `{"site":"shop.example","event":"evil"}`, spoof); s != 403 {
		t.Fatalf("a client's own X-Forwarded-Host: %d %s; want 403", s, body)
	}
}
