package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/omnistat/omnistat/app"
	"github.com/omnistat/omnistat/catalog"
)

func TestDashboardLoginSessionAndCSRF(t *testing.T) {
	f := newFixture(t, app.Config{})
	if err := f.a.Catalog.AddUser(context.Background(), "ann@example.com", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	s, _, body := f.do(http.MethodPost, "/api/v1/login", `{"email":"ann@example.com","password":"wrong horse battery"}`, asJSON)
	if s != 401 || !strings.Contains(body, "wrong") {
		t.Fatalf("bad password: %d %s", s, body)
	}
	s, hdr, body := f.do(http.MethodPost, "/api/v1/login", `{"email":"Ann@Example.com","password":"correct horse battery"}`, asJSON)
	if s != 200 {
		t.Fatalf("login: %d %s", s, body)
	}
	cookie := hdr.Get("Set-Cookie")
	if !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Lax") || !strings.HasPrefix(cookie, "omnistat_session=") {
		t.Fatalf("session cookie %q", cookie)
	}
	var login struct{ Email, CSRF string }
	json.Unmarshal([]byte(body), &login)
	sess := map[string]string{"Cookie": strings.Split(cookie, ";")[0]}

	s, _, body = f.do(http.MethodGet, "/api/v1/sites", "", sess)
	if s != 200 || !strings.Contains(body, `"domain":"shop.example"`) {
		t.Fatalf("sites with the session: %d %s", s, body)
	}
	link := `{"site":"shop.example","slug":"s1","target":"https://shop.example/"}`
	if s, _, body := f.do(http.MethodPost, "/api/v1/links", link, sess); s != 403 || !strings.Contains(body, "CSRF") {
		t.Fatalf("change without CSRF token: %d %s", s, body)
	}
	withCSRF := map[string]string{"Cookie": sess["Cookie"], "X-CSRF-Token": login.CSRF}
	if s, _, body := f.do(http.MethodPost, "/api/v1/links", link, map[string]string{"Cookie": sess["Cookie"], "X-CSRF-Token": login.CSRF, "Origin": "https://evil.example"}); s != 403 {
		t.Fatalf("cross-origin change: %d %s", s, body)
	}
	if s, _, body := f.do(http.MethodPost, "/api/v1/links", link, withCSRF); s != 201 {
		t.Fatalf("change with CSRF token: %d %s", s, body)
	}
	s, _, body = f.do(http.MethodPost, "/api/v1/keys", `{"site":"shop.example","name":"zapier"}`, withCSRF)
	if s != 201 || !strings.Contains(body, `"key":"os_`) {
		t.Fatalf("create key: %d %s", s, body)
	}
	if s, _, _ := f.do(http.MethodPost, "/api/v1/keys", `{"site":"shop.example"}`, map[string]string{"Authorization": "Bearer " + f.key}); s != 403 {
		t.Fatalf("a key minted a key: %d", s)
	}
	s, _, body = f.do(http.MethodGet, "/api/v1/keys?site=shop.example", "", sess)
	if s != 200 || !strings.Contains(body, `"name":"zapier"`) || strings.Contains(body, "os_") {
		t.Fatalf("list keys: %d %s", s, body)
	}
	tampered := map[string]string{"Cookie": strings.Replace(sess["Cookie"], "=", "=x", 1)}
	if s, _, _ := f.do(http.MethodGet, "/api/v1/sites", "", tampered); s != 401 {
		t.Fatalf("tampered cookie: %d", s)
	}
	if s, hdr, _ := f.do(http.MethodPost, "/api/v1/logout", "", nil); s != 204 || !strings.Contains(hdr.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %d %v", s, hdr)
	}
	// Login attempts are rate limited per address.
	codes := ""
	for i := 0; i < 6; i++ {
		s, _, _ := f.do(http.MethodPost, "/api/v1/login", `{"email":"ann@example.com","password":"nope nope nope"}`, asJSON)
		codes += " " + http.StatusText(s)
	}
	if !strings.Contains(codes, "Too Many Requests") {
		t.Fatalf("no rate limit on logins: %s", codes)
	}
}

// The Authorization scheme is case-insensitive (RFC 7235): curl scripts and HTTP
// libraries that write "bearer" must get in, and a key must not mint keys in any case.
func TestBearerSchemeIgnoresCase(t *testing.T) {
	f := newFixture(t, app.Config{})
	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		hdr := map[string]string{"Authorization": scheme + " " + f.key}
		if s, _, body := f.do(http.MethodGet, "/api/v1/realtime?site=shop.example", "", hdr); s != 200 {
			t.Errorf("%s KEY: %d %s; want 200", scheme, s, body)
		}
		if s, _, body := f.do(http.MethodPost, "/api/v1/keys", `{"site":"shop.example"}`, hdr); s != 403 {
			t.Errorf("%s KEY minting a key: %d %s; want 403", scheme, s, body)
		}
	}
	if s, _, _ := f.do(http.MethodGet, "/api/v1/realtime?site=shop.example", "", map[string]string{"Authorization": "Basic " + f.key}); s != 401 {
		t.Errorf("Basic scheme: %d; want 401", s)
	}
}

