package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/omnistat/omnistat/app"
)

// A shared link shows one site's reports to anyone who has it, read-only, and behind
// its password when it has one; revoking it ends that at once.
func TestSharedLinks(t *testing.T) {
	f := newFixture(t, app.Config{})
	ctx := context.Background()
	if _, err := f.a.Catalog.AddSite(ctx, "other.example", "UTC"); err != nil {
		t.Fatal(err)
	}
	user := f.loginAnn(t)

	type share struct {
		ID, Name, URL string
		Password      bool
	}
	create := func(body string) share {
		t.Helper()
		s, _, out := f.do(http.MethodPost, "/api/v1/shares", body, user)
		if s != 201 {
			t.Fatalf("create share %s: %d %s", body, s, out)
		}
		var sh share
		json.Unmarshal([]byte(out), &sh)
		return sh
	}
	open := create(`{"site":"shop.example","name":"board"}`)
	locked := create(`{"site":"shop.example","name":"agency","password":"let me in please"}`)
	if len(open.ID) != 22 || !strings.HasSuffix(open.URL, "/share/"+open.ID) || open.Password || !locked.Password {
		t.Fatalf("created shares: %+v %+v", open, locked)
	}
	if s, _, out := f.do(http.MethodPost, "/api/v1/shares", `{"site":"shop.example","password":"short"}`, user); s != 400 || !strings.Contains(out, "password") {
		t.Fatalf("a short password: %d %s", s, out)
	}
	if s, _, out := f.do(http.MethodPost, "/api/v1/shares", `{"site":"shop.example"}`, map[string]string{"Authorization": "Bearer " + f.key}); s != 403 {
		t.Fatalf("an API key made a shared link: %d %s", s, out)
	}
	s, _, body := f.do(http.MethodGet, "/api/v1/shares?site=shop.example", "", user)
	if s != 200 || !strings.Contains(body, open.ID) || !strings.Contains(body, locked.ID) || strings.Contains(body, "$2") {
		t.Fatalf("list shares: %d %s", s, body)
	}

	report := `{"site":"shop.example","date_range":"7d","metrics":["visitors"]}`
	as := func(id string, extra ...string) map[string]string {
		h := map[string]string{"X-Share-Token": id}
		for i := 0; i+1 < len(extra); i += 2 {
			h[extra[i]] = extra[i+1]
		}
		return h
	}

	t.Run("reports only, one site", func(t *testing.T) {
		if s, _, out := f.do(http.MethodPost, "/api/v1/query", report, as(open.ID)); s != 200 || !strings.Contains(out, `"visitors"`) {
			t.Fatalf("report through the link: %d %s", s, out)
		}
		if s, _, out := f.do(http.MethodGet, "/api/v1/sites", "", as(open.ID)); s != 200 || strings.Contains(out, "other.example") {
			t.Fatalf("sites through the link: %d %s", s, out)
		}
		if s, _, _ := f.do(http.MethodPost, "/api/v1/query", strings.Replace(report, "shop.example", "other.example", 1), as(open.ID)); s != 403 {
			t.Fatalf("another site's report through the link: %d", s)
		}
		for _, r := range []struct{ method, path, body string }{
			{http.MethodGet, "/api/v1/goals?site=shop.example", ""},
			{http.MethodPost, "/api/v1/goals", `{"site":"shop.example","event":"signup"}`},
			{http.MethodGet, "/api/v1/links?site=shop.example", ""},
			{http.MethodGet, "/api/v1/keys?site=shop.example", ""},
			{http.MethodGet, "/api/v1/shares?site=shop.example", ""},
			{http.MethodPost, "/api/v1/events", `{"events":[{"site":"shop.example","name":"x","url":"https://shop.example/"}]}`},
		} {
			if s, _, out := f.do(r.method, r.path, r.body, as(open.ID)); s != 403 || !strings.Contains(out, "read-only") {
				t.Errorf("%s %s through a shared link: %d %s", r.method, r.path, s, out)
			}
		}
		if s, _, _ := f.do(http.MethodPost, "/api/v1/query", report, as("AAAAAAAAAAAAAAAAAAAAAA")); s != 404 {
			t.Fatalf("a made-up link: %d", s)
		}
	})

	t.Run("password", func(t *testing.T) {
		if s, _, out := f.do(http.MethodPost, "/api/v1/query", report, as(locked.ID)); s != 401 || !strings.Contains(out, "password") {
			t.Fatalf("report before the password: %d %s", s, out)
		}
		if s, _, out := f.do(http.MethodGet, "/api/v1/share", "", as(locked.ID)); s != 200 || !strings.Contains(out, `"password":true`) || !strings.Contains(out, `"unlocked":false`) {
			t.Fatalf("share info: %d %s", s, out)
		}
		if s, _, _ := f.do(http.MethodPost, "/api/v1/share/login", `{"id":"`+locked.ID+`","password":"wrong password"}`, nil); s != 401 {
			t.Fatalf("a wrong password: %d", s)
		}
		s, hdr, out := f.do(http.MethodPost, "/api/v1/share/login", `{"id":"`+locked.ID+`","password":"let me in please"}`, nil)
		ck := hdr.Get("Set-Cookie")
		if s != 204 || !strings.Contains(ck, "HttpOnly") || !strings.HasPrefix(ck, "omnistat_share_"+locked.ID+"=") {
			t.Fatalf("the right password: %d %s %q", s, out, ck)
		}
		cookie := strings.Split(ck, ";")[0]
		if s, _, out := f.do(http.MethodPost, "/api/v1/query", report, as(locked.ID, "Cookie", cookie)); s != 200 {
			t.Fatalf("report after the password: %d %s", s, out)
		}
		// The cookie opens only its own link, and only untampered.
		other := create(`{"site":"shop.example","password":"another password"}`)
		moved := strings.Replace(cookie, locked.ID, other.ID, 1)
		if s, _, _ := f.do(http.MethodPost, "/api/v1/query", report, as(other.ID, "Cookie", moved)); s != 401 {
			t.Fatalf("one link's cookie opened another: %d", s)
		}
		if s, _, _ := f.do(http.MethodPost, "/api/v1/query", report, as(locked.ID, "Cookie", cookie+"0")); s != 401 {
			t.Fatalf("a tampered cookie: %d", s)
		}
	})

	t.Run("the page", func(t *testing.T) {
		s, hdr, out := f.do(http.MethodGet, "/share/"+open.ID, "", nil)
		if s != 200 || !strings.Contains(out, `src="/app.js"`) || !strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Fatalf("GET /share/ID: %d %s", s, out)
		}
	})

	t.Run("revoked", func(t *testing.T) {
		if s, _, out := f.do(http.MethodDelete, "/api/v1/shares?site=other.example&id="+open.ID, "", user); s != 404 {
			t.Fatalf("revoke through another site: %d %s", s, out)
		}
		if s, _, out := f.do(http.MethodDelete, "/api/v1/shares?site=shop.example&id="+open.ID, "", user); s != 204 {
			t.Fatalf("revoke: %d %s", s, out)
		}
		if s, _, _ := f.do(http.MethodPost, "/api/v1/query", report, as(open.ID)); s != 404 {
			t.Fatalf("report through a revoked link: %d", s)
		}
		if s, _, _ := f.do(http.MethodGet, "/api/v1/share", "", as(open.ID)); s != 404 {
			t.Fatalf("info of a revoked link: %d", s)
		}
	})
}

// Shared links are managed by logged-in users; an API key asking is told so, in words
// about shared links.
func TestSharedLinksWithAnAPIKeySaySo(t *testing.T) {
	f := newFixture(t, app.Config{})
	auth := map[string]string{"Authorization": "Bearer " + f.key}
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodGet, "/api/v1/shares?site=shop.example", ""},
		{http.MethodPost, "/api/v1/shares", `{"site":"shop.example","name":"x"}`},
		{http.MethodDelete, "/api/v1/shares?site=shop.example&id=x", ""},
	} {
		s, _, body := f.do(tc.method, tc.path, tc.body, auth)
		if s != 403 || !strings.Contains(body, "shared links") || strings.Contains(body, "API keys are managed") {
			t.Errorf("%s %s with a key: %d %s; want 403 about shared links", tc.method, tc.path, s, body)
		}
	}
}
