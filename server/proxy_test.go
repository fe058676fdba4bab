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

// loginAnn logs ann in straight to the fixture's handler (see login).
func (f *fixture) loginAnn(t *testing.T) map[string]string {
	t.Helper()
	return login(t, f, func(method, path, body string, hdr map[string]string) (int, http.Header, string) {
		if hdr == nil {
			hdr = asJSON
		}
		return f.do(method, path, body, hdr)
	})
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

// secureLogin logs ann in through do and reports whether the cookie is Secure.
func secureLogin(t *testing.T, do func(method, path, body string, hdr map[string]string) (int, http.Header, string), hdr map[string]string) bool {
	t.Helper()
	s, h, body := do(http.MethodPost, "/api/v1/login", `{"email":"ann@example.com","password":"correct horse battery"}`, hdr)
	if s != 200 {
		t.Fatalf("login: %d %s", s, body)
	}
	return strings.Contains(h.Get("Set-Cookie"), "; Secure")
}

// The session cookie is Secure when the browser's connection is HTTPS: TLS to this
// server, or (next test) a trusted proxy's word. A client's own claim of HTTPS is not
// believed.
func TestSecureCookieOnlyOverHTTPS(t *testing.T) {
	f := newFixture(t, app.Config{}) // five logins: the most one address has a minute
	if err := f.a.Catalog.AddUser(context.Background(), "ann@example.com", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	direct := browserAt(t, f.srv.URL, "shop.example")
	for _, claim := range []map[string]string{{"X-Forwarded-Proto": "https"}, {"Forwarded": "proto=https"}, {"X-Forwarded-Ssl": "on"}, {"X-Url-Scheme": "https"}} {
		if secureLogin(t, direct, claim) {
			t.Errorf("Secure cookie for a client's own %v without --trust-proxy", claim)
		}
	}
	tls := httptest.NewTLSServer(f.a.Handler)
	defer tls.Close()
	overTLS := func(method, path, body string, hdr map[string]string) (int, http.Header, string) {
		req, _ := http.NewRequest(method, tls.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := tls.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	if !secureLogin(t, overTLS, nil) {
		t.Error("no Secure cookie over TLS")
	}
}

// Behind a trusted proxy that terminates TLS, its X-Forwarded-Proto: https or RFC 7239
// Forwarded: proto=https makes the cookie Secure; its http does not.
func TestSecureCookieBehindATrustedTLSProxy(t *testing.T) {
	f := newFixture(t, app.Config{TrustProxy: loopback()})
	if err := f.a.Catalog.AddUser(context.Background(), "ann@example.com", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if secureLogin(t, browserAt(t, viaProxy(t, f), "analytics.example"), nil) {
		t.Error("Secure cookie when the trusted proxy says X-Forwarded-Proto: http")
	}
	up, _ := url.Parse(f.srv.URL)
	rfc := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(up)
		pr.Out.Header.Set("Forwarded", `for=192.0.2.7;host="analytics.example";proto=https`)
	}})
	defer rfc.Close()
	if !secureLogin(t, browserAt(t, rfc.URL, "analytics.example"), map[string]string{"Origin": "https://analytics.example"}) {
		t.Error("no Secure cookie behind a trusted proxy that says Forwarded: proto=https")
	}
	tlsProxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(up)
		pr.SetXForwarded()
		pr.Out.Header.Set("X-Forwarded-Proto", "https") // as nginx's $scheme on a TLS listener
	}})
	defer tlsProxy.Close()
	if !secureLogin(t, browserAt(t, tlsProxy.URL, "analytics.example"), map[string]string{"Origin": "https://analytics.example"}) {
		t.Error("no Secure cookie behind a trusted proxy that says X-Forwarded-Proto: https")
	}
}