// A session ends when its user logs out (in every browser: a copied cookie must not
// outlive the logout), when the user's password is reset, and when the user is removed.
func TestSessionsCanBeEnded(t *testing.T) {
	f := newFixture(t, app.Config{})
	ctx := context.Background()
	if err := f.a.Catalog.AddUser(ctx, "ann@example.com", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	login := func(password string) map[string]string {
		t.Helper()
		s, hdr, body := f.do(http.MethodPost, "/api/v1/login", `{"email":"ann@example.com","password":"`+password+`"}`, asJSON)
		if s != 200 {
			t.Fatalf("login: %d %s", s, body)
		}
		var l struct{ CSRF string }
		json.Unmarshal([]byte(body), &l)
		return map[string]string{"Cookie": strings.Split(hdr.Get("Set-Cookie"), ";")[0], "X-CSRF-Token": l.CSRF}
	}
	alive := func(sess map[string]string) bool {
		t.Helper()
		s, _, _ := f.do(http.MethodGet, "/api/v1/keys?site=shop.example", "", map[string]string{"Cookie": sess["Cookie"]})
		return s == 200
	}
	laptop, phone := login("correct horse battery"), login("correct horse battery")
	if !alive(laptop) || !alive(phone) {
		t.Fatal("fresh sessions do not work")
	}
	if s, _, body := f.do(http.MethodPost, "/api/v1/logout", "", laptop); s != 204 {
		t.Fatalf("logout: %d %s", s, body)
	}
	if alive(laptop) || alive(phone) {
		t.Fatalf("after logout: the copied cookie works %v, the other browser's %v; want neither", alive(laptop), alive(phone))
	}

	stolen := login("correct horse battery")
	if err := f.a.Catalog.AddUser(ctx, "ann@example.com", "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if alive(stolen) {
		t.Fatal("a session outlived the password reset")
	}

	last := login("a brand new password")
	if err := f.a.Catalog.RemoveUser(ctx, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	if alive(last) {
		t.Fatal("a session outlived its user's removal")
	}
	if s, _, _ := f.do(http.MethodPost, "/api/v1/login", `{"email":"ann@example.com","password":"a brand new password"}`, asJSON); s != 401 {
		t.Fatalf("a removed user logged in: %d", s)
	}
	if err := f.a.Catalog.RemoveUser(ctx, "ann@example.com"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("removing a removed user: %v; want ErrNotFound", err)
	}
}

// asJSON is what a JSON client sends with a body.
var asJSON = map[string]string{"Content-Type": "application/json"}

// Another site cannot log a user out, nor log the user into its own account (login
// CSRF): login and logout must come from this server's origin, and a login is JSON,
// which a cross-site form cannot send.
func TestLoginAndLogoutRefuseOtherOrigins(t *testing.T) {
	f := newFixture(t, app.Config{})
	if err := f.a.Catalog.AddUser(context.Background(), "att@example.com", "attacker password"); err != nil {
		t.Fatal(err)
	}
	creds := `{"email":"att@example.com","password":"attacker password"}`
	for _, tc := range []struct {
		name   string
		hdr    map[string]string
		status int
		errs   string
	}{
		{"form from another site", map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example"}, 403, "origin http://evil.example"},
		{"JSON from another site", map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example"}, 403, "origin http://evil.example"},
		{"from an opaque origin", map[string]string{"Content-Type": "application/json", "Origin": "null"}, 403, "origin null"},
		{"text/plain", map[string]string{"Content-Type": "text/plain"}, 415, "Content-Type"},
		{"form", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "application/json"},
		{"JSON from this site", map[string]string{"Content-Type": "application/json; charset=utf-8", "Origin": f.srv.URL}, 200, ""},
	} {
		s, _, body := f.do(http.MethodPost, "/api/v1/login", creds, tc.hdr)
		if s != tc.status || !strings.Contains(body, tc.errs) {
			t.Errorf("login, %s: %d %s; want %d naming %q", tc.name, s, body, tc.status, tc.errs)
		}
	}

	s, hdr, body := f.do(http.MethodPost, "/api/v1/login", creds, asJSON)
	if s != 200 {
		t.Fatalf("login: %d %s", s, body)
	}
	cookie := strings.Split(hdr.Get("Set-Cookie"), ";")[0]
	for _, origin := range []string{"http://evil.example", "null"} {
		s, hdr, body := f.do(http.MethodPost, "/api/v1/logout", "", map[string]string{"Cookie": cookie, "Origin": origin})
		if s != 403 || hdr.Get("Set-Cookie") != "" {
			t.Errorf("logout from %s: %d %s, Set-Cookie %q; want 403 and the cookie kept", origin, s, body, hdr.Get("Set-Cookie"))
		}
	}
	if s, _, _ := f.do(http.MethodGet, "/api/v1/session", "", map[string]string{"Cookie": cookie}); s != 200 {
		t.Fatalf("the session after logouts from other origins: %d; want it alive", s)
	}
	if s, _, body := f.do(http.MethodPost, "/api/v1/logout", "", map[string]string{"Cookie": cookie, "Origin": f.srv.URL}); s != 204 {
		t.Fatalf("logout from this site: %d %s", s, body)
	}
}
